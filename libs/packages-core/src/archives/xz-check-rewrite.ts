import { crc32 } from 'node:zlib';
import { ByteQueue } from './decompress-stream';

/*
 * xz-decompress (xz-embedded) verifies the CRC32 and CRC64 integrity checks only, and refuses
 * a stream whose header names another check. rpm writes its xz payloads with SHA-256 checks
 * (RHEL 8, SUSE), and `xz --check=sha256` does the same. So, for a stream with such a check,
 * this rewrites the container (xz file format 1.2.1, https://tukaani.org/xz/xz-file-format.txt)
 * to "no check" before the library decodes it: the stream header and footer flags, each
 * block's check field (dropped) and the index's unpadded sizes. The compressed data is
 * passed through untouched and the library still checks every block and index size against
 * the data. What is lost is the SHA-256 of each block's content; an rpm's payload digest
 * (walkRpmPayload) covers the compressed bytes instead. The header, block header and index
 * CRC32s of the original are verified here, so corrupt framing is still refused.
 *
 * To find where a block ends when its header does not say, the LZMA2 chunk headers are
 * walked (each gives its packed size; the data is not decoded).
 */

const MAGIC = Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]);
const FOOTER_MAGIC = 'YZ';
// Check field size by check id (§2.1.1.2); ids 0, 1 and 4 are those xz-embedded verifies.
const CHECK_SIZE = [0, 4, 4, 4, 8, 8, 8, 16, 16, 16, 32, 32, 32, 64, 64, 64];
const SUPPORTED_CHECKS = new Set([0, 1, 4]);
const LZMA2_FILTER = 0x21;

class XzFramingError extends Error {
  constructor(what: string) {
    super(`the xz data is corrupt (${what})`);
  }
}

/** The xz stream `input`, with any check other than none/CRC32/CRC64 rewritten to none. */
export async function* rewriteXzChecks(input: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  const q = new ByteQueue(input);
  const first = await q.need(12, 'xz');
  if (!first.subarray(0, 6).equals(MAGIC) || SUPPORTED_CHECKS.has(first[7] & 0x0f)) {
    // Nothing to rewrite (or not xz, which the library reports): pass everything through.
    yield first;
    yield* q.rest();
    return;
  }
  let header: Buffer | undefined = first;
  while (header) {
    yield* rewriteStream(q, header);
    header = await nextStreamHeader(q);
  }
}

/** Stream padding (zeros, in fours) between streams, then the next header; undefined at the end. */
async function nextStreamHeader(q: ByteQueue): Promise<Buffer | undefined> {
  for (;;) {
    if (!(await q.fill(1))) return undefined;
    const word = await q.need(4, 'xz');
    if (word.readUInt32BE(0) !== 0) return Buffer.concat([word, await q.need(8, 'xz')]);
  }
}

async function* rewriteStream(q: ByteQueue, header: Buffer): AsyncGenerator<Buffer> {
  if (!header.subarray(0, 6).equals(MAGIC)) throw new XzFramingError('bad stream magic');
  if (crc32(header.subarray(6, 8)) !== header.readUInt32LE(8))
    throw new XzFramingError('stream header CRC32');
  const checkSize = CHECK_SIZE[header[7] & 0x0f];
  yield Buffer.concat([MAGIC, withCrc(Buffer.from([0, 0]))]);
  let blocks = 0;
  for (;;) {
    const indicator = await q.need(1, 'xz');
    if (indicator[0] === 0) break; // the index
    yield* copyBlock(q, indicator[0]);
    await q.skip(checkSize, 'xz');
    blocks++;
  }
  const index = await rewriteIndex(q, checkSize, blocks);
  yield index;
  const footer = await q.need(12, 'xz');
  if (footer.toString('latin1', 10, 12) !== FOOTER_MAGIC) throw new XzFramingError('bad footer');
  if (crc32(footer.subarray(4, 10)) !== footer.readUInt32LE(0))
    throw new XzFramingError('stream footer CRC32');
  const rest = Buffer.alloc(6);
  rest.writeUInt32LE(index.length / 4 - 1, 0); // backward size; flags 00 00
  const out = Buffer.alloc(12);
  out.writeUInt32LE(crc32(rest), 0);
  rest.copy(out, 4);
  out.write(FOOTER_MAGIC, 10, 'latin1');
  yield out;
}

