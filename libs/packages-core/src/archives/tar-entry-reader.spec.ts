import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  createReadStream,
  linkSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { InvalidArtifactError } from '../errors/registry-error';
import {
  ArchiveBudgetError,
  readTarEntry,
  TarCompression,
  TarReadOptions,
  walkTar,
} from './tar-entry-reader';
import { readZipEntry } from './zip-entry-reader';

// Every archive here is made by the real toolchain: GNU tar, gzip, bzip2, xz, zstd, zip.
let dir: string;
const sh = (script: string) =>
  execFileSync('sh', ['-c', script], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
const file = (name: string) => path.join(dir, name);
const open = (name: string) => createReadStream(file(name));

const LOOSE: TarReadOptions = { maxEntrySize: 1 << 20, maxUnpacked: 1 << 30 };
// 2.5 MB of text that compresses a little: several bzip2 blocks and several zstd blocks.
const BIG = Buffer.from(
  Array.from({ length: 60_000 }, (_, i) => `line ${i} ${(i * 7919) % 104729}\n`).join(''),
);
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

async function failure(promise: Promise<unknown>): Promise<Error> {
  return promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (err: Error) => err,
  );
}

async function names(archive: Readable, options: TarReadOptions = LOOSE): Promise<string[]> {
  const out: string[] = [];
  for await (const entry of walkTar(archive, options)) out.push(`${entry.type}:${entry.name}`);
  return out;
}

/** Counts the compressed bytes the reader pulled, to show a refusal stopped early. */
function counted(name: string): { stream: Readable; read: () => number } {
  let read = 0;
  const stream = createReadStream(file(name), { highWaterMark: 4096 }).pipe(
    new PassThrough({
      transform(chunk: Buffer, _enc, done) {
        read += chunk.length;
        done(null, chunk);
      },
    }),
  );
  return { stream, read: () => read };
}

beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'wharf-tar-'));
  mkdirSync(file('pkg/sub'), { recursive: true });
  writeFileSync(file('pkg/PKG-INFO'), 'Metadata-Version: 2.1\nName: demo\n');
  writeFileSync(file('pkg/sub/big.txt'), BIG);
  sh('tar -cf pkg.tar pkg');
  sh('gzip -kf pkg.tar && bzip2 -kf pkg.tar && xz -kf pkg.tar && zstd -qkf pkg.tar');
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('walkTar and readTarEntry: each compression', () => {
  it.each([
    ['pkg.tar', 'none'],
    ['pkg.tar.gz', 'gzip'],
    ['pkg.tar.bz2', 'bzip2'],
    ['pkg.tar.xz', 'xz'],
    ['pkg.tar.zst', 'zstd'],
  ] as [string, TarCompression][])('reads %s, detected and named', async (name, compression) => {
    for (const asked of ['detect', compression] as const) {
      const seen: Record<string, string> = {};
      for await (const entry of walkTar(open(name), { ...LOOSE, compression: asked })) {
        if (entry.name === 'pkg/sub/big.txt') {
          expect(entry.size).toBe(BIG.length);
          const chunks: Buffer[] = [];
          for await (const c of entry.stream()) chunks.push(c as Buffer);
          seen[entry.name] = sha(Buffer.concat(chunks));
        } else seen[entry.name] = entry.type;
      }
      expect(seen).toEqual({
        'pkg/': 'directory',
        'pkg/PKG-INFO': 'file',
        'pkg/sub/': 'directory',
        'pkg/sub/big.txt': sha(BIG),
      });
      const info = await readTarEntry(open(name), (e) => /^[^/]+\/PKG-INFO$/.test(e.name), {
        ...LOOSE,
        compression: asked,
      });
      expect(info?.toString()).toBe('Metadata-Version: 2.1\nName: demo\n');
    }
  });

  it('answers undefined when no regular file matches', async () => {
    expect(await readTarEntry(open('pkg.tar.gz'), (e) => e.name === 'pkg/sub/', LOOSE)).toBe(
      undefined,
    );
  });

  it('reads concatenated gzip members as one stream (alpine .apk: signature, control, data)', async () => {
    mkdirSync(file('apk'), { recursive: true });
    writeFileSync(file('apk/.SIGN.RSA.key.pub'), 'sig');
    writeFileSync(file('apk/.PKGINFO'), 'pkgname = demo\n');
    mkdirSync(file('apk/usr/bin'), { recursive: true });
    writeFileSync(file('apk/usr/bin/demo'), '#!/bin/sh\n');
    // abuild cuts the end-of-archive blocks off the first two segments; GNU tar keeps them
    // here, which the reader must step over as well.
    sh(
      'cd apk && tar -cf - .SIGN.RSA.key.pub | gzip -n > ../sig.gz && ' +
        'tar -cf - .PKGINFO | gzip -n > ../control.gz && tar -cf - usr | gzip -n > ../data.gz && ' +
        'cd .. && cat sig.gz control.gz data.gz > demo.apk',
    );
    expect(await names(open('demo.apk'), { ...LOOSE, compression: 'gzip' })).toEqual([
      'file:.SIGN.RSA.key.pub',
      'file:.PKGINFO',
      'directory:usr/',
      'directory:usr/bin/',
      'file:usr/bin/demo',
    ]);
  });

  it('reads a .conda-like package: a zip holding a zstd tar made by zstd', async () => {
    mkdirSync(file('conda/info'), { recursive: true });
    writeFileSync(file('conda/info/index.json'), '{"name":"demo","version":"1.0"}');
    sh(
      'cd conda && tar -cf - info | zstd -q -19 > ../info-demo-1.0-0.tar.zst && cd .. && ' +
        'zip -q -0 demo-1.0-0.conda info-demo-1.0-0.tar.zst',
    );
    const zip = readFileSync(file('demo-1.0-0.conda'));
    const inner = await readZipEntry(
      async (start, end) => Readable.from([zip.subarray(start, end + 1)]),
      zip.length,
      (name) => name.startsWith('info-'),
      { maxEntrySize: 1 << 20 },
    );
    const index = await readTarEntry(Readable.from([inner!]), (e) => e.name === 'info/index.json', {
      ...LOOSE,
      compression: 'zstd',
    });
    expect(JSON.parse(index!.toString())).toEqual({ name: 'demo', version: '1.0' });
  });

  it('releases the xz decoder when the walk stops early, so the next xz archive reads', async () => {
    for await (const entry of walkTar(open('pkg.tar.xz'), LOOSE)) {
      expect(entry.name).toBe('pkg/');
      break;
    }
    expect(await names(open('pkg.tar.xz'))).toHaveLength(4);
  });
});

