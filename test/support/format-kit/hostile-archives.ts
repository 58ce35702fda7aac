import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import * as tar from 'tar-stream';

/*
 * Hostile archives for the corpus test (issue 11), built here rather than kept as fixtures:
 * slips, absolute paths, links, a bomb, a truncated archive and one with the wrong magic.
 * Each is built around the one entry a format reads (`package/package.json`,
 * `<chart>/Chart.yaml`, `<sdist>/PKG-INFO`, `<wheel>.dist-info/METADATA`), so the archive
 * would be accepted but for what makes it hostile.
 */

export interface ArchiveEntry {
  name: string;
  body?: string | Buffer;
  type?: 'file' | 'symlink' | 'link';
  linkname?: string;
  /** Zips only: that many zero bytes as the body (made by the zip builder, not sent to it). */
  zeros?: number;
}

export interface HostileArchive {
  label: string;
  /** The archive, given the entry that makes it a package of the format. */
  build(valid: ArchiveEntry): Promise<Buffer>;
}

/** A gzip'd tar of `entries`, made with tar-stream (which writes any name it is given). */
export async function tgzOf(entries: ArchiveEntry[]): Promise<Buffer> {
  const pack = tar.pack();
  for (const e of entries) {
    if (e.type === 'symlink' || e.type === 'link')
      pack.entry({ name: e.name, type: e.type, linkname: e.linkname ?? '' });
    else pack.entry({ name: e.name, mode: 0o644 }, e.body ?? '');
  }
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const c of pack) chunks.push(c as Buffer);
  return gzipSync(Buffer.concat(chunks));
}

/**
 * A ustar header declaring `size` bytes for `name`, then `actual` zeros, gzip'd: the
 * declared 2 GiB compress to a few kilobytes (the bomb of issue 11, as GNU tar writes it).
 */
function bombOf(name: string, size: number, actual: number): Buffer {
  const header = Buffer.alloc(512);
  header.write(name, 0, 100, 'utf8');
  header.write('0000644\0', 100);
  header.write('0000000\0', 108);
  header.write('0000000\0', 116);
  header.write(`${size.toString(8).padStart(11, '0')}\0`, 124);
  header.write('00000000000\0', 136);
  header.write('        ', 148);
  header.write('0', 156);
  header.write('ustar\0', 257);
  header.write('00', 263);
  let sum = 0;
  for (const byte of header) sum += byte;
  header.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
  return gzipSync(Buffer.concat([header, Buffer.alloc(actual)]), { level: 9 });
}

/** The tar-based hostile archives (npm tarballs, charts, sdists). */
export const HOSTILE_TARS: HostileArchive[] = [
  {
    label: 'tar slip (../ entry)',
    build: (valid) => tgzOf([valid, { name: '../../evil.sh', body: 'echo owned' }]),
  },
  {
    label: 'absolute path entry',
    build: (valid) => tgzOf([valid, { name: '/etc/cron.d/evil', body: '* * * * * root x' }]),
  },
  {
    label: 'Windows absolute path entry',
    build: (valid) => tgzOf([valid, { name: 'C:\\Windows\\evil.bat', body: 'x' }]),
  },
  {
    label: 'symlink entry',
    build: (valid) =>
      tgzOf([valid, { name: `${dirOf(valid)}/link`, type: 'symlink', linkname: '/etc/passwd' }]),
  },
  {
    label: 'hardlink entry',
    build: (valid) =>
      tgzOf([valid, { name: `${dirOf(valid)}/hard`, type: 'link', linkname: '../../etc/passwd' }]),
  },
  {
    label: 'gzip bomb (the read entry declares 2 GiB)',
    build: async (valid) => bombOf(valid.name, 2 * 1024 ** 3, 16 * 1024 ** 2),
  },
  {
    label: 'truncated archive',
    build: async (valid) => {
      const whole = await tgzOf([valid, { name: `${dirOf(valid)}/pad`, body: 'p'.repeat(4096) }]);
      return whole.subarray(0, Math.floor(whole.length / 2));
    },
  },
  {
    label: 'wrong magic (a zip where gzip is due)',
    build: async () => Buffer.concat([Buffer.from('PK\x03\x04'), Buffer.alloc(60, 1)]),
  },
];

/** The zip-based hostile archives (wheels), made with Python's zipfile as pip's tools do. */
export const HOSTILE_ZIPS: HostileArchive[] = [
  {
    label: 'zip slip (../ entry)',
    build: async (valid) => zipOf([valid, { name: '../../evil.py', body: 'x' }]),
  },
  {
    label: 'absolute path entry',
    build: async (valid) => zipOf([valid, { name: '/etc/evil.py', body: 'x' }]),
  },
  {
    label: 'symlink entry',
    build: async (valid) =>
      zipOf([valid, { name: 'evil', type: 'symlink', linkname: '/etc/passwd' }]),
  },
  {
    label: 'zip bomb (the read entry inflates past its budget)',
    build: async (valid) => zipOf([{ name: valid.name, zeros: 16 * 1024 ** 2 }]),
  },
  {
    label: 'truncated archive',
    build: async (valid) => {
      const whole = await zipOf([valid, { name: 'pad', body: 'p'.repeat(4096) }]);
      return whole.subarray(0, Math.floor(whole.length / 2));
    },
  },
  {
    label: 'wrong magic (a gzip where a zip is due)',
    build: async (valid) => tgzOf([valid]),
  },
];

const BUILD_ZIP = `
import json, sys, zipfile
entries = json.load(sys.stdin)
with zipfile.ZipFile(sys.stdout.buffer, 'w', zipfile.ZIP_DEFLATED) as z:
    for e in entries:
        info = zipfile.ZipInfo(e['name'])
        info.compress_type = zipfile.ZIP_DEFLATED
        if e.get('type') == 'symlink':
            info.external_attr = 0o120777 << 16
            z.writestr(info, e['linkname'])
        else:
            info.external_attr = 0o644 << 16
            z.writestr(info, bytes(e['zeros']) if e.get('zeros') else bytes.fromhex(e['hex']))
`;

// Debian's interpreter when there: a pyenv shim on PATH costs ~0.8 s per call under load.
const PYTHON = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';

function zipOf(entries: ArchiveEntry[]): Buffer {
  const input = entries.map((e) => ({
    name: e.name,
    type: e.type,
    linkname: e.linkname,
    zeros: e.zeros,
    hex: Buffer.from(e.body ?? '').toString('hex'),
  }));
  const res = spawnSync(PYTHON, ['-c', BUILD_ZIP], {
    input: JSON.stringify(input),
    maxBuffer: 256 * 1024 ** 2,
  });
  if (res.status !== 0) throw new Error(`python3 zipfile failed: ${res.stderr.toString()}`);
  return res.stdout;
}

function dirOf(entry: ArchiveEntry): string {
  return entry.name.split('/')[0];
}
