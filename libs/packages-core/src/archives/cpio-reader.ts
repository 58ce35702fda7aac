import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import {
  InvalidArtifactError,
  RegistryError,
  UnsafeArchiveEntryError,
} from '../errors/registry-error';
import {
  ByteQueue,
  decompress,
  sniffCompression,
  TarCompression,
  TruncatedError,
} from './decompress-stream';
import { RpmHeader, RpmTag } from './rpm-header-reader';
import { ArchiveBudgetError } from './tar-entry-reader';

/*
 * Walks a cpio archive in the "newc" format (magic 070701, or 070702 with checksums): the
 * payload of rpm packages. Plain or compressed (gzip, bzip2, xz, zstd: detected by magic,
 * decoded by decompress-stream.ts), under budgets: the total unpacked bytes (a bomb is a
 * 413 as soon as it passes them), the entry count, one entry's size when read whole.
 *
 * newc: each entry is a 110-byte ASCII header (magic, then 13 fields of 8 hex digits: ino,
 * mode, uid, gid, nlink, mtime, filesize, devmajor, devminor, rdevmajor, rdevminor,
 * namesize, check), the name (namesize bytes with its NUL), zeros to a multiple of 4, the
 * data, zeros to a multiple of 4. The entry named `TRAILER!!!` ends the archive.
 *
 * Names are refused (UnsafeArchiveEntryError, 400) when empty, absolute, holding a `..`
 * segment or a control character. Unlike tar-entry-reader.ts, backslashes pass: rpm
 * packages carry systemd unit names such as `dev-disk-by\x2dlabel.device`. Symbolic links
 * pass when `allowLinks` is set (rpm installs them into the system's root, where a target
 * outside the package is normal: `/etc/alternatives/…`); device nodes, fifos and sockets
 * only with `allowSpecialFiles`. rpm's "stripped" cpio (07070X, for files over 4 GiB) is
 * refused with a message saying so.
 *
 * `walkRpmPayload(header, payload, options)` walks an rpm's payload (from `readRpm`) and
 * checks the compressed bytes against the header's RPMTAG_PAYLOADDIGEST when present.
 */

export interface CpioReadOptions {
  /** Largest entry `read()` loads into memory. */
  maxEntrySize: number;
  /** Largest number of decompressed bytes read in all: a decompression bomb stops here (413). */
  maxUnpacked: number;
  /** Largest number of entries; default 200 000. */
  maxEntries?: number;
  compression?: TarCompression | 'detect';
  allowLinks?: boolean;
  allowSpecialFiles?: boolean;
  /** How messages name the archive; default "the cpio archive". */
  label?: string;
}

export type CpioEntryType = 'file' | 'directory' | 'symlink' | 'special';

export interface CpioEntry {
  /** As stored: rpm writes `./usr/bin/hello`. */
  name: string;
  type: CpioEntryType;
  mode: number;
  size: number;
  mtime: number;
  nlink: number;
  /** The whole data; ArchiveBudgetError past `maxEntrySize`. */
  read(): Promise<Buffer>;
  /** The data as a stream; consume it before asking for the next entry. */
  stream(): Readable;
}

const HEADER_SIZE = 110;
const TRAILER = 'TRAILER!!!';
const MAX_NAME = 4096;
const DEFAULT_MAX_ENTRIES = 200_000;

/**
 * Each entry of the archive, in order (the trailer excluded); data not read before the next
 * entry is skipped. After the trailer the rest of the stream is read to its end (within
 * `maxUnpacked`), so the decompressor checks its own integrity and a caller hashing the
 * input sees all of it. Errors: InvalidArtifactError (corrupt, truncated, wrongly
 * compressed), UnsafeArchiveEntryError, ArchiveBudgetError; an error of the input stream
 * itself is rethrown as it is.
 */
