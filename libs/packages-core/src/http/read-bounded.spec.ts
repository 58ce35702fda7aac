import { Readable } from 'node:stream';
import { RegistryError, RegistryErrorCode } from '../errors/registry-error';
import { parseContentLength, readBounded } from './read-bounded';

function body(chunks: Buffer[], headers?: Record<string, string>): Readable {
  const stream = Readable.from(chunks);
  if (headers) Object.assign(stream, { headers });
  return stream;
}

describe('parseContentLength', () => {
  it('reads a plain decimal length and treats an absent header as unknown', () => {
    expect(parseContentLength({ 'content-length': '1234' })).toBe(1234);
    expect(parseContentLength({ 'content-length': '0' })).toBe(0);
    expect(parseContentLength({})).toBeUndefined();
  });

  it.each(['-1', '1e3', '0x10', '12, 12', ' 5', '', '99999999999999999'])(
    'refuses %j with a 400',
    (value) => {
      expect(() => parseContentLength({ 'content-length': value })).toThrow(
        expect.objectContaining({ code: RegistryErrorCode.InvalidArgument }),
      );
    },
  );
});

describe('readBounded', () => {
  it('returns every byte of a body within the limit', async () => {
    const parts = [Buffer.from('hello '), Buffer.from('world')];
    expect((await readBounded(body(parts), 11)).toString()).toBe('hello world');
  });

  it('refuses a body that grows past the limit with a 413', async () => {
    const parts = [Buffer.alloc(8), Buffer.alloc(8)];
    const err = await readBounded(body(parts), 10).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RegistryError);
    expect((err as RegistryError).status).toBe(413);
  });

  it('refuses a declared length over the limit before reading anything', async () => {
    let read = false;
    const stream = new Readable({
      read() {
        read = true;
        this.push(null);
      },
    });
    Object.assign(stream, { headers: { 'content-length': '100' } });
    await expect(readBounded(stream, 10)).rejects.toMatchObject({ status: 413 });
    expect(read).toBe(false);
  });

  it('throws the caller-chosen error past the limit', async () => {
    const custom = new Error('manifest too large');
    await expect(
      readBounded(body([Buffer.alloc(20)]), 10, { tooLarge: () => custom }),
    ).rejects.toBe(custom);
  });
});
