import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { describeIf } from '../testing/test-env';
import { compressBzip2 } from './compress-bzip2';
import { decompress } from './decompress-stream';

const bzip2Cli = spawnSync('bzip2', ['--help']).error === undefined;

/** The bytes core's own bzip2 reader (seek-bzip) gets back. */
async function bunzip(data: Buffer): Promise<Buffer> {
  const chunks: Buffer[] = [];
  const out = decompress(Readable.from([data]), 'bzip2', 64 * 1024 * 1024, () => new Error('big'));
  for await (const c of out) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

const json = Buffer.from(
  JSON.stringify({
    info: { subdir: 'noarch' },
    packages: Object.fromEntries(
      Array.from({ length: 3000 }, (_, i) => [
        `pkg${i}-1.${i}-py_0.tar.bz2`,
        { name: `pkg${i}`, version: `1.${i}`, depends: ['python >=3.8'], size: 1000 + i },
      ]),
    ),
  }),
);

describe('compressBzip2', () => {
  it.each([
    ['a JSON index over several 900 kB blocks', () => Buffer.concat([json, json, json, json])],
    ['incompressible bytes (output larger than input)', () => randomBytes(256 * 1024)],
    ['an empty document', () => Buffer.alloc(0)],
  ])('compresses %s so that core reads it back', async (_label, make) => {
    const input = make();
    const out = await compressBzip2(input);
    expect(out.subarray(0, 4).toString('latin1')).toBe('BZh9');
    expect((await bunzip(out)).equals(input)).toBe(true);
  });

  it('runs calls side by side, each getting its own bytes back', async () => {
    const inputs = Array.from({ length: 5 }, (_, i) => Buffer.from(`document ${i} `.repeat(1000)));
    const outs = await Promise.all(inputs.map((i) => compressBzip2(i)));
    for (const [i, out] of outs.entries()) expect((await bunzip(out)).equals(inputs[i])).toBe(true);
  });

  describeIf(bzip2Cli, 'the bzip2 command', 'bzip2 itself', () => {
    it('accepts the output (bzip2 -t, bzip2 -d)', async () => {
      const out = await compressBzip2(json);
      expect(spawnSync('bzip2', ['-t'], { input: out }).status).toBe(0);
      const back = spawnSync('bzip2', ['-dc'], { input: out, maxBuffer: 64 * 1024 * 1024 });
      expect(back.status).toBe(0);
      expect(back.stdout.equals(json)).toBe(true);
    });
  });
});
