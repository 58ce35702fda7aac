import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { decompress } from './decompress-stream';

// xz streams with SHA-256 checks (as rpm writes its payloads), made by the xz tool.
let dir: string;
const DATA = Buffer.from(
  Array.from({ length: 120_000 }, (_, i) => `row ${i} ${(i * 7919) % 104729}\n`).join(''),
);
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const xz = (args: string) =>
  execFileSync('sh', ['-c', `xz -c ${args} data`], { cwd: dir, maxBuffer: 1 << 28 });

async function unxz(bytes: Buffer): Promise<Buffer> {
  const out: Buffer[] = [];
  const fail = () => new Error('over budget');
  for await (const chunk of decompress(Readable.from(bytes), 'xz', 1 << 30, fail))
    out.push(chunk as Buffer);
  return Buffer.concat(out);
}

beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'wharf-xz-'));
  writeFileSync(path.join(dir, 'data'), DATA);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('xz streams with checks xz-embedded does not verify', () => {
  it.each([
    ['one block, SHA-256', '--check=sha256'],
    ['several blocks with sizes in their headers', '-T2 --block-size=300000 --check=sha256'],
    ['several blocks without sizes', '--block-size=300000 --check=sha256'],
    ['a CRC64 stream, untouched', '--check=crc64'],
  ])('decodes %s', async (_what, args) => {
    expect(sha(await unxz(xz(args)))).toBe(sha(DATA));
  });

  it('decodes concatenated streams with stream padding between them', async () => {
    const two = Buffer.concat([xz('--check=sha256'), Buffer.alloc(8), xz('--check=sha256')]);
    expect(sha(await unxz(two))).toBe(sha(Buffer.concat([DATA, DATA])));
  });

  it('refuses damaged framing and damaged data', async () => {
    const good = xz('--check=sha256');
    const header = Buffer.from(good);
    header[7] ^= 0x01; // stream flags no longer match their CRC32
    await expect(unxz(header)).rejects.toThrow(/corrupt/);
    const data = Buffer.from(good);
    data[good.length / 2] ^= 0xff;
    await expect(unxz(data)).rejects.toThrow(/corrupt|xz/);
    await expect(unxz(good.subarray(0, good.length - 30))).rejects.toThrow();
    expect(readFileSync(path.join(dir, 'data')).length).toBe(DATA.length);
  });
});
