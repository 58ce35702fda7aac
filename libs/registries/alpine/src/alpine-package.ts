import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import * as zlib from 'node:zlib';
import {
  ArchiveBudgetError,
  InvalidArtifactError,
  TarEntryHeader,
  walkTar,
} from '@wharf/packages-core';

/*
 * Reads the control part of an uploaded .apk (docs/protocols/alpine.md §3). An apk v2
 * package is gzip members back to back: an optional signature segment (a tar holding
 * `.SIGN.*`), the control segment (a tar holding `.PKGINFO` and install scripts) and the
 * data segment. Both tars before the data are cut: no end-of-archive blocks. apk
 * identifies a package by the SHA-1 of the control segment's *compressed* member, so
 * the member boundaries matter, and zlib's gunzip hides them: each member's header is read
 * here, its deflate stream inflated on its own (zlib reports the bytes it consumed), its
 * trailer checked. Only the first members are read, from a bounded window at the start of
 * the file; the data segment is checked to begin as gzip but never unpacked (the registry
 * does not extract or list package contents).
 */

export interface ApkLimits {
  /** Compressed bytes at the start of the file the signature and control segments must fit in. */
  maxWindow: number;
  /** Unpacked bytes of one of those segments. */
  maxUnpacked: number;
}

export const DEFAULT_APK_LIMITS: ApkLimits = {
  maxWindow: 8 * 1024 * 1024,
  maxUnpacked: 10 * 1024 * 1024,
};

export interface ApkControl {
  /** The text of `.PKGINFO`. */
  pkginfo: string;
  /** `Q1` + base64 SHA-1 of the control segment's gzip member (APKINDEX `C:`). */
  checksum: string;
  /** Whether a signature segment came first. */
  signed: boolean;
}

const GZIP_MAGIC = [0x1f, 0x8b, 0x08];
const FHCRC = 0x02;
const FEXTRA = 0x04;
const FNAME = 0x08;
const FCOMMENT = 0x10;

/** A gzip member inside `buf` at `offset`: its unpacked bytes and where it ends. */
interface Member {
  data: Buffer;
  end: number;
}

/**
 * The control segment of the apk whose first bytes `open(end)` streams (`size` in all).
 * InvalidArtifactError (400) for anything that is not an apk v2 package,
 * ArchiveBudgetError (413) past the limits.
 */
export async function readApkControl(
  open: (end: number) => Promise<Readable>,
  size: number,
  limits: ApkLimits = DEFAULT_APK_LIMITS,
): Promise<ApkControl> {
  if (size === 0) throw new InvalidArtifactError('the upload is empty: send the .apk file');
  const windowEnd = Math.min(size, limits.maxWindow);
  const window = await readAll(await open(windowEnd - 1));
  const complete = windowEnd === size;
  let offset = 0;
  let signed = false;
  for (let segment = 0; segment < 2; segment++) {
    const member = readMember(window, offset, complete, limits);
    const names: string[] = [];
    let pkginfo: Buffer | undefined;
    for await (const entry of walkTar(Readable.from([member.data]), {
      compression: 'none',
      maxEntrySize: limits.maxUnpacked,
      maxUnpacked: limits.maxUnpacked,
      maxEntries: 1000,
      label: 'the apk',
    })) {
      names.push(entry.name);
      if (entry.name === '.PKGINFO' && isFile(entry)) pkginfo = await entry.read();
    }
    if (pkginfo !== undefined) {
      if (member.end >= size)
        throw new InvalidArtifactError('the apk has no data segment after its control segment');
      if (!startsWithGzip(window, member.end, complete))
        throw new InvalidArtifactError('the apk data segment is not gzip');
      const sha1 = createHash('sha1').update(window.subarray(offset, member.end)).digest('base64');
      return { pkginfo: pkginfo.toString('utf8'), checksum: `Q1${sha1}`, signed };
    }
    const isSignature = names.length > 0 && names.every((n) => n.startsWith('.SIGN.'));
    if (segment > 0 || !isSignature) break;
    signed = true;
    offset = member.end;
  }
  throw new InvalidArtifactError(
    'the apk has no .PKGINFO in its control segment (the first gzip member, or the second after a signature)',
  );
}

function readMember(buf: Buffer, offset: number, complete: boolean, limits: ApkLimits): Member {
  const truncated = () =>
    complete
      ? new InvalidArtifactError('the apk ends inside a gzip member')
      : new ArchiveBudgetError(
          `the apk's signature and control segments take more than ${limits.maxWindow} bytes`,
        );
  if (offset + 18 > buf.length) throw truncated();
  if (!GZIP_MAGIC.every((b, i) => buf[offset + i] === b))
    throw new InvalidArtifactError('the apk is not a series of gzip members');
  const flags = buf[offset + 3];
  let p = offset + 10;
  if (flags & FEXTRA) {
    if (p + 2 > buf.length) throw truncated();
    p += 2 + buf.readUInt16LE(p);
  }
  for (const flag of [FNAME, FCOMMENT]) {
    if (!(flags & flag)) continue;
    const zero = buf.indexOf(0, p);
    if (zero < 0) throw truncated();
    p = zero + 1;
  }
  if (flags & FHCRC) p += 2;
  if (p >= buf.length) throw truncated();
  let data: Buffer;
  let consumed: number;
  try {
    const out = zlib.inflateRawSync(buf.subarray(p), {
      info: true,
      maxOutputLength: limits.maxUnpacked,
    }) as unknown as { buffer: Buffer; engine: { bytesWritten: number } };
    data = out.buffer;
    consumed = out.engine.bytesWritten;
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === 'ERR_BUFFER_TOO_LARGE')
      throw new ArchiveBudgetError(
        `a control segment of the apk unpacks to more than ${limits.maxUnpacked} bytes`,
      );
    if (code === 'Z_BUF_ERROR') throw truncated();
    throw new InvalidArtifactError(`the apk holds a corrupt gzip member (${code ?? 'inflate'})`);
  }
  const trailer = p + consumed;
  if (trailer + 8 > buf.length) throw truncated();
  const crc = (zlib as unknown as { crc32?: (b: Buffer) => number }).crc32;
  if (
    buf.readUInt32LE(trailer + 4) !== data.length % 2 ** 32 ||
    (crc !== undefined && buf.readUInt32LE(trailer) !== crc(data))
  )
    throw new InvalidArtifactError('a gzip member of the apk fails its CRC or length check');
  return { data, end: trailer + 8 };
}

function startsWithGzip(buf: Buffer, offset: number, complete: boolean): boolean {
  // Past the window the data segment was not read; its first bytes are in the window
  // unless the control segment ended right at its edge, where storage holds the rest.
  if (offset + 2 > buf.length) return !complete;
  return buf[offset] === 0x1f && buf[offset + 1] === 0x8b;
}

function isFile(entry: TarEntryHeader): boolean {
  return entry.type === 'file' || entry.type === 'contiguous-file';
}

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}