describe('refusals', () => {
  /** A tar.gz of `entries` made by GNU tar in `cwd`, with -P so names are kept as given. */
  function tarOf(cwd: string, entries: string, extra = ''): Buffer {
    return execFileSync('sh', ['-c', `tar -cPzf - ${extra} ${entries}`], { cwd });
  }
  let work: string;
  beforeAll(() => {
    work = path.join(dir, 'refuse/inner');
    mkdirSync(work, { recursive: true });
    writeFileSync(path.join(dir, 'refuse/evil'), 'x');
    writeFileSync(path.join(work, 'ok'), 'x');
    writeFileSync(path.join(work, 'back\\slash'), 'x');
    writeFileSync(path.join(work, 'ctl\u0001char'), 'x');
    symlinkSync('/etc/passwd', path.join(work, 'to-passwd'));
    symlinkSync('ok', path.join(work, 'to-ok'));
    symlinkSync('../../../x', path.join(work, 'up-and-out'));
    linkSync(path.join(work, 'ok'), path.join(work, 'hard'));
  });

  it.each([
    ['a ".." segment', '../evil', /"\.\.\/evil" that is refused: the name has a "\.\." segment/],
    ['an absolute path', '"$PWD/../evil"', /the name is an absolute path/],
    ['a backslash', "'back\\slash'", /"back\\\\slash" that is refused: the name holds a backslash/],
    ['a control character', '"$(printf \'ctl\\001char\')"', /holds a control character/],
    ['a symbolic link', 'to-passwd', /"to-passwd" that is refused: it is a symbolic link/],
    ['a hard link', 'ok hard', /"hard" that is refused: it is a hard link/],
  ])(
    'refuses %s (InvalidArtifactError naming the entry and the rule)',
    async (_what, entries, rule) => {
      const err = await failure(
        readTarEntry(Readable.from([tarOf(work, entries)]), () => true, {
          ...LOOSE,
          label: 'the upload',
        }),
      );
      expect(err).toBeInstanceOf(InvalidArtifactError);
      expect(err.message).toMatch(/^the upload has an entry /);
      expect(err.message).toMatch(rule);
    },
  );

  it('refuses a bad entry that comes after the one asked for', async () => {
    const archive = tarOf(work, 'ok ../evil');
    await expect(
      readTarEntry(Readable.from([archive]), (e) => e.name === 'ok', LOOSE),
    ).rejects.toThrow(/has a "\.\." segment/);
  });

  it('accepts links when allowed, unless their target leaves the archive', async () => {
    const options = { ...LOOSE, allowLinks: true };
    expect(await names(Readable.from([tarOf(work, 'ok hard to-ok')]), options)).toEqual([
      'file:ok',
      'link:hard',
      'symlink:to-ok',
    ]);
    await expect(names(Readable.from([tarOf(work, 'to-passwd')]), options)).rejects.toThrow(
      /link target "\/etc\/passwd" is unsafe \(the name is an absolute path\)/,
    );
    await expect(names(Readable.from([tarOf(work, 'up-and-out')]), options)).rejects.toThrow(
      /link target "\.\.\/\.\.\/\.\.\/x" is unsafe/,
    );
  });

  it('refuses a truncated archive, whatever its compression', async () => {
    for (const name of ['pkg.tar', 'pkg.tar.gz', 'pkg.tar.bz2', 'pkg.tar.xz', 'pkg.tar.zst']) {
      const whole = readFileSync(file(name));
      const err = await failure(names(Readable.from([whole.subarray(0, whole.length >> 1)])));
      expect(err).toBeInstanceOf(InvalidArtifactError);
      expect(err.message).toMatch(/^the tar archive is not a valid (\w+-compressed )?tar archive/);
    }
  });

  it('refuses a truncated archive that ends inside the entry being read, by read() and by stream()', async () => {
    const drain = async (stream: Readable) => {
      for await (const chunk of stream) void chunk;
    };
    for (const name of ['pkg.tar', 'pkg.tar.gz', 'pkg.tar.bz2', 'pkg.tar.xz', 'pkg.tar.zst']) {
      const whole = readFileSync(file(name));
      const half = () => Readable.from([whole.subarray(0, whole.length >> 1)]);
      const viaRead = await failure(
        (async () => {
          for await (const entry of walkTar(half(), LOOSE)) await entry.read();
        })(),
      );
      expect([name, viaRead]).toEqual([name, expect.any(InvalidArtifactError)]);
      const viaStream = await failure(
        (async () => {
          for await (const entry of walkTar(half(), LOOSE)) await drain(entry.stream());
        })(),
      );
      expect([name, viaStream]).toEqual([name, expect.any(InvalidArtifactError)]);
    }
  });

  it('refuses wrong magic: text given as gzip, and bytes that are no archive at all', async () => {
    const text = Readable.from([
      Buffer.from('this is not an archive at all, only text. '.repeat(20)),
    ]);
    const err = await failure(names(text, { ...LOOSE, compression: 'gzip', label: 'the chart' }));
    expect(err).toBeInstanceOf(InvalidArtifactError);
    expect(err.message).toMatch(/^the chart is not a valid gzip-compressed tar archive/);
    const plain = await failure(names(Readable.from([Buffer.alloc(1024, 'x')])));
    expect(plain).toBeInstanceOf(InvalidArtifactError);
    expect(plain.message).toMatch(/^the tar archive is not a valid tar archive/);
    const gzippedText = execFileSync('sh', ['-c', 'echo hello | gzip']);
    await expect(names(Readable.from([gzippedText]))).rejects.toThrow(InvalidArtifactError);
  });

  it('passes an error of the archive stream itself through unchanged', async () => {
    const storageDown = new Error('storage is down');
    const archive = new Readable({
      read() {
        this.push(readFileSync(file('pkg.tar.gz')).subarray(0, 100));
        this.destroy(storageDown);
      },
    });
    expect(await failure(names(archive))).toBe(storageDown);
  });
});

