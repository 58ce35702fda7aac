import { execFileSync } from 'node:child_process';
import {
  createReadStream,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { InvalidArtifactError, UnsafeArchiveEntryError } from '../errors/registry-error';
import { ArMember, ArReadOptions, isArArchive, readArIndex, walkAr } from './ar-reader';
import { ArchiveBudgetError, readTarEntry } from './tar-entry-reader';

// Archives made by the real toolchain where one exists: binutils' ar (GNU long names) and
// dpkg-deb (a .deb); the BSD and hostile ones are written byte by byte, as the format says.
let dir: string;
const sh = (script: string) =>
  execFileSync('sh', ['-c', script], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
const file = (name: string) => path.join(dir, name);

beforeAll(() => (dir = mkdtempSync(path.join(os.tmpdir(), 'wharf-ar-'))));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** One member as `ar` writes it: a 60-byte header, the data, "\n" to an even offset. */
function member(name: string, data: Buffer | string, size?: number): Buffer {
  const body = Buffer.from(data);
  const header =
    name.padEnd(16) +
    '0'.padEnd(12) +
    '0'.padEnd(6) +
    '0'.padEnd(6) +
    '100644'.padEnd(8) +
    String(size ?? body.length).padEnd(10) +
    '`\n';
  return Buffer.concat([
    Buffer.from(header, 'latin1'),
    body,
    body.length % 2 ? Buffer.from('\n') : Buffer.alloc(0),
  ]);
}
const ar = (...members: Buffer[]) => Buffer.concat([Buffer.from('!<arch>\n'), ...members]);

/** Every member as name → content, reading each whole. */
async function contents(archive: Readable, options?: ArReadOptions) {
  const out: Record<string, string> = {};
  for await (const m of walkAr(archive, options)) out[m.name] = (await m.read(1 << 20)).toString();
  return out;
}

/** Delivers `bytes` a few at a time, so every header and member straddles chunks. */
function trickle(bytes: Buffer, step = 7): Readable {
  const parts: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += step) parts.push(bytes.subarray(i, i + step));
  return Readable.from(parts);
}

async function refusal(archive: Readable, options?: ArReadOptions): Promise<Error> {
  try {
    await contents(archive, options);
  } catch (err) {
    return err as Error;
  }
  throw new Error('the archive was accepted');
}

describe('walkAr', () => {
  it('reads what binutils ar writes, long (GNU "//" table) and short names alike', async () => {
    writeFileSync(file('a-rather-long-member-name.txt'), 'long one\n');
    writeFileSync(file('short.o'), 'odd');
    writeFileSync(file('another-long-member-name.bin'), 'second long\n');
    sh('ar rc gnu.a a-rather-long-member-name.txt short.o another-long-member-name.bin');
    expect(await contents(createReadStream(file('gnu.a')))).toEqual({
      'a-rather-long-member-name.txt': 'long one\n',
      'short.o': 'odd',
      'another-long-member-name.bin': 'second long\n',
    });
  });

  it('reads a .deb that dpkg-deb built, and its control.tar through the tar reader', async () => {
    mkdirSync(file('pkg/DEBIAN'), { recursive: true });
    mkdirSync(file('pkg/usr/share/doc/hello'), { recursive: true });
    writeFileSync(
      file('pkg/DEBIAN/control'),
      'Package: hello\nVersion: 1.0\nArchitecture: all\nMaintainer: T <t@example.com>\nDescription: hi\n',
    );
    writeFileSync(file('pkg/usr/share/doc/hello/README'), 'hello\n');
    sh('dpkg-deb --root-owner-group -Zxz --build pkg hello.deb >/dev/null');
    const seen: string[] = [];
    let control: Buffer | undefined;
    for await (const m of walkAr(createReadStream(file('hello.deb')))) {
      seen.push(m.name);
      if (m.name === 'debian-binary') expect((await m.read(16)).toString()).toBe('2.0\n');
      if (m.name.startsWith('control.tar'))
        control = await readTarEntry(m.stream(), (e) => e.name.replace(/^\.\//, '') === 'control', {
          maxEntrySize: 1 << 16,
          maxUnpacked: 1 << 20,
        });
    }
    expect(seen).toEqual(['debian-binary', 'control.tar.xz', 'data.tar.xz']);
    expect(control?.toString()).toMatch(/^Package: hello\n/);
  });

  it('reads BSD names ("#1/<length>" before the data) and GNU trailing slashes', async () => {
    const bsdName = 'a-bsd-style-long-name.txt';
    const bytes = ar(
      member(
        `#1/${bsdName.length}`,
        Buffer.concat([Buffer.from(bsdName), Buffer.from('bsd data')]),
      ),
      member('control.tar.gz/', 'gnu slash'),
    );
    expect(await contents(trickle(bytes))).toEqual({
      [bsdName]: 'bsd data',
      'control.tar.gz': 'gnu slash',
    });
  });

  it('skips members left unread or half read, padding included, and skips symbol tables', async () => {
    const big = 'x'.repeat(200_001);
    const bytes = ar(
      member('/', 'symbols'),
      member('first', big),
      member('second', 'y'.repeat(99_999)),
      member('third', 'z'),
    );
    const got: Record<string, number> = {};
    for await (const m of walkAr(trickle(bytes, 4096))) {
      got[m.name] = m.size;
      if (m.name === 'second') {
        // Half read, then dropped: the next member must still be found.
        const stream = m.stream();
        for await (const _chunk of stream) break;
      }
      if (m.name === 'third') expect((await m.read(10)).toString()).toBe('z');
    }
    expect(got).toEqual({ first: 200_001, second: 99_999, third: 1 });
  });

  it('gives back what it read after the magic, and tells ar archives by their start', async () => {
    expect(isArArchive(ar(member('a', 'b')))).toBe(true);
    expect(isArArchive(Buffer.from('PK\x03\x04'))).toBe(false);
    expect(await contents(Readable.from([ar(), Buffer.from('\n')]))).toEqual({});
  });

  it.each([
    ['../x', 'the name holds a path separator'],
    ['a/b/', 'the name holds a path separator'],
    ['..', 'the name is ".."'],
    ['a\\b', 'the name holds a backslash'],
    ['a\u0001b', 'the name holds a control character'],
  ])('refuses a member named %j', async (name, rule) => {
    const err = await refusal(Readable.from([ar(member('ok', 'fine'), member(name, 'evil'))]));
    expect(err).toBeInstanceOf(UnsafeArchiveEntryError);
    expect(err.message).toContain(rule);
  });

  it('refuses a GNU long name that is a path', async () => {
    const table = '../../etc/evil/\n';
    const err = await refusal(Readable.from([ar(member('//', table), member('/0', 'x'))]));
    expect(err).toBeInstanceOf(UnsafeArchiveEntryError);
  });

  it.each([
    [
      'not an ar archive',
      Buffer.from('PK\x03\x04 not an ar archive at all'),
      /is not an ar archive/,
    ],
    ['an empty body', Buffer.alloc(0), /is not an ar archive/],
    ['a header cut short', ar(member('a', 'b')).subarray(0, 30), /truncated/],
    ['a member cut short', ar(member('a', 'b'.repeat(100))).subarray(0, 100), /truncated/],
    [
      'a header without its terminator',
      Buffer.concat([ar(), Buffer.from('a'.padEnd(58) + 'xx')]),
      /does not end in/,
    ],
    [
      'a size that is no number',
      Buffer.concat([ar(), Buffer.from('a'.padEnd(48) + '12ab'.padEnd(10) + '`\n')]),
      /size is not a number/,
    ],
    ['a long name without its table', ar(member('/4', 'x')), /long-name table it lacks/],
  ])('refuses %s with a 400', async (_label, bytes, message) => {
    const err = await refusal(Readable.from([bytes]), { label: 'the package' });
    expect(err).toBeInstanceOf(InvalidArtifactError);
    expect(err.message).toMatch(message);
  });

  it('stops at its budgets with a 413', async () => {
    const many = ar(...Array.from({ length: 5 }, (_, i) => member(`m${i}`, 'x')));
    expect(await refusal(Readable.from([many]), { maxMembers: 4 })).toBeInstanceOf(
      ArchiveBudgetError,
    );
    const names = ar(member('//', 'n'.repeat(100)));
    expect(await refusal(Readable.from([names]), { maxNameBytes: 50 })).toBeInstanceOf(
      ArchiveBudgetError,
    );
    let err: unknown;
    for await (const m of walkAr(Readable.from([ar(member('big', 'b'.repeat(1000)))])))
      err = await m.read(999).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ArchiveBudgetError);
  });

  it('releases the archive stream when the caller stops early', async () => {
    const source = new PassThrough();
    source.write(ar(member('first', 'a'), member('second', 'b')));
    let first: ArMember | undefined;
    for await (const m of walkAr(source)) {
      first = m;
      break;
    }
    expect(first?.name).toBe('first');
    expect(source.destroyed).toBe(true);
  });

  it('reads a member straddling many small chunks, byte for byte', async () => {
    const data = readFileSync(__filename);
    const bytes = ar(member('self', data), member('after', 'end'));
    const got: Record<string, Buffer> = {};
    for await (const m of walkAr(trickle(bytes, 3))) got[m.name] = await m.read(1 << 20);
    expect(got.self.equals(data)).toBe(true);
    expect(got.after.toString()).toBe('end');
  });
});

