import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { InvalidArtifactError, UnsafeArchiveEntryError } from '../errors/registry-error';
import { buildRpm, hasRpmbuild } from '../testing/rpmbuild';
import { describeIf } from '../testing/test-env';
import { CpioEntry, walkCpio, walkRpmPayload } from './cpio-reader';
import { parseRpmHeader, readRpm, RpmSigTag, RpmTag } from './rpm-header-reader';
import { rpmComparison, rpmPackageInfo, splitRpmEvr } from './rpm-package-info';
import { ArchiveBudgetError } from './tar-entry-reader';

// Every rpm here is built by rpmbuild, every cpio by bsdtar; `rpm -qp` is the reference.

let dir: string;
let hello: string;
const PAYLOADS = { gzip: 'w9.gzdio', xz: 'w2.xzdio', zstd: 'w19.zstdio', bzip2: 'w9.bzdio' };
const built: Record<string, string> = {};

const rpmQuery = (file: string, format: string) =>
  execFileSync('rpm', ['-qp', '--nosignature', '--nodigest', '--qf', format, file], {
    env: { ...process.env, HOME: dir },
  }).toString();

const LOOSE = { maxEntrySize: 1 << 20, maxUnpacked: 1 << 30, allowLinks: true };

async function failure(promise: Promise<unknown>): Promise<Error> {
  return promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (err: Error) => err,
  );
}

async function entries(file: string | Buffer): Promise<Array<CpioEntry & { data?: string }>> {
  const rpm = await readRpm(
    typeof file === 'string' ? Readable.from(readFileSync(file)) : Readable.from(file),
  );
  const out: Array<CpioEntry & { data?: string }> = [];
  for await (const entry of walkRpmPayload(rpm.header, rpm.payload, LOOSE))
    out.push({
      ...entry,
      data: entry.type === 'file' ? (await entry.read()).toString() : undefined,
    });
  return out;
}

