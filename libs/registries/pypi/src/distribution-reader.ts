import { Readable, pipeline } from 'node:stream';
import { createGunzip, inflateRawSync } from 'node:zlib';
import * as tar from 'tar-stream';
import { InvalidArtifactError } from '@wharf/packages-core';

/*
 * Reads the core metadata file out of a stored distribution without unpacking it:
 * a wheel's `*.dist-info/METADATA` through byte ranges of the zip (end record, central
 * directory, one entry), an sdist's `<dir>/PKG-INFO` with a streaming tar reader.
 * TODO(core): the zip part is a shared helper (STYLE.md); move it to packages-core once core takes it.
 */

/** Reads bytes [start, end] (inclusive) of the stored file. */
export type RangeReader = (start: number, end: number) => Promise<Buffer>;

// The core metadata is a few KB; a long description inlined makes it bigger, never this big.
const MAX_METADATA = 8 * 1024 * 1024;
const MAX_CENTRAL_DIRECTORY = 64 * 1024 * 1024;

/** `*.dist-info/METADATA` of a wheel (exactly one at the top level), or undefined when the wheel has none. */
export async function readWheelMetadata(
  read: RangeReader,
  size: number,
): Promise<Buffer | undefined> {
  const entry = (await readCentralDirectory(read, size)).filter((e) =>
    /^[^/]+\.dist-info\/METADATA$/.test(e.name),
  );
  if (entry.length > 1)
    throw new InvalidArtifactError('the wheel has more than one .dist-info/METADATA');
  return entry.length ? readZipEntry(read, size, entry[0]) : undefined;
}

/** `<dir>/PKG-INFO` of a zip sdist, or undefined. */
export async function readZipSdistMetadata(
  read: RangeReader,
  size: number,
): Promise<Buffer | undefined> {
  const entry = (await readCentralDirectory(read, size)).find((e) =>
    /^[^/]+\/PKG-INFO$/.test(e.name),
  );
  return entry ? readZipEntry(read, size, entry) : undefined;
}

interface ZipEntry {
  name: string;
  method: number;
  compressedSize: number;
  size: number;
  localOffset: number;
}

