import { Readable, pipeline } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { Decompress as ZstdDecoder } from 'fzstd';
import Bunzip from 'seek-bzip';
import { XzReadableStream } from 'xz-decompress';
import { rewriteXzChecks } from './xz-check-rewrite';

/*
 * The decompressors the tar reader puts in front of tar-stream, each a library, each
 * streaming with bounded memory:
 * - gzip: node:zlib. Concatenated members (alpine .apk) come out as one stream.
 * - xz: xz-decompress (xz-embedded in WebAssembly). Its dictionary is capped at 64 MiB
 *   (xz -9); it decodes one stream at a time per process (the library serialises them).
 *   It verifies CRC32/CRC64 checks only: streams with SHA-256 checks (rpm) are reframed
 *   first (xz-check-rewrite.ts).
 * - zstd: fzstd, fed one block at a time, so one step yields at most one block (≤128 KiB);
 *   frames whose window is over 128 MiB are refused before fzstd allocates it (the
 *   reference zstd refuses them too unless told `--memory`).
 * - bzip2: seek-bzip's block decoder, fed once a whole block is buffered; one block
 *   unpacks to at most ~46 MB, and `maxOutput` stops it inside a block.
 */

export type TarCompression = 'gzip' | 'bzip2' | 'xz' | 'zstd' | 'none';

/** The compression named by the first bytes; `none` when no magic matches (plain tar or not an archive). */
export function detectCompression(head: Buffer): TarCompression {
  if (head[0] === 0x1f && head[1] === 0x8b) return 'gzip';
  if (head.subarray(0, 3).toString('latin1') === 'BZh' && head[3] >= 0x31 && head[3] <= 0x39)
    return 'bzip2';
  if (head.subarray(0, 6).equals(XZ_MAGIC)) return 'xz';
  if (head.length >= 4 && head.readUInt32LE(0) === ZSTD_MAGIC) return 'zstd';
  return 'none';
}

/**
 * The decompressed bytes of `input` (which is consumed). `overBudget` makes the error thrown
 * when a decoder that cannot be paused inside a step (bzip2) passes `maxOutput`; the caller
 * still counts every byte itself.
 */
export function decompress(
  input: Readable,
  compression: TarCompression,
  maxOutput: number,
  overBudget: () => Error,
): Readable {
  switch (compression) {
    case 'none':
      return input;
    case 'gzip':
      // pipeline: an error of the input (storage) reaches the reader through the gunzip.
      return pipeline(input, createGunzip(), () => undefined);
    case 'xz':
      return Readable.from(unxz(input));
    case 'zstd':
      return Readable.from(unzstd(new ByteQueue(input)));
    case 'bzip2':
      return Readable.from(bunzip2(new ByteQueue(input), maxOutput, overBudget));
  }
}

/**
 * Reads the first bytes of `archive` to choose its decompressor (unless `asked` names one),
 * and gives back a stream of all of its bytes. `ioError()` is the error the archive stream
 * itself raised, if any: a storage failure, which says nothing about the archive.
 */
export async function sniffCompression(
  archive: Readable,
  asked: TarCompression | 'detect',
): Promise<{ input: Readable; compression: TarCompression; ioError: () => unknown }> {
  const source = archive[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  let head = Buffer.alloc(0);
  while (head.length < 6) {
    const next = await source.next();
    if (next.done) break;
    head = Buffer.concat([head, next.value]);
  }
  const compression = asked === 'detect' ? detectCompression(head) : asked;
  let failure: unknown;
  const pull = () =>
    source.next().catch((err: unknown) => {
      failure ??= err;
      throw err;
    });
  async function* all(): AsyncGenerator<Buffer> {
    if (head.length) yield head;
    for (let next = await pull(); !next.done; next = await pull()) yield next.value;
  }
  return {
    input: Readable.from(all(), { objectMode: false }),
    compression,
    ioError: () => failure,
  };
}

export class TruncatedError extends Error {
  constructor(what: string) {
    super(`the ${what} stream ends early (truncated)`);
  }
}

const XZ_MAGIC = Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]);
// xz-embedded's return codes (xz.h) that a user can act on.
const XZ_ERRORS: Record<string, string> = {
  '4': 'it needs a dictionary larger than 64 MiB',
  '5': 'not xz data',
  '6': 'it uses unsupported xz options',
  '7': 'the xz data is corrupt',
  '8': 'the xz stream ends early (truncated)',
};

