import { crc32 } from 'node:zlib';

/**
 * Writes a valid `.xz` stream (the container of https://tukaani.org/xz/xz-file-format.txt)
 * whose one block holds LZMA2 *uncompressed* chunks. Repository indexes are served as
 * `.xz` because clients ask for that name (apt's `Packages.xz`, apt-rpm's
 * `pkglist.classic.xz`); every xz reader accepts this stream.
 *
 * Why not compress: no xz encoder installs here as a library — `@napi-rs/lzma`'s platform
 * package is skipped by this machine's npm, `node-liblzma` is ESM-only and loads a native
 * addon, and `lzma`/`lzma-web` write the old `.lzma` format. When one can be installed,
 * replace the chunk loop below with it; callers do not change. Gzip copies are served too.
 */
export function encodeXz(data: Uint8Array): Buffer {
  const input = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  // Stream header: magic, flags (check type 1: CRC32 of the uncompressed data), CRC32.
  const streamFlags = Buffer.from([0x00, 0x01]);
  const header = Buffer.concat([
    Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]),
    streamFlags,
    u32(crc32(streamFlags)),
  ]);

  // Block header: size byte, flags (1 filter, no sizes), LZMA2 filter id 0x21, 1 property
  // byte (dictionary size: 0x00 = 4 KiB — unused by uncompressed chunks), padding, CRC32.
  const blockBody = Buffer.from([0x00, 0x21, 0x01, 0x00]);
  const blockHeaderSize = 8 + 4; // multiple of 4, including the size byte and CRC32
  const unpadded = Buffer.concat([Buffer.from([blockHeaderSize / 4 - 1]), blockBody]);
  const blockHeaderNoCrc = Buffer.concat([
    unpadded,
    Buffer.alloc(blockHeaderSize - 4 - unpadded.length),
  ]);
  const blockHeader = Buffer.concat([blockHeaderNoCrc, u32(crc32(blockHeaderNoCrc))]);

  // LZMA2 data: uncompressed chunks of at most 64 KiB; the first resets the dictionary
  // (control 0x01), the rest do not (0x02); 0x00 ends the data.
  const chunks: Buffer[] = [];
  for (let offset = 0; offset < input.length; offset += 0x10000) {
    const part = input.subarray(offset, Math.min(offset + 0x10000, input.length));
    const size = part.length - 1;
    chunks.push(Buffer.from([offset === 0 ? 0x01 : 0x02, size >> 8, size & 0xff]), part);
  }
  chunks.push(Buffer.from([0x00]));
  const compressed = Buffer.concat(chunks);
  const padding = Buffer.alloc((4 - (compressed.length % 4)) % 4);
  const check = u32(crc32(input));
  const unpaddedSize = blockHeader.length + compressed.length + check.length;

  // Index: indicator, record count, one record (unpadded size, uncompressed size), padding, CRC32.
  const indexNoPad = Buffer.concat([
    Buffer.from([0x00]),
    varint(1),
    varint(unpaddedSize),
    varint(input.length),
  ]);
  const indexNoCrc = Buffer.concat([indexNoPad, Buffer.alloc((4 - (indexNoPad.length % 4)) % 4)]);
  const index = Buffer.concat([indexNoCrc, u32(crc32(indexNoCrc))]);

  // Stream footer: CRC32 of (backward size, flags), backward size, flags, magic "YZ".
  const backward = Buffer.concat([u32(index.length / 4 - 1), streamFlags]);
  const footer = Buffer.concat([u32(crc32(backward)), backward, Buffer.from([0x59, 0x5a])]);

  return Buffer.concat([header, blockHeader, compressed, padding, check, index, footer]);
}

function u32(value: number): Buffer {
  const out = Buffer.alloc(4);
  out.writeUInt32LE(value >>> 0);
  return out;
}

function varint(value: number): Buffer {
  const bytes: number[] = [];
  let rest = value;
  while (rest >= 0x80) {
    bytes.push((rest % 0x80) | 0x80);
    rest = Math.floor(rest / 0x80);
  }
  bytes.push(rest);
  return Buffer.from(bytes);
}