async function readCentralDirectory(read: RangeReader, size: number): Promise<ZipEntry[]> {
  if (size < 22) throw new InvalidArtifactError('the file is not a zip archive (too short)');
  // The end-of-central-directory record is in the last 22 + 65535 (comment) bytes.
  const tailStart = Math.max(0, size - 22 - 0xffff);
  const tail = await read(tailStart, size - 1);
  let eocd = -1;
  for (let i = tail.length - 22; i >= 0; i--) {
    if (tail.readUInt32LE(i) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0)
    throw new InvalidArtifactError('the file is not a zip archive (no end of central directory)');
  let count = tail.readUInt16LE(eocd + 10);
  let cdSize = tail.readUInt32LE(eocd + 12);
  let cdOffset = tail.readUInt32LE(eocd + 16);
  if (cdOffset === 0xffffffff || count === 0xffff) {
    // ZIP64: the locator sits right before the end record.
    const loc = eocd - 20;
    if (loc < 0 || tail.readUInt32LE(loc) !== 0x07064b50)
      throw new InvalidArtifactError('the zip64 archive has no locator');
    const z64 = await read(
      Number(tail.readBigUInt64LE(loc + 8)),
      Number(tail.readBigUInt64LE(loc + 8)) + 55,
    );
    if (z64.readUInt32LE(0) !== 0x06064b50)
      throw new InvalidArtifactError('the zip64 end record is invalid');
    count = Number(z64.readBigUInt64LE(32));
    cdSize = Number(z64.readBigUInt64LE(40));
    cdOffset = Number(z64.readBigUInt64LE(48));
  }
  if (cdSize > MAX_CENTRAL_DIRECTORY || cdOffset + cdSize > size)
    throw new InvalidArtifactError('the zip central directory is invalid');
  const cd = cdSize ? await read(cdOffset, cdOffset + cdSize - 1) : Buffer.alloc(0);
  const entries: ZipEntry[] = [];
  let p = 0;
  for (let n = 0; n < count; n++) {
    if (p + 46 > cd.length || cd.readUInt32LE(p) !== 0x02014b50)
      throw new InvalidArtifactError('the zip central directory is corrupt');
    const nameLen = cd.readUInt16LE(p + 28);
    const extraLen = cd.readUInt16LE(p + 30);
    const commentLen = cd.readUInt16LE(p + 32);
    const entry: ZipEntry = {
      method: cd.readUInt16LE(p + 10),
      compressedSize: cd.readUInt32LE(p + 20),
      size: cd.readUInt32LE(p + 24),
      localOffset: cd.readUInt32LE(p + 42),
      name: cd.toString('utf8', p + 46, p + 46 + nameLen),
    };
    readZip64Extra(cd.subarray(p + 46 + nameLen, p + 46 + nameLen + extraLen), entry);
    entries.push(entry);
    p += 46 + nameLen + extraLen + commentLen;
  }
  return entries;
}

function readZip64Extra(extra: Buffer, entry: ZipEntry): void {
  for (let p = 0; p + 4 <= extra.length;) {
    const id = extra.readUInt16LE(p);
    const len = extra.readUInt16LE(p + 2);
    if (id === 0x0001) {
      let q = p + 4;
      if (entry.size === 0xffffffff) {
        entry.size = Number(extra.readBigUInt64LE(q));
        q += 8;
      }
      if (entry.compressedSize === 0xffffffff) {
        entry.compressedSize = Number(extra.readBigUInt64LE(q));
        q += 8;
      }
      if (entry.localOffset === 0xffffffff) entry.localOffset = Number(extra.readBigUInt64LE(q));
    }
    p += 4 + len;
  }
}

async function readZipEntry(read: RangeReader, size: number, entry: ZipEntry): Promise<Buffer> {
  if (entry.size > MAX_METADATA || entry.compressedSize > MAX_METADATA)
    throw new InvalidArtifactError(`${entry.name} is too large`);
  const header = await read(entry.localOffset, Math.min(size - 1, entry.localOffset + 29));
  if (header.length < 30 || header.readUInt32LE(0) !== 0x04034b50)
    throw new InvalidArtifactError(`the zip entry ${entry.name} is corrupt`);
  const start = entry.localOffset + 30 + header.readUInt16LE(26) + header.readUInt16LE(28);
  if (start + entry.compressedSize > size)
    throw new InvalidArtifactError(`the zip entry ${entry.name} is truncated`);
  const data = entry.compressedSize
    ? await read(start, start + entry.compressedSize - 1)
    : Buffer.alloc(0);
  if (entry.method === 0) return data;
  if (entry.method !== 8)
    throw new InvalidArtifactError(
      `${entry.name} uses an unsupported zip compression method (${entry.method})`,
    );
  try {
    return inflateRawSync(data, { maxOutputLength: MAX_METADATA });
  } catch (err) {
    throw new InvalidArtifactError(
      `${entry.name} cannot be decompressed (${(err as Error).message})`,
    );
  }
}

/** `<dir>/PKG-INFO` of a gzip'd tar sdist, or undefined; reads at most `maxUnpacked` decompressed bytes. */
export async function readTarSdistMetadata(
  archive: Readable,
  maxUnpacked = 512 * 1024 * 1024,
): Promise<Buffer | undefined> {
  const extract = tar.extract();
  let seen = 0;
  const gunzip = createGunzip();
  gunzip.on('data', (c: Buffer) => {
    seen += c.length;
    if (seen > maxUnpacked)
      gunzip.destroy(
        new InvalidArtifactError('the sdist unpacks to too many bytes before PKG-INFO'),
      );
  });
  pipeline(archive, gunzip, extract, () => undefined);
  try {
    for await (const entry of extract) {
      const { name, type, size } = entry.header;
      if (type === 'file' && /^[^/]+\/PKG-INFO$/.test(name.replace(/^\.\//, ''))) {
        if ((size ?? 0) > MAX_METADATA) throw new InvalidArtifactError('PKG-INFO is too large');
        const chunks: Buffer[] = [];
        for await (const c of entry) chunks.push(c as Buffer);
        return Buffer.concat(chunks);
      }
      entry.resume();
    }
  } catch (err) {
    if (err instanceof InvalidArtifactError) throw err;
    throw new InvalidArtifactError(
      `the sdist is not a valid gzip-compressed tar archive (${(err as Error).message})`,
    );
  } finally {
    archive.destroy();
    extract.destroy();
  }
  return undefined;
}
