import { crc32 } from 'node:zlib';
import { InvalidArtifactError } from '../errors/registry-error';

/*
 * Joins whole .xz streams into one stream holding all their blocks (the .xz file format,
 * https://tukaani.org/xz/xz-file-format.txt §2): the blocks are copied as they are, and
 * only the index and the stream footer are written anew. Why not simply concatenate the
 * streams, which the format allows (§2.1.2)? Because apt reads only the first stream of a
 * file (apt 2.6's FileFd stops there, where `xz -d` reads on), and an index made of
 * independently compressed parts — one per group of packages, cached apart so that a change
 * recompresses one part — must be one stream for it.
 */

const HEADER_MAGIC = Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]);
const FOOTER_MAGIC = Buffer.from('YZ', 'latin1');
const HEADER_SIZE = 12;
const FOOTER_SIZE = 12;

/** One stream taken apart: its check type, its padded blocks and their index records. */
interface XzParts {
  flags: Buffer;
  blocks: Buffer;
  records: Buffer;
  count: number;
}

/**
 * One .xz stream with the blocks of `streams`, in order (each a whole single stream, as an
 * xz encoder writes it). Throws when one is not a well-formed stream or when their check
 * types differ (a stream's blocks all carry the check its header names).
 */
export function joinXzStreams(streams: Uint8Array[]): Buffer {
  return Buffer.concat(joinXzStreamPieces(streams));
}

/**
 * {@link joinXzStreams} as the pieces of the joined stream, in order, without copying the
 * blocks: a caller that hashes the stream, or writes it out, need not join them first.
 */
export function joinXzStreamPieces(streams: Uint8Array[]): Buffer[] {
  const parts = streams.map((s) => splitXzStream(Buffer.from(s.buffer, s.byteOffset, s.length)));
  const flags = parts[0]?.flags ?? Buffer.from([0x00, 0x04]); // CRC64 when there is nothing
  if (parts.some((p) => !p.flags.equals(flags)))
    throw new Error('xz streams with different check types cannot be joined');
  const count = parts.reduce((n, p) => n + p.count, 0);
  const unpadded = Buffer.concat([
    Buffer.from([0x00]),
    varint(count),
    ...parts.map((p) => p.records),
  ]);
  const padding = Buffer.alloc((4 - (unpadded.length % 4)) % 4);
  const indexBody = Buffer.concat([unpadded, padding]);
  const index = Buffer.concat([indexBody, u32le(crc32(indexBody))]);
  const footerFields = Buffer.concat([u32le(index.length / 4 - 1), flags]);
  return [
    Buffer.concat([HEADER_MAGIC, flags, u32le(crc32(flags))]),
    ...parts.map((p) => p.blocks),
    Buffer.concat([index, u32le(crc32(footerFields)), footerFields, FOOTER_MAGIC]),
  ];
}

function splitXzStream(bytes: Buffer): XzParts {
  const bad = (why: string) => new InvalidArtifactError(`not a single .xz stream: ${why}`);
  if (bytes.length < HEADER_SIZE + FOOTER_SIZE || !bytes.subarray(0, 6).equals(HEADER_MAGIC))
    throw bad('no stream header');
  const flags = bytes.subarray(6, 8);
  if (bytes.readUInt32LE(8) !== crc32(flags)) throw bad('the stream header CRC does not match');
  const footer = bytes.subarray(bytes.length - FOOTER_SIZE);
  if (!footer.subarray(10).equals(FOOTER_MAGIC)) throw bad('no stream footer');
  if (!footer.subarray(8, 10).equals(flags)) throw bad('header and footer flags differ');
  if (footer.readUInt32LE(0) !== crc32(footer.subarray(4, 10)))
    throw bad('the stream footer CRC does not match');
  const indexSize = (footer.readUInt32LE(4) + 1) * 4;
  const indexStart = bytes.length - FOOTER_SIZE - indexSize;
  if (indexStart < HEADER_SIZE) throw bad('the index is larger than the stream');
  const index = bytes.subarray(indexStart, indexStart + indexSize);
  if (index[0] !== 0x00) throw bad('no index indicator');
  if (index.readUInt32LE(indexSize - 4) !== crc32(index.subarray(0, indexSize - 4)))
    throw bad('the index CRC does not match');
  const { value: count, next } = readVarint(index, 1);
  // The records end where the padding (zeros to a multiple of four) before the CRC starts.
  let at = next;
  for (let i = 0; i < count; i++) {
    at = readVarint(index, at).next;
    at = readVarint(index, at).next;
  }
  if (at > indexSize - 4) throw bad('the index records overrun the index');
  return {
    flags: Buffer.from(flags),
    blocks: bytes.subarray(HEADER_SIZE, indexStart),
    records: index.subarray(next, at),
    count,
  };
}

/** A multibyte integer (§1.2): seven bits a byte, least significant first. */
function readVarint(bytes: Buffer, start: number): { value: number; next: number } {
  let value = 0;
  for (let i = 0; i < 9; i++) {
    const byte = bytes[start + i];
    if (byte === undefined) break;
    value += (byte & 0x7f) * 2 ** (7 * i);
    if (!(byte & 0x80)) return { value, next: start + i + 1 };
  }
  throw new InvalidArtifactError('not a single .xz stream: a malformed index number');
}

function varint(n: number): Buffer {
  const out: number[] = [];
  do {
    const low = n % 128;
    n = Math.floor(n / 128);
    out.push(n > 0 ? low | 0x80 : low);
  } while (n > 0);
  return Buffer.from(out);
}

function u32le(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n >>> 0);
  return b;
}