export async function* walkCpio(
  archive: Readable,
  options: CpioReadOptions,
): AsyncGenerator<CpioEntry, void, undefined> {
  const label = options.label ?? 'the cpio archive';
  const maxEntries = options.maxEntries ?? DEFAULT_MAX_ENTRIES;
  const { input, compression, ioError } = await sniffCompression(
    archive,
    options.compression ?? 'detect',
  );
  const overBudget = () =>
    new ArchiveBudgetError(`${label} unpacks to more than ${options.maxUnpacked} bytes`);
  const bytes = decompress(input, compression, options.maxUnpacked, overBudget);
  let unpacked = 0;
  async function* counted(): AsyncGenerator<Buffer> {
    // Bytes up to the budget are handed on before the refusal, so an entry inside it (an
    // unsafe name, say) is judged before the archive is refused as too large.
    for await (const chunk of bytes) {
      const room = options.maxUnpacked - unpacked;
      unpacked += (chunk as Buffer).length;
      if (unpacked > options.maxUnpacked) {
        if (room > 0) yield (chunk as Buffer).subarray(0, room);
        throw overBudget();
      }
      yield chunk as Buffer;
    }
  }
  const q = new ByteQueue(counted());
  const failed = (err: unknown) => ioError() ?? asArtifactError(err, label, compression);
  let count = 0;
  try {
    for (;;) {
      const header = parseEntryHeader(await q.need(HEADER_SIZE, 'cpio'), label);
      const name = (await q.need(header.nameSize, 'cpio')).toString('utf8', 0, header.nameSize - 1);
      await q.skip(pad4(HEADER_SIZE + header.nameSize), 'cpio');
      if (name === TRAILER) break;
      if (++count > maxEntries)
        throw new ArchiveBudgetError(`${label} has more than ${maxEntries} entries`);
      const type = entryType(header.mode);
      assertSafeCpioEntry(name, type, label, options);
      let left = header.size;
      // The caller reads an entry outside this generator's try: a truncated or corrupt
      // payload met inside an entry is translated here too, never a raw decoder error.
      const take = async function* (): AsyncGenerator<Buffer> {
        try {
          while (left > 0) {
            const chunk = await q.take(left, 'cpio');
            left -= chunk.length;
            yield chunk;
          }
        } catch (err) {
          throw failed(err);
        }
      };
      yield {
        name,
        type,
        mode: header.mode,
        size: header.size,
        mtime: header.mtime,
        nlink: header.nlink,
        read: () => readAll(take(), name, header.size, options.maxEntrySize, label),
        stream: () => Readable.from(take(), { objectMode: false }),
      };
      await q.skip(left, 'cpio');
      await q.skip(pad4(header.size), 'cpio');
    }
    // Past the trailer: padding, then the end of the compressed stream.
    for await (const chunk of q.rest()) void chunk;
  } catch (err) {
    throw failed(err);
  } finally {
    archive.destroy();
    input.destroy();
    bytes.destroy();
  }
}

/**
 * Walks an rpm's payload (`readRpm(...).payload`) as `walkCpio` does, the compression taken
 * from the magic bytes, and after the last entry compares the compressed bytes with the
 * header's RPMTAG_PAYLOADDIGEST (rpm ≥ 4.14 writes it; older packages are not checked).
 * A payload that is not cpio, or compressed with what no decoder here reads (lzma), is
 * refused naming the header's PAYLOADFORMAT / PAYLOADCOMPRESSOR.
 */
export async function* walkRpmPayload(
  header: RpmHeader,
  payload: Readable,
  options: Omit<CpioReadOptions, 'compression'>,
): AsyncGenerator<CpioEntry, void, undefined> {
  const label = options.label ?? "the rpm's payload";
  const format = header.string(RpmTag.PayloadFormat) ?? 'cpio';
  const compressor = header.string(RpmTag.PayloadCompressor) ?? 'gzip';
  if (format !== 'cpio') {
    payload.destroy();
    throw new InvalidArtifactError(
      `${label} is in format "${format}"; only cpio payloads are read`,
    );
  }
  if (!['gzip', 'bzip2', 'xz', 'zstd', 'identity', 'none'].includes(compressor)) {
    payload.destroy();
    throw new InvalidArtifactError(
      `${label} is compressed with "${compressor}"; gzip, bzip2, xz and zstd payloads are read`,
    );
  }
  const expected = payloadDigest(header);
  const hash = expected ? createHash(expected.algorithm) : undefined;
  let ended = false;
  async function* hashed(): AsyncGenerator<Buffer> {
    for await (const chunk of payload) {
      hash?.update(chunk as Buffer);
      yield chunk as Buffer;
    }
    ended = true;
  }
  yield* walkCpio(Readable.from(hashed(), { objectMode: false }), { ...options, label });
  if (expected && hash) {
    if (!ended)
      throw new InvalidArtifactError(`${label} has data after the end of its compressed stream`);
    if (hash.digest('hex') !== expected.digest)
      throw new InvalidArtifactError(
        `${label} does not match the ${expected.algorithm} payload digest in the rpm's header`,
      );
  }
}