describe('budgets', () => {
  it('refuses to read an entry over maxEntrySize, from its header', async () => {
    const err = await failure(
      readTarEntry(open('pkg.tar.gz'), (e) => e.name.endsWith('big.txt'), {
        ...LOOSE,
        maxEntrySize: 1000,
      }),
    );
    expect(err).toBeInstanceOf(ArchiveBudgetError);
    expect((err as ArchiveBudgetError).status).toBe(413);
    expect(err.message).toBe(
      `the tar archive has an entry "pkg/sub/big.txt" of ${BIG.length} bytes; at most 1000 are read`,
    );
  });

  it('refuses more than maxEntries entries', async () => {
    mkdirSync(file('many'), { recursive: true });
    for (let i = 0; i < 30; i++) writeFileSync(file(`many/f${i}`), '');
    sh('tar -czf many.tar.gz many');
    const err = await failure(names(open('many.tar.gz'), { ...LOOSE, maxEntries: 30 }));
    expect(err).toBeInstanceOf(ArchiveBudgetError);
    expect(err.message).toBe('the tar archive has more than 30 entries');
    expect(await names(open('many.tar.gz'), { ...LOOSE, maxEntries: 31 })).toHaveLength(31);
  });

  it.each([
    ['gzip', 'gzip -1', 1024, 0.25],
    ['zstd', 'zstd -q -3', 1024, 0.25],
    ['xz', 'xz -1', 256, 0.5],
    // 64 MiB of zeros is one 528-byte bzip2 read: what stops it is the cap inside a block.
    ['bzip2', 'bzip2 -1', 64, 1],
  ])(
    'stops a %s bomb (MiB of zeros in a small file) at maxUnpacked, reading little of it',
    async (_name, compress, mib, fraction) => {
      const bomb = `bomb-${mib}.${compress.split(' ')[0]}`;
      sh(`truncate -s ${mib}M zeros-${mib} && tar -cf - zeros-${mib} | ${compress} > ${bomb}`);
      const size = statSync(file(bomb)).size;
      expect(size).toBeLessThan((mib * 1024 * 1024) / 200);
      const input = counted(bomb);
      const err = await failure(
        names(input.stream, { ...LOOSE, maxUnpacked: 16 * 1024 * 1024, label: 'the sdist' }),
      );
      expect(err).toBeInstanceOf(ArchiveBudgetError);
      expect(err).not.toBeInstanceOf(InvalidArtifactError);
      expect(err.message).toBe('the sdist unpacks to more than 16777216 bytes');
      // Refused within the budget: only a part of the compressed file was pulled in.
      expect(input.read()).toBeLessThanOrEqual(size * fraction);
    },
  );

  it('refuses a zstd frame whose window is over 128 MiB before allocating it', async () => {
    sh('head -c 1000 /dev/urandom > rnd && tar -cf - rnd | zstd -q --long=28 > long.tar.zst');
    await expect(names(open('long.tar.zst'))).rejects.toThrow(
      /a zstd frame needs a 268435456-byte window; at most 134217728 are accepted/,
    );
  });

  it('refuses an xz stream whose dictionary is over 64 MiB', async () => {
    sh('tar -cf - rnd | xz --lzma2=dict=128MiB > bigdict.tar.xz');
    await expect(names(open('bigdict.tar.xz'))).rejects.toThrow(
      /needs a dictionary larger than 64 MiB/,
    );
  });
});