describeIf(
  hasRpmbuild(),
  'rpmbuild (apt-get install rpm)',
  'rpm header reader (rpmbuild packages)',
  () => {
    beforeAll(() => {
      dir = mkdtempSync(path.join(os.tmpdir(), 'wharf-rpm-'));
      hello = buildRpm(dir, {
        name: 'hello-wharf',
        version: '1.2.3',
        release: '4.el9',
        epoch: 2,
        arch: 'x86_64',
        summary: 'A test package',
        description: 'Hello for tests.\nSecond line.',
        url: 'https://example.org/hello',
        requires: ['bash >= 4.0', 'coreutils'],
        provides: ['hello = 1.2.3'],
        conflicts: ['hello-old < 1.0'],
        obsoletes: ['hello-older <= 0.9'],
        files: [
          { path: '/usr/bin/hello', content: '#!/bin/sh\necho hi\n', mode: '755' },
          { path: '/usr/bin/hello-data', symlinkTo: '../share/hello/data.txt' },
          { path: '/usr/share/hello', directive: '%dir' },
          { path: '/usr/share/hello/data.txt', content: 'data\n' },
          { path: '/usr/share/hello/ghost.log', directive: '%ghost' },
        ],
        changelog: '* Wed Mar 08 2023 Tester <t@example.org> - 1.2.3-4\n- Changelog message.',
      });
      for (const [name, payload] of Object.entries(PAYLOADS))
        built[name] = buildRpm(dir, { name: `pay-${name}`, version: '1.0', payload });
    });

    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it('reads NEVRA, descriptive fields and sizes as rpm -qp does', async () => {
      const rpm = await readRpm(Readable.from(readFileSync(hello)));
      rpm.payload.destroy();
      const info = rpmPackageInfo(rpm.header, rpm.signature);
      const q = (tag: string) => rpmQuery(hello, `%{${tag}}`);
      expect(info).toMatchObject({
        name: 'hello-wharf',
        epoch: 2,
        version: '1.2.3',
        release: '4.el9',
        arch: 'x86_64',
        isSource: false,
        summary: 'A test package',
        description: 'Hello for tests.\nSecond line.',
        url: 'https://example.org/hello',
        license: 'MIT',
        buildHost: q('BUILDHOST'),
        buildTime: Number(q('BUILDTIME')),
        sourceRpm: q('SOURCERPM'),
        installedSize: Number(q('SIZE')),
        archiveSize: Number(q('ARCHIVESIZE')),
        payloadFormat: 'cpio',
        payloadCompressor: 'gzip',
      });
      expect(rpm.lead).toMatchObject({ major: 3, type: 0, name: 'hello-wharf-2:1.2.3-4.el9' });
    });

    it('reads dependencies with their comparison and EVR', async () => {
      const rpm = await readRpm(Readable.from(readFileSync(hello)));
      rpm.payload.destroy();
      const info = rpmPackageInfo(rpm.header);
      const listed = (deps: typeof info.requires) =>
        deps.map(
          (d) =>
            `${d.name}${rpmComparison(d.flags) ? ` ${rpmComparison(d.flags)} ${d.version}` : ''}`,
        );
      expect(listed(info.requires)).toEqual(expect.arrayContaining(['bash GE 4.0', 'coreutils']));
      expect(info.requires.map((d) => d.name)).toEqual(
        rpmQuery(hello, '[%{REQUIRENAME}\n]').trim().split('\n'),
      );
      expect(listed(info.provides)).toEqual(
        expect.arrayContaining([
          'hello EQ 1.2.3',
          'hello-wharf EQ 2:1.2.3-4.el9',
          'hello-wharf(x86-64) EQ 2:1.2.3-4.el9',
        ]),
      );
      expect(listed(info.conflicts)).toEqual(['hello-old LT 1.0']);
      expect(listed(info.obsoletes)).toEqual(['hello-older LE 0.9']);
      expect(splitRpmEvr('2:1.2.3-4.el9')).toEqual({
        epoch: '2',
        version: '1.2.3',
        release: '4.el9',
      });
      expect(splitRpmEvr('1.0')).toEqual({ epoch: undefined, version: '1.0' });
    });

    it('reads the file list (paths, types, ghosts, links, digests) and the changelog', async () => {
      const rpm = await readRpm(Readable.from(readFileSync(hello)));
      rpm.payload.destroy();
      const info = rpmPackageInfo(rpm.header);
      expect(info.files.map((f) => f.path)).toEqual(
        rpmQuery(hello, '[%{FILENAMES}\n]').trim().split('\n'),
      );
      const byPath = Object.fromEntries(info.files.map((f) => [f.path, f]));
      expect(byPath['/usr/bin/hello']).toMatchObject({
        type: 'file',
        isExecutable: true,
        size: 18,
      });
      expect(byPath['/usr/bin/hello'].digest).toBe(
        createHash('sha256').update('#!/bin/sh\necho hi\n').digest('hex'),
      );
      expect(byPath['/usr/bin/hello-data']).toMatchObject({
        type: 'symlink',
        linkTo: '../share/hello/data.txt',
      });
      expect(byPath['/usr/share/hello']).toMatchObject({ type: 'dir', isExecutable: false });
      expect(byPath['/usr/share/hello/ghost.log']).toMatchObject({ isGhost: true });
      expect(byPath['/usr/share/hello/data.txt']).toMatchObject({
        isExecutable: false,
        isGhost: false,
      });
      expect(info.changelog).toEqual([
        {
          time: 1678276800,
          author: 'Tester <t@example.org> - 1.2.3-4',
          text: '- Changelog message.',
        },
      ]);
    });

    it('gives the byte ranges the signature digests cover', async () => {
      const bytes = readFileSync(hello);
      const rpm = await readRpm(Readable.from(bytes));
      const { layout } = rpm;
      expect(layout.lead).toEqual({ start: 0, end: 96 });
      expect(layout.signature.start).toBe(96);
      expect(layout.header.start % 8).toBe(0);
      const mainHeader = bytes.subarray(layout.header.start, layout.header.end);
      expect(mainHeader.equals(rpm.header.raw)).toBe(true);
      expect(createHash('sha256').update(mainHeader).digest('hex')).toBe(
        rpm.signature.string(RpmSigTag.Sha256),
      );
      expect(rpm.signature.number(RpmSigTag.Size)).toBe(bytes.length - layout.header.start);
      // The payload stream is the rest of the file, byte for byte.
      const payload: Buffer[] = [];
      for await (const chunk of rpm.payload) payload.push(chunk as Buffer);
      expect(Buffer.concat(payload).equals(bytes.subarray(layout.payloadStart))).toBe(true);
      expect(parseRpmHeader(mainHeader).string(RpmTag.Name)).toBe('hello-wharf');
    });

    it('walks the payload of each compression, checking its digest', async () => {
      const list = await entries(hello);
      expect(list.map((e) => `${e.type}:${e.name}`)).toEqual([
        'file:./usr/bin/hello',
        'symlink:./usr/bin/hello-data',
        'directory:./usr/share/hello',
        'file:./usr/share/hello/data.txt',
      ]);
      expect(list[0].data).toBe('#!/bin/sh\necho hi\n');
      for (const [compression, file] of Object.entries(built)) {
        const rpm = await readRpm(Readable.from(readFileSync(file)));
        expect(rpmPackageInfo(rpm.header).payloadCompressor).toBe(compression);
        rpm.payload.destroy();
        const names = (await entries(file)).map((e) => e.name);
        expect(names).toEqual([`./usr/share/pay-${compression}/README`]);
      }
    });

    it('refuses a header whose bytes changed after the build (digest mismatch)', async () => {
      const bytes = Buffer.from(readFileSync(hello));
      const rpm = await readRpm(Readable.from(bytes));
      rpm.payload.destroy();
      const at = bytes.indexOf('A test package', rpm.layout.header.start);
      bytes.write('A TEST', at);
      const err = await failure(readRpm(Readable.from(bytes)));
      expect(err).toBeInstanceOf(InvalidArtifactError);
      expect(err.message).toMatch(/main header does not match the sha256 digest/);
    });

    it('refuses malformed headers with a message naming the fault', async () => {
      const bytes = readFileSync(hello);
      const rpm = await readRpm(Readable.from(bytes));
      rpm.payload.destroy();
      const mutate = (fn: (b: Buffer) => void) => {
        const copy = Buffer.from(bytes);
        fn(copy);
        return failure(readRpm(Readable.from(copy), { verifyHeaderDigest: false }));
      };
      const h = rpm.layout.header.start;
      expect((await mutate((b) => b.write('XXXX', 0))).message).toMatch(/not an rpm package/);
      expect((await mutate((b) => b.writeUInt32BE(0xdeadbeef, h + 16 + 16 + 8))).message).toMatch(
        /points outside the data store/,
      );
      expect((await mutate((b) => b.writeUInt32BE(42, h + 16 + 16 + 4))).message).toMatch(
        /unknown type 42/,
      );
      expect((await mutate((b) => b.writeUInt32BE(0xfffff, h + 8))).message).toMatch(/declares/);
      expect((await mutate((b) => b.write('\x00\x00\x00\x00', 96))).message).toMatch(
        /header magic/,
      );
      const truncated = await failure(readRpm(Readable.from(bytes.subarray(0, h + 100))));
      expect(truncated).toBeInstanceOf(InvalidArtifactError);
      expect(truncated.message).toMatch(/truncated/);
      const tooLarge = await failure(readRpm(Readable.from(bytes), { maxHeaderSize: 1000 }));
      expect(tooLarge).toBeInstanceOf(ArchiveBudgetError);
    });

    it('refuses a payload changed after the build (payload digest)', async () => {
      const bytes = Buffer.from(readFileSync(built.zstd));
      const rpm = await readRpm(Readable.from(bytes));
      rpm.payload.destroy();
      // Appending bytes keeps the zstd frame readable but breaks the digest.
      const err = await failure(entries(Buffer.concat([bytes, Buffer.alloc(4)])));
      expect(err).toBeInstanceOf(InvalidArtifactError);
      const flipped = Buffer.from(bytes);
      flipped[bytes.length - 20] ^= 0xff;
      expect(await failure(entries(flipped))).toBeInstanceOf(InvalidArtifactError);
    });

    it('refuses an input stream error as it is, not as a bad package', async () => {
      const broken = new PassThrough();
      broken.write(readFileSync(hello).subarray(0, 50));
      setImmediate(() => broken.destroy(new Error('storage down')));
      expect((await failure(readRpm(broken))).message).toBe('storage down');
    });
  },
);

