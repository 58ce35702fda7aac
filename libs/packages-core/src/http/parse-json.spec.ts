import { RegistryErrorCode } from '../errors/registry-error';
import { assertJsonDepth, MAX_JSON_DEPTH, parseJsonDocument } from './parse-json';

const nested = (depth: number, open = '[', close = ']') =>
  Buffer.from(open.repeat(depth) + close.repeat(depth));

describe('JSON documents from clients', () => {
  it('parses a document at the depth limit', () => {
    expect(() => assertJsonDepth(nested(MAX_JSON_DEPTH))).not.toThrow();
    expect(parseJsonDocument(Buffer.from('{"a":{"b":[1,"x"]}}'), 'the body')).toEqual({
      a: { b: [1, 'x'] },
    });
  });

  it.each([
    ['arrays', nested(MAX_JSON_DEPTH + 1)],
    ['objects', Buffer.from('{"a":'.repeat(MAX_JSON_DEPTH + 1) + '1' + '}'.repeat(65))],
    ['100,000 levels', nested(100_000)],
  ])('refuses %s nested past the limit with a 400', (_what, doc) => {
    expect(() => parseJsonDocument(doc, 'the body')).toThrow(
      expect.objectContaining({
        code: RegistryErrorCode.InvalidArgument,
        message: expect.stringMatching(/nested deeper than 64 levels/),
      }),
    );
  });

  it('does not count brackets inside strings, escaped quotes included', () => {
    const text = JSON.stringify({ s: '[[[[\\"[[[[' + '['.repeat(500), t: '\u00e9[' });
    expect(parseJsonDocument(Buffer.from(text), 'the body')).toEqual(JSON.parse(text));
  });

  it('names the document in the error for invalid JSON and accepts a BOM', () => {
    expect(() => parseJsonDocument(Buffer.from('{oops'), 'the manifest')).toThrow(
      'the manifest is not valid JSON',
    );
    expect(parseJsonDocument(Buffer.from('\uFEFF{"a":1}'), 'x')).toEqual({ a: 1 });
  });
});
