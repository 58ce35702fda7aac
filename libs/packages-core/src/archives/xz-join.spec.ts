import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { InvalidArtifactError } from '../errors/registry-error';
import { joinXzStreams } from './xz-join';
import { encodeXz } from './xz-writer';

// Streams made by xz-utils (the reference encoder), joined, then read back by xz-utils and,
// where it is installed, by apt's own reader (apt-helper cat-file), which is why this exists.
const xz = (text: string, ...args: string[]) =>
  execFileSync('xz', ['-c', ...args], { input: text, maxBuffer: 1 << 26 });
const unxz = (bytes: Buffer) => execFileSync('xz', ['-dc'], { input: bytes, maxBuffer: 1 << 26 });
const APT_HELPER = '/usr/lib/apt/apt-helper';

describe('joinXzStreams', () => {
  const texts = ['Package: a\nVersion: 1\n\n', 'Package: b\nVersion: 2\n\n', 'x'.repeat(300_000)];

  it('makes one stream of the blocks of several, which xz reads as their concatenation', () => {
    const joined = joinXzStreams(texts.map((t) => xz(t)));
    expect(unxz(joined).toString()).toBe(texts.join(''));
    const dir = mkdtempSync(path.join(os.tmpdir(), 'wharf-xz-'));
    try {
      writeFileSync(path.join(dir, 'joined.xz'), joined);
      const list = execFileSync('xz', ['--robot', '-l', path.join(dir, 'joined.xz')]).toString();
      expect(list).toMatch(/^totals\t1\t3\t/m); // one stream, three blocks
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('keeps multi-block inputs whole and skips empty ones', () => {
    const multi = xz('y'.repeat(100_000), '--block-size=30000');
    const joined = joinXzStreams([xz(''), multi, xz(texts[0]), xz('')]);
    expect(unxz(joined).toString()).toBe('y'.repeat(100_000) + texts[0]);
  });

  it("joins core's own xz writer's streams (CRC32 checks)", () => {
    const joined = joinXzStreams(texts.map((t) => encodeXz(Buffer.from(t))));
    expect(unxz(joined).toString()).toBe(texts.join(''));
  });

  it('makes a valid empty stream of nothing', () => {
    expect(unxz(joinXzStreams([])).length).toBe(0);
  });

  const aptReads = existsSync(APT_HELPER);
  (aptReads ? it : it.skip)(
    'is read whole by apt, which stops after the first of concatenated streams',
    () => {
      const dir = mkdtempSync(path.join(os.tmpdir(), 'wharf-xz-'));
      try {
        const streams = texts.map((t) => xz(t));
        writeFileSync(path.join(dir, 'joined.xz'), joinXzStreams(streams));
        writeFileSync(path.join(dir, 'concatenated.xz'), Buffer.concat(streams));
        const cat = (name: string) =>
          spawnSync(APT_HELPER, ['cat-file', path.join(dir, name)], { maxBuffer: 1 << 26 }).stdout;
        expect(cat('joined.xz').toString()).toBe(texts.join(''));
        // Why joining is needed at all: apt reads the first stream of a concatenation only.
        expect(cat('concatenated.xz').toString()).toBe(texts[0]);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  );

  it('refuses streams whose check types differ, and anything that is not one stream', () => {
    expect(() => joinXzStreams([xz('a', '--check=crc32'), xz('b', '--check=crc64')])).toThrow(
      /different check types/,
    );
    const good = xz('abc');
    const corrupt = Buffer.from(good);
    corrupt[corrupt.length - 14] ^= 0xff; // inside the index: its CRC no longer matches
    for (const bad of [Buffer.from('not xz at all, not at all'), good.subarray(0, 20), corrupt])
      expect(() => joinXzStreams([bad])).toThrow(InvalidArtifactError);
  });
});