describe('readArIndex', () => {
  /** Ranged reads of a buffer, counted, as a staged blob is read from storage. */
  function ranges(bytes: Buffer) {
    const asked: [number, number][] = [];
    const open = async (start: number, end: number) => {
      asked.push([start, end]);
      return Readable.from([bytes.subarray(start, end + 1)]);
    };
    return { open, asked };
  }
  const index = async (bytes: Buffer, options?: ArReadOptions) => {
    const { open } = ranges(bytes);
    return readArIndex(open, bytes.length, options);
  };

  it('locates the members of a .deb by reading headers only', async () => {
    const deb = readFileSync(file('hello.deb'));
    const { open, asked } = ranges(deb);
    const entries = await readArIndex(open, deb.length);
    expect(entries.map((e) => e.name)).toEqual(['debian-binary', 'control.tar.xz', 'data.tar.xz']);
    const binary = entries[0];
    expect(deb.subarray(binary.offset, binary.offset + binary.size).toString()).toBe('2.0\n');
    // The magic and three headers: no member's content was read.
    expect(asked.map(([a, b]) => b - a + 1)).toEqual([8, 60, 60, 60]);
  });

  it('resolves GNU and BSD long names as the stream reader does', async () => {
    const gnu = await index(readFileSync(file('gnu.a')));
    expect(gnu.map((e) => e.name)).toEqual([
      'a-rather-long-member-name.txt',
      'short.o',
      'another-long-member-name.bin',
    ]);
    const bsdName = 'a-bsd-style-long-name.txt';
    const bytes = ar(
      member(`#1/${bsdName.length}`, Buffer.concat([Buffer.from(bsdName), Buffer.from('bsd')])),
      member('odd', 'x'),
    );
    const [bsd, odd] = await index(bytes);
    expect([bsd.name, bytes.subarray(bsd.offset, bsd.offset + bsd.size).toString()]).toEqual([
      bsdName,
      'bsd',
    ]);
    expect(odd.size).toBe(1);
    // The last member's padding byte left out is tolerated.
    expect((await index(bytes.subarray(0, bytes.length - 1))).length).toBe(2);
  });

  it('refuses an unsafe name anywhere, even after the member a reader wants', async () => {
    const bytes = ar(
      member('control.tar.gz', 'c'),
      member('data.tar.gz', 'd'),
      member('../x', 'e'),
    );
    await expect(index(bytes)).rejects.toBeInstanceOf(UnsafeArchiveEntryError);
  });

  it.each([
    [
      'cut inside the last member',
      ar(member('a', 'b'), member('data', 'x'.repeat(100))).subarray(0, 180),
    ],
    ['cut inside a header', ar(member('a', 'b'), member('data', 'x')).subarray(0, 100)],
    [
      'followed by bytes that are no member',
      Buffer.concat([ar(member('a', 'bb')), Buffer.from('garbage')]),
    ],
    ['not an ar archive', Buffer.from('PK\x03\x04 and so on and so forth')],
  ])('refuses an archive %s with a 400', async (_label, bytes) => {
    await expect(index(bytes)).rejects.toBeInstanceOf(InvalidArtifactError);
  });
});
