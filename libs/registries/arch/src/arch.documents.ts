import { ArchFileMetadata } from './arch.metadata';

/*
 * The pacman sync database (docs/protocols/arch.md §4), as repo-add writes it: a tar of
 * `{name}-{version}/desc` entries (and `{name}-{version}/files` in the `.files` database),
 * gzip-compressed. Pure builders: a package's entries as tar bytes with no end-of-archive
 * marker, so that parts can be gzip'd on their own and joined (gzip members back to back
 * are one stream to libarchive, and so to pacman), then closed by {@link TAR_END}.
 */

/** What a desc entry needs beyond the package's own `.PKGINFO` values. */
export interface DescEntry {
  fileName: string;
  md5: string;
  sha256: string;
  /** Base64 of the package's detached signature (`%PGPSIG%`). */
  signature?: string;
  compressedSize: number;
  meta: ArchFileMetadata;
}

/** The `desc` text, fields in repo-add's order; empty values are left out. */
export function descText(e: DescEntry): string {
  const m = e.meta;
  const fields: [string, string | number | string[] | undefined][] = [
    ['FILENAME', e.fileName],
    ['NAME', m.name],
    ['BASE', m.base],
    ['VERSION', m.version],
    ['DESC', m.description],
    ['GROUPS', m.groups],
    ['CSIZE', e.compressedSize],
    ['ISIZE', m.installed_size],
    ['MD5SUM', e.md5],
    ['SHA256SUM', e.sha256],
    ['PGPSIG', e.signature],
    ['URL', m.url],
    ['LICENSE', m.licenses],
    ['ARCH', m.architecture],
    ['BUILDDATE', m.build_date],
    ['PACKAGER', m.packager],
    ['REPLACES', m.replaces],
    ['CONFLICTS', m.conflicts],
    ['PROVIDES', m.provides],
    ['DEPENDS', m.depends],
    ['OPTDEPENDS', m.optdepends],
    ['MAKEDEPENDS', m.makedepends],
    ['CHECKDEPENDS', m.checkdepends],
  ];
  let out = '';
  for (const [key, value] of fields) {
    const lines = Array.isArray(value) ? value : value === undefined ? [] : [String(value)];
    if (lines.length === 0 || (lines.length === 1 && lines[0] === '')) continue;
    out += `%${key}%\n${lines.join('\n')}\n\n`;
  }
  return out;
}

/** The `files` text: `%FILES%` and one path per line. */
export function filesText(meta: ArchFileMetadata): string {
  return `%FILES%\n${meta.files.map((f) => `${f}\n`).join('')}\n`;
}

/** The directory of a package's entries in the database. */
export function entryDirectory(meta: ArchFileMetadata): string {
  return `${meta.name}-${meta.version}`;
}

/** Two zero blocks: the end of a tar archive. */
export const TAR_END = Buffer.alloc(1024);

/** One regular-file entry (header, content, padding); a pax record carries a long name. */
export function tarEntry(name: string, content: Buffer | string): Buffer {
  const body = Buffer.isBuffer(content) ? content : Buffer.from(content);
  const parts: Buffer[] = [];
  let headerName = name;
  if (Buffer.byteLength(name) > 100) {
    parts.push(
      ...tarBlocks(
        header('PaxHeader', paxRecord('path', name).length, 'x'),
        paxRecord('path', name),
      ),
    );
    headerName = name.slice(0, 100);
  }
  parts.push(...tarBlocks(header(headerName, body.length, '0'), body));
  return Buffer.concat(parts);
}

function tarBlocks(head: Buffer, body: Buffer): Buffer[] {
  const pad = (512 - (body.length % 512)) % 512;
  return [head, body, Buffer.alloc(pad)];
}

function paxRecord(key: string, value: string): Buffer {
  const tail = ` ${key}=${value}\n`;
  let length = Buffer.byteLength(tail) + 1;
  while (String(length).length + Buffer.byteLength(tail) !== length) length++;
  return Buffer.from(`${length}${tail}`);
}

/** A ustar header: mode 0644, owner root, mtime 0 (the database is the same bytes everywhere). */
function header(name: string, size: number, type: string): Buffer {
  const h = Buffer.alloc(512);
  h.write(name, 0, 100, 'utf8');
  const octal = (value: number, at: number, width: number) =>
    h.write(`${value.toString(8).padStart(width - 1, '0')}\0`, at, width, 'ascii');
  octal(0o644, 100, 8);
  octal(0, 108, 8);
  octal(0, 116, 8);
  octal(size, 124, 12);
  octal(0, 136, 12);
  h.fill(' ', 148, 156);
  h.write(type, 156, 1, 'ascii');
  h.write('ustar\u000000', 257, 8, 'ascii');
  h.write('root', 265, 32, 'ascii');
  h.write('root', 297, 32, 'ascii');
  let sum = 0;
  for (const byte of h) sum += byte;
  h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 8, 'ascii');
  return h;
}

/** A package's entries in the `.db` (desc) and in the `.files` database (desc and files). */
export function packageEntries(e: DescEntry): { db: Buffer; files: Buffer } {
  const dir = entryDirectory(e.meta);
  const desc = tarEntry(`${dir}/desc`, descText(e));
  return { db: desc, files: Buffer.concat([desc, tarEntry(`${dir}/files`, filesText(e.meta))]) };
}