/** One block: its header as it is, its compressed data, its padding (the check is the caller's). */
async function* copyBlock(q: ByteQueue, sizeByte: number): AsyncGenerator<Buffer> {
  const size = (sizeByte + 1) * 4;
  const header = Buffer.concat([Buffer.from([sizeByte]), await q.need(size - 1, 'xz')]);
  if (crc32(header.subarray(0, size - 4)) !== header.readUInt32LE(size - 4))
    throw new XzFramingError('block header CRC32');
  yield header;
  const flags = header[1];
  let at = 2;
  const vli = () => {
    const [value, next] = readVli(header, at, size - 4);
    at = next;
    return value;
  };
  const compressedSize = flags & 0x40 ? vli() : undefined;
  if (flags & 0x80) vli(); // uncompressed size
  let lastFilter = 0;
  for (let i = 0; i <= (flags & 3); i++) {
    lastFilter = vli();
    at += vli(); // filter properties
  }
  let copied = 0;
  if (compressedSize !== undefined) {
    for await (const chunk of copy(q, compressedSize)) yield chunk;
    copied = compressedSize;
  } else {
    if (lastFilter !== LZMA2_FILTER) throw new XzFramingError('a block without size is not LZMA2');
    for await (const chunk of lzma2Chunks(q)) {
      copied += chunk.length;
      yield chunk;
    }
  }
  yield* copy(q, (4 - (copied % 4)) % 4); // block padding
}

/** The LZMA2 data of a block up to and including its end marker, by chunk headers. */
async function* lzma2Chunks(q: ByteQueue): AsyncGenerator<Buffer> {
  for (;;) {
    const control = await q.need(1, 'xz');
    yield control;
    const c = control[0];
    if (c === 0) return;
    if (c === 1 || c === 2) {
      const size = await q.need(2, 'xz');
      yield size;
      yield* copy(q, size.readUInt16BE(0) + 1);
    } else if (c >= 0x80) {
      const head = await q.need(((c >> 5) & 3) >= 2 ? 5 : 4, 'xz');
      yield head;
      yield* copy(q, head.readUInt16BE(2) + 1);
    } else throw new XzFramingError(`LZMA2 control byte ${c}`);
  }
}

/** Reads the index (after its 0 indicator) and returns it rewritten with checks dropped. */
async function rewriteIndex(q: ByteQueue, checkSize: number, blocks: number): Promise<Buffer> {
  const original: Buffer[] = [Buffer.from([0])];
  const readVliFromQueue = async (): Promise<number> => {
    const bytes: number[] = [];
    for (;;) {
      const b = (await q.need(1, 'xz'))[0];
      bytes.push(b);
      if (!(b & 0x80)) break;
      if (bytes.length >= 9) throw new XzFramingError('index number too long');
    }
    original.push(Buffer.from(bytes));
    return readVli(Buffer.from(bytes), 0, bytes.length)[0];
  };
  const count = await readVliFromQueue();
  if (count !== blocks) throw new XzFramingError('index record count');
  const records: number[] = [];
  for (let i = 0; i < count; i++) {
    records.push((await readVliFromQueue()) - checkSize);
    records.push(await readVliFromQueue());
  }
  const seen = original.reduce((n, b) => n + b.length, 0);
  original.push(await q.need((4 - (seen % 4)) % 4, 'xz'));
  const crc = (await q.need(4, 'xz')).readUInt32LE(0);
  if (crc32(Buffer.concat(original)) !== crc) throw new XzFramingError('index CRC32');
  const body = Buffer.concat([Buffer.from([0]), ...[count, ...records].map(writeVli)]);
  return withCrc(Buffer.concat([body, Buffer.alloc((4 - (body.length % 4)) % 4)]));
}

async function* copy(q: ByteQueue, n: number): AsyncGenerator<Buffer> {
  for (let left = n; left > 0;) {
    const chunk = await q.take(left, 'xz');
    left -= chunk.length;
    yield chunk;
  }
}

function withCrc(bytes: Buffer): Buffer {
  const crc = Buffer.alloc(4);
  crc.writeUInt32LE(crc32(bytes));
  return Buffer.concat([bytes, crc]);
}

/** A variable-length integer (§1.2): 7 bits a byte, low first, at most 9 bytes. */
function readVli(buf: Buffer, at: number, end: number): [number, number] {
  let value = 0;
  for (let i = 0; i < 9; i++) {
    if (at >= end) throw new XzFramingError('number past its field');
    const b = buf[at++];
    value += (b & 0x7f) * 2 ** (7 * i);
    if (!(b & 0x80)) return [value, at];
  }
  throw new XzFramingError('number too long');
}

function writeVli(value: number): Buffer {
  const out: number[] = [];
  do {
    let b = value % 128;
    value = Math.floor(value / 128);
    if (value > 0) b |= 0x80;
    out.push(b);
  } while (value > 0);
  return Buffer.from(out);
}