async function* unxz(input: Readable): AsyncGenerator<Buffer> {
  // SHA-256 checks (rpm payloads) are rewritten to none first: xz-check-rewrite.ts says why.
  const framed = Readable.from(rewriteXzChecks(input), { objectMode: false });
  const reader = new XzReadableStream(
    Readable.toWeb(framed) as ReadableStream<Uint8Array>,
  ).getReader();
  try {
    for (;;) {
      // The first read waits for the library's process-wide lock; cancelling only after a
      // read has settled keeps that lock from being released before it was taken.
      const { done, value } = await reader.read();
      if (done) return;
      if (value.length) yield Buffer.from(value.buffer, value.byteOffset, value.length);
    }
  } catch (err) {
    const code = /error code (\d+)/.exec((err as Error).message)?.[1];
    throw code && XZ_ERRORS[code] ? new Error(XZ_ERRORS[code]) : err;
  } finally {
    await reader.cancel().catch(() => undefined); // releases the lock when stopped early
    framed.destroy();
    input.destroy();
  }
}

const ZSTD_MAGIC = 0xfd2fb528;
const ZSTD_MAX_WINDOW = 128 * 1024 * 1024;
const ZSTD_MAX_BLOCK = 128 * 1024;

/**
 * Walks zstd frames (RFC 8878 §3.1) only far enough to hand fzstd one block per step and
 * to check each frame's window; the decoding itself is fzstd's.
 */
async function* unzstd(q: ByteQueue): AsyncGenerator<Buffer> {
  let out: Uint8Array[] = [];
  const decoder = new ZstdDecoder((chunk) => void out.push(chunk));
  const step = function* (bytes: Buffer, final = false) {
    decoder.push(bytes, final);
    for (const chunk of out) if (chunk.length) yield Buffer.from(chunk);
    out = [];
  };
  while (await q.fill(1)) {
    const magic = (await q.need(4, 'zstd')).readUInt32LE(0);
    if ((magic & 0xfffffff0) === 0x184d2a50) {
      // A skippable frame (§3.1.2): user data fzstd would skip too.
      await q.skip((await q.need(4, 'zstd')).readUInt32LE(0), 'zstd');
      continue;
    }
    if (magic !== ZSTD_MAGIC) throw new Error('not zstd data (bad frame magic)');
    const descriptor = await q.need(1, 'zstd');
    const header = await q.need(frameHeaderRest(descriptor[0]), 'zstd');
    assertZstdWindow(descriptor[0], header);
    yield* step(Buffer.concat([u32le(magic), descriptor, header]));
    for (let last = false; !last;) {
      const blockHeader = await q.need(3, 'zstd');
      const word = blockHeader.readUIntLE(0, 3);
      const type = (word >> 1) & 3;
      const size = word >>> 3;
      last = (word & 1) === 1;
      if (type === 3 || size > ZSTD_MAX_BLOCK) throw new Error('the zstd data is corrupt');
      const body = await q.need(type === 1 ? 1 : size, 'zstd');
      yield* step(Buffer.concat([blockHeader, body]));
    }
    if (descriptor[0] & 4) yield* step(await q.need(4, 'zstd')); // content checksum
  }
  yield* step(Buffer.alloc(0), true); // flushes a tiny last frame fzstd still buffers
}

/** Bytes of the frame header after its descriptor (§3.1.1.1): window, dictionary id, content size. */
function frameHeaderRest(descriptor: number): number {
  if (descriptor & 8) throw new Error('the zstd data is corrupt (reserved bit set)');
  const single = (descriptor & 0x20) !== 0;
  const fcs = [single ? 1 : 0, 2, 4, 8][descriptor >> 6];
  return (single ? 0 : 1) + [0, 1, 2, 4][descriptor & 3] + fcs;
}

function assertZstdWindow(descriptor: number, header: Buffer): void {
  let window: number;
  if (descriptor & 0x20) {
    // Single segment: the window is the content size, the header's last field.
    const fcsBytes = [1, 2, 4, 8][descriptor >> 6];
    const at = header.length - fcsBytes;
    window =
      fcsBytes === 8
        ? Number(header.readBigUInt64LE(at))
        : header.readUIntLE(at, fcsBytes) + (fcsBytes === 2 ? 256 : 0);
  } else {
    const base = 2 ** (10 + (header[0] >> 3));
    window = base + (base / 8) * (header[0] & 7);
  }
  if (window > ZSTD_MAX_WINDOW)
    throw new Error(
      `a zstd frame needs a ${window}-byte window; at most ${ZSTD_MAX_WINDOW} are accepted`,
    );
}

function u32le(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n);
  return b;
}

// A bzip2 block holds at most 900 000 bytes before its Huffman coding; incompressible data
// grows it by under 1 % plus headers, so this much buffered input always holds a block.
const BZIP2_MAX_BLOCK_INPUT = 925_000;