// OpenPGP hash algorithm ids (RFC 4880 §9.4) that RPMTAG_PAYLOADDIGESTALGO uses.
const PGP_HASHES: Record<number, string> = {
  1: 'md5',
  2: 'sha1',
  8: 'sha256',
  9: 'sha384',
  10: 'sha512',
  11: 'sha224',
};

function payloadDigest(header: RpmHeader): { algorithm: string; digest: string } | undefined {
  const digest = header.strings(RpmTag.PayloadDigest)[0];
  if (!digest) return undefined;
  const id = header.number(RpmTag.PayloadDigestAlgo) ?? 8;
  const algorithm = PGP_HASHES[id];
  if (!algorithm)
    throw new InvalidArtifactError(`the rpm's payload digest uses unknown hash algorithm ${id}`);
  return { algorithm, digest: digest.toLowerCase() };
}

/** Refuses a name an installer could be tricked by, and entry types the caller did not allow. */
export function assertSafeCpioEntry(
  name: string,
  type: CpioEntryType,
  label: string,
  options: Pick<CpioReadOptions, 'allowLinks' | 'allowSpecialFiles'>,
): void {
  const refuse = (rule: string) =>
    new UnsafeArchiveEntryError(
      `${label} has an entry ${JSON.stringify(name.slice(0, 200))} that is refused: ${rule}`,
    );
  if (name === '') throw refuse('the name is empty');
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(name)) throw refuse('the name holds a control character');
  if (name.startsWith('/')) throw refuse('the name is an absolute path');
  if (name.split('/').includes('..')) throw refuse('the name has a ".." segment');
  if (type === 'symlink' && !options.allowLinks)
    throw refuse('it is a symbolic link, and links are not accepted here');
  if (type === 'special' && !options.allowSpecialFiles)
    throw refuse('it is a device node, fifo or socket');
}

interface EntryHeader {
  mode: number;
  nlink: number;
  mtime: number;
  size: number;
  nameSize: number;
}

function parseEntryHeader(bytes: Buffer, label: string): EntryHeader {
  const magic = bytes.toString('latin1', 0, 6);
  if (magic === '07070X')
    throw new InvalidArtifactError(
      `${label} uses rpm's stripped cpio format (files over 4 GiB), which is not read here`,
    );
  if (magic !== '070701' && magic !== '070702')
    throw new InvalidArtifactError(`${label} is not a newc cpio archive (bad entry magic)`);
  const field = (i: number) => {
    const text = bytes.toString('latin1', 6 + i * 8, 14 + i * 8);
    if (!/^[0-9a-fA-F]{8}$/.test(text))
      throw new InvalidArtifactError(`${label} is corrupt: a header field is not hexadecimal`);
    return parseInt(text, 16);
  };
  const nameSize = field(11);
  if (nameSize < 2 || nameSize > MAX_NAME)
    throw new InvalidArtifactError(`${label} is corrupt: an entry name of ${nameSize} bytes`);
  return { mode: field(1), nlink: field(4), mtime: field(5), size: field(6), nameSize };
}

function entryType(mode: number): CpioEntryType {
  switch (mode & 0o170000) {
    case 0o040000:
      return 'directory';
    case 0o120000:
      return 'symlink';
    case 0o100000:
      return 'file';
    default:
      return 'special';
  }
}

function pad4(n: number): number {
  return (4 - (n % 4)) % 4;
}

async function readAll(
  chunks: AsyncIterable<Buffer>,
  name: string,
  size: number,
  max: number,
  label: string,
): Promise<Buffer> {
  if (size > max)
    throw new ArchiveBudgetError(
      `${label} has an entry ${JSON.stringify(name.slice(0, 200))} of ${size} bytes; at most ${max} are read`,
    );
  const out: Buffer[] = [];
  for await (const chunk of chunks) out.push(chunk);
  return Buffer.concat(out, size);
}

function asArtifactError(err: unknown, label: string, compression: TarCompression): RegistryError {
  if (err instanceof RegistryError) return err;
  if (err instanceof TruncatedError)
    return new InvalidArtifactError(`${label} is truncated (it ends before its trailer entry)`);
  const message = err instanceof Error ? err.message : String(err);
  const kind = compression === 'none' ? 'cpio archive' : `${compression}-compressed cpio archive`;
  return new InvalidArtifactError(`${label} is not a valid ${kind} (${message})`);
}
