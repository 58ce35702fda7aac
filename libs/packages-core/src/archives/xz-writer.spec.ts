import { spawnSync } from 'node:child_process';
import { Readable } from 'node:stream';
import { decompress } from './decompress-stream';
import { encodeXz } from './xz-writer';

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk as Uint8Array));
  return Buffer.concat(chunks);
}

// Under CI a missing xz(1) fails the test rather than skipping it.
const hasXz = spawnSync('xz', ['--version']).status === 0 || process.env.CI === 'true';

describe('encodeXz', () => {
  const patterned = Buffer.alloc(200_000);
  for (let i = 0; i < patterned.length; i++) patterned[i] = (i * 7) % 251;
  const cases: Array<[string, Buffer]> = [
    ['empty input', Buffer.alloc(0)],
    ['one short line', Buffer.from('Package: hello\n')],
    ['exactly one 64 KiB chunk', Buffer.alloc(0x10000, 0x61)],
    ['several chunks with a partial last one', patterned],
  ];

  it.each(cases)('round-trips %s through the xz library reader', async (_name, input) => {
    const output = await readAll(
      decompress(Readable.from([encodeXz(input)]), 'xz', 1 << 30, () => new Error('budget')),
    );
    expect(output.equals(input)).toBe(true);
  });

  (hasXz ? it.each(cases) : it.skip.each(cases))(
    'xz(1) tests and decodes %s (skipped when xz-utils is not installed)',
    (_name, input) => {
      const encoded = encodeXz(input);
      expect(spawnSync('xz', ['-t'], { input: encoded }).status).toBe(0);
      const decoded = spawnSync('xz', ['-dc'], { input: encoded, maxBuffer: 1 << 24 });
      expect(decoded.status).toBe(0);
      expect(decoded.stdout.equals(input)).toBe(true);
    },
  );
});