async function* bunzip2(
  q: ByteQueue,
  maxOutput: number,
  overBudget: () => Error,
): AsyncGenerator<Buffer> {
  const sink = new ChunkSink(maxOutput, overBudget);
  const input = q.byteStream('bzip2');
  let streams = 0;
  // Each iteration decodes one bzip2 stream; `bzip2 a b > c` makes several (like pbzip2).
  while (await q.fill(1)) {
    await q.fill(BZIP2_MAX_BLOCK_INPUT);
    const decoder = new Bunzip(input, sink);
    for (;;) {
      await q.fill(BZIP2_MAX_BLOCK_INPUT);
      if (!decoder._init_block()) break;
      decoder._read_bunzip();
      yield* sink.drain();
    }
    if (decoder.reader.read(32) >>> 0 !== decoder.streamCRC)
      throw new Error('the bzip2 data is corrupt (stream CRC mismatch)');
    streams++;
  }
  if (streams === 0) throw new TruncatedError('bzip2');
}

/** seek-bzip's byte sink: 64 KiB chunks, and an error past `max` bytes in all. */
class ChunkSink {
  private chunks: Buffer[] = [];
  private current = Buffer.allocUnsafe(64 * 1024);
  private used = 0;
  private total = 0;

  constructor(
    private readonly max: number,
    private readonly overBudget: () => Error,
  ) {}

  writeByte(byte: number): void {
    if (++this.total > this.max) throw this.overBudget();
    this.current[this.used++] = byte;
    if (this.used === this.current.length) {
      this.chunks.push(this.current);
      this.current = Buffer.allocUnsafe(64 * 1024);
      this.used = 0;
    }
  }

  readByte(): number {
    throw new Error('not an input');
  }

  read(): number {
    return this.readByte();
  }

  drain(): Buffer[] {
    if (this.used) this.chunks.push(Buffer.from(this.current.subarray(0, this.used)));
    this.used = 0;
    const out = this.chunks;
    this.chunks = [];
    return out;
  }
}

/**
 * Input bytes pulled from a stream on demand, for decoders that read synchronously and for
 * readers of binary layouts (rpm headers, cpio): exact reads, skips, and the rest as a stream.
 */
export class ByteQueue {
  private readonly source: AsyncIterator<Buffer>;
  private chunks: Buffer[] = [];
  private offset = 0; // into chunks[0]
  private available = 0;
  private ended = false;

  constructor(input: AsyncIterable<Buffer>) {
    this.source = input[Symbol.asyncIterator]();
  }

  /** Buffers at least `min` bytes unless the input ends first; false when nothing is left. */
  async fill(min: number): Promise<boolean> {
    while (!this.ended && this.available < min) {
      const next = await this.source.next();
      if (next.done) this.ended = true;
      else if ((next.value as Buffer).length) {
        this.chunks.push(next.value as Buffer);
        this.available += (next.value as Buffer).length;
      }
    }
    return this.available > 0;
  }

  /** The next `n` bytes; a TruncatedError when the input ends before them. */
  async need(n: number, what: string): Promise<Buffer> {
    await this.fill(n);
    if (this.available < n) throw new TruncatedError(what);
    const out = Buffer.allocUnsafe(n);
    for (let at = 0; at < n;) {
      const head = this.chunks[0];
      const count = Math.min(n - at, head.length - this.offset);
      head.copy(out, at, this.offset, this.offset + count);
      at += count;
      this.consume(count);
    }
    return out;
  }

  /** Up to `max` bytes (at least one) of what comes next; a TruncatedError when nothing is left. */
  async take(max: number, what: string): Promise<Buffer> {
    if (!(await this.fill(1))) throw new TruncatedError(what);
    const head = this.chunks[0];
    const count = Math.min(max, head.length - this.offset);
    const out = head.subarray(this.offset, this.offset + count);
    this.consume(count);
    return out;
  }

  /** Everything not read yet: what is buffered, then the rest of the input. */
  async *rest(): AsyncGenerator<Buffer> {
    while (await this.fill(1)) {
      const head = this.chunks[0];
      const out = head.subarray(this.offset);
      this.consume(out.length);
      yield out;
    }
  }

  async skip(n: number, what: string): Promise<void> {
    for (let left = n; left > 0;) {
      const part = Math.min(left, 1024 * 1024);
      await this.need(part, what);
      left -= part;
    }
  }

  /** A synchronous view for seek-bzip: reads what is buffered, a TruncatedError past it. */
  byteStream(what: string): Bunzip.ByteStream {
    const readByte = () => {
      if (this.available === 0) throw new TruncatedError(what);
      const byte = this.chunks[0][this.offset];
      this.consume(1);
      return byte;
    };
    return {
      readByte,
      read(buffer, offset, length) {
        for (let i = 0; i < length; i++) buffer[offset + i] = readByte();
        return length;
      },
      writeByte() {
        throw new Error('not an output');
      },
    };
  }

  private consume(n: number): void {
    this.offset += n;
    this.available -= n;
    if (this.offset === this.chunks[0].length) {
      this.chunks.shift();
      this.offset = 0;
    }
  }
}