describe('cpio reader (bsdtar archives)', () => {
  let cdir: string;
  const sh = (script: string) => execFileSync('sh', ['-c', script], { cwd: cdir, stdio: 'pipe' });
  const walk = async (file: string, options = LOOSE) => {
    const out: string[] = [];
    for await (const e of walkCpio(Readable.from(readFileSync(path.join(cdir, file))), options))
      out.push(`${e.type}:${e.name}`);
    return out;
  };

  beforeAll(() => {
    cdir = mkdtempSync(path.join(os.tmpdir(), 'wharf-cpio-'));
    sh('mkdir -p t/sub && echo hi > t/sub/x && ln -s x t/sub/link && mkfifo t/fifo');
  });
  afterAll(() => rmSync(cdir, { recursive: true, force: true }));

  it('walks a newc archive, compressed or not', async () => {
    sh('bsdtar --format newc -cf plain.cpio -C t sub && gzip -k plain.cpio && xz -k plain.cpio');
    const want = ['directory:sub', 'file:sub/x', 'symlink:sub/link'];
    for (const file of ['plain.cpio', 'plain.cpio.gz', 'plain.cpio.xz'])
      expect((await walk(file)).sort()).toEqual(want.sort());
  });

  it.each([
    [
      'a ".." segment',
      ',^sub/x$,../x,',
      /"\.\.\/x" that is refused: the name has a "\.\." segment/,
    ],
    [
      'an absolute path',
      ',^sub/x$,/etc/x,',
      /"\/etc\/x" that is refused: the name is an absolute path/,
    ],
  ])('refuses an entry with %s', async (_what, rename, message) => {
    sh(`bsdtar -P --format newc -s '${rename}' -cf evil.cpio -C t sub/x`);
    const err = await failure(walk('evil.cpio'));
    expect(err).toBeInstanceOf(UnsafeArchiveEntryError);
    expect(err.message).toMatch(message);
  });

  it('refuses links and special files unless allowed', async () => {
    sh(
      'bsdtar --format newc -cf links.cpio -C t sub/link && bsdtar --format newc -cf fifo.cpio -C t fifo',
    );
    expect((await failure(walk('links.cpio', { ...LOOSE, allowLinks: false }))).message).toMatch(
      /symbolic link/,
    );
    expect((await failure(walk('fifo.cpio'))).message).toMatch(/fifo/);
  });

  it('stops a decompression bomb at the budget, early', async () => {
    // 200 MB of zeros gzip to ~200 KB; 10 MB of them come from the first ~10 KB.
    sh(
      'head -c 200000000 /dev/zero > t/zeros && bsdtar --format newc -cf - -C t zeros | gzip -9 > bomb.cpio.gz',
    );
    let read = 0;
    const source = createReadStream(path.join(cdir, 'bomb.cpio.gz'), { highWaterMark: 4096 }).pipe(
      new PassThrough({
        highWaterMark: 4096,
        transform(chunk: Buffer, _enc, done) {
          read += chunk.length;
          done(null, chunk);
        },
      }),
    );
    const walker = walkCpio(source, { ...LOOSE, maxUnpacked: 10_000_000 });
    const err = await failure(
      (async () => {
        for await (const entry of walker) for await (const chunk of entry.stream()) void chunk;
      })(),
    );
    expect(err).toBeInstanceOf(ArchiveBudgetError);
    expect(read).toBeLessThan(100_000);
  });

  it('refuses garbage and a truncated archive as invalid', async () => {
    writeFileSync(
      path.join(cdir, 'garbage.cpio.gz'),
      gzipSync(Buffer.from('not a cpio archive at all'.repeat(10))),
    );
    expect(await failure(walk('garbage.cpio.gz'))).toBeInstanceOf(InvalidArtifactError);
    sh('bsdtar --format newc -cf full.cpio -C t sub && head -c 200 full.cpio > cut.cpio');
    expect((await failure(walk('cut.cpio'))).message).toMatch(/truncated/);
  });

  it('refuses a gzip payload cut inside the entry being read, by read() and by stream()', async () => {
    sh(
      'head -c 300000 /dev/urandom > t/noise && bsdtar --format newc -cf - -C t noise | gzip > noise.cpio.gz',
    );
    const whole = readFileSync(path.join(cdir, 'noise.cpio.gz'));
    const half = () => Readable.from([whole.subarray(0, whole.length >> 1)]);
    const viaRead = await failure(
      (async () => {
        for await (const entry of walkCpio(half(), LOOSE)) await entry.read();
      })(),
    );
    expect(viaRead).toBeInstanceOf(InvalidArtifactError);
    const viaStream = await failure(
      (async () => {
        for await (const entry of walkCpio(half(), LOOSE))
          for await (const chunk of entry.stream()) void chunk;
      })(),
    );
    expect(viaStream).toBeInstanceOf(InvalidArtifactError);
  });
});
