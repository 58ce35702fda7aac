import { PassThrough, Readable } from 'node:stream';
import * as yauzl from 'yauzl';
import {
  InvalidArtifactError,
  RegistryError,
  UnsafeArchiveEntryError,
} from '../errors/registry-error';
import { ArchiveBudgetError } from './tar-entry-reader';

/*
 * Reads one entry out of a stored zip without unpacking it (wheels, zip sdists, …).
 * yauzl does the zip parsing; this file only feeds it byte ranges of the stored blob and
 * adds the registry's limits. What is read: the last ≤64 KiB (end record), the central
 * directory (fetched once, in one range), and the chosen entry's header and data. The
 * rest of the archive is never fetched, so a large wheel costs four range reads.
 */

/** Opens bytes [start, endInclusive] of the stored file (`PackageDownloadService.readBlob`). */
export type OpenRange = (start: number, endInclusive: number) => Promise<Readable>;

export interface ZipEntryReadOptions {
  /** Largest accepted uncompressed size of the entry, as declared and as inflated. */
  maxEntrySize: number;
  /** Largest accepted number of entries in the archive. */
  maxEntries?: number;
  /**
   * Largest sum of the entries' declared uncompressed sizes (413 past it): a zip bomb is
   * refused even though only one entry is read. Declared sizes are what an extractor
   * checks the inflated bytes against, so a lying header fails there instead.
   */
  maxUnpacked?: number;
}

const DEFAULT_MAX_ENTRIES = 100_000;
// The central directory is read in one piece; ~46 bytes plus the name per entry.
const MAX_CENTRAL_DIRECTORY = 64 * 1024 * 1024;

/**
 * The content of the one entry whose name `select` accepts, or undefined when none does.
 * Throws InvalidArtifactError for a corrupt zip, more than one matching entry, an entry
 * over `maxEntrySize` (declared, or found while inflating: a header may lie), too many
 * entries, and any entry name with `..`, an absolute path or a backslash, or a symbolic
 * link (UnsafeArchiveEntryError: an archive carrying such an entry is refused whole). Errors of `open` itself (storage down, blob
 * missing) are rethrown as they are: they say nothing about the archive.
 */
export async function readZipEntry(
  open: OpenRange,
  size: number,
  select: (name: string) => boolean,
  options: ZipEntryReadOptions,
): Promise<Buffer | undefined> {
  const reader = new BlobRangeReader(open);
  let zip: yauzl.ZipFile | undefined;
  try {
    // strictFileNames keeps backslashes, so yauzl's name check refuses them rather than
    // turning `..\evil` into `../evil` silently; it also refuses `..` and absolute paths.
    zip = await yauzl.fromRandomAccessReaderPromise(reader, size, {
      autoClose: false,
      strictFileNames: true,
      validateEntrySizes: true,
    });
    const maxEntries = options.maxEntries ?? DEFAULT_MAX_ENTRIES;
    if (zip.entryCount > maxEntries)
      throw new InvalidArtifactError(
        `the zip archive has ${zip.entryCount} entries; at most ${maxEntries} are accepted`,
      );
    await reader.cacheCentralDirectory(centralDirectoryOffset(zip), size);
    const entry = await findEntry(zip, select, options.maxUnpacked ?? Infinity);
    return entry && (await readEntry(zip, entry, options.maxEntrySize));
  } catch (err) {
    throw reader.ioError ?? asArtifactError(err);
  } finally {
    zip?.close();
  }
}

async function findEntry(
  zip: yauzl.ZipFile,
  select: (name: string) => boolean,
  maxUnpacked: number,
): Promise<yauzl.Entry | undefined> {
  let found: yauzl.Entry | undefined;
  let unpacked = 0;
  for await (const entry of zip.eachEntry()) {
    // A symbolic link made on Unix (mode in the high half of the external attributes): no
    // wheel or sdist holds one, and an extractor that honours it writes where it points.
    if (((entry.externalFileAttributes >>> 16) & 0o170000) === 0o120000)
      throw new UnsafeArchiveEntryError(
        `the zip archive has an entry ${JSON.stringify(entry.fileName.slice(0, 200))} that is refused: it is a symbolic link`,
      );
    unpacked += entry.uncompressedSize;
    if (unpacked > maxUnpacked)
      throw new ArchiveBudgetError(`the zip archive unpacks to more than ${maxUnpacked} bytes`);
    if (!select(entry.fileName)) continue;
    if (found)
      throw new InvalidArtifactError(
        `the zip archive has more than one matching entry (${found.fileName}, ${entry.fileName})`,
      );
    found = entry;
  }
  return found;
}

async function readEntry(zip: yauzl.ZipFile, entry: yauzl.Entry, max: number): Promise<Buffer> {
  const tooLarge = (n: number) =>
    new InvalidArtifactError(`${entry.fileName} is too large (${n} bytes; at most ${max})`);
  if (entry.uncompressedSize > max) throw tooLarge(entry.uncompressedSize);
  const stream = await zip.openReadStreamPromise(entry);
  const chunks: Buffer[] = [];
  let total = 0;
  // yauzl already stops at the declared size; counting here too keeps the budget ours.
  for await (const chunk of stream) {
    total += (chunk as Buffer).length;
    if (total > max) throw tooLarge(total); // leaving the loop destroys the inflater
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks, total);
}

function centralDirectoryOffset(zip: yauzl.ZipFile): number {
  // Before the first readEntry() the cursor is the directory's start (typed wrongly as boolean).
  return (zip as unknown as { readEntryCursor: number }).readEntryCursor;
}

function asArtifactError(err: unknown): RegistryError {
  if (err instanceof RegistryError) return err;
  const message = err instanceof Error ? err.message : String(err);
  // yauzl's messages are precise but terse; name the two cases users actually meet.
  if (/end of central directory record signature not found/i.test(message))
    return new InvalidArtifactError('the file is not a zip archive (no end of central directory)');
  if (/^(invalid characters in fileName|absolute path|invalid relative path):/.test(message))
    return new UnsafeArchiveEntryError(`the zip archive holds an unsafe entry name (${message})`);
  return new InvalidArtifactError(`the zip archive is corrupt: ${message}`);
}

/**
 * yauzl's window onto the blob: each range is one storage read, except those inside the
 * cached central directory. yauzl's `end` is exclusive, the storage's inclusive.
 */
class BlobRangeReader extends yauzl.RandomAccessReader {
  /** The first error of the storage itself; it wins over whatever yauzl makes of it. */
  ioError?: unknown;
  private cache?: { start: number; bytes: Buffer };

  constructor(private readonly open: OpenRange) {
    super();
  }

  /** Reads [start, size) once, so yauzl's two small reads per entry stay in memory. */
  async cacheCentralDirectory(start: number, size: number): Promise<void> {
    if (!Number.isSafeInteger(start) || start < 0 || start > size)
      throw new InvalidArtifactError('the zip central directory offset is outside the file');
    if (size - start > MAX_CENTRAL_DIRECTORY)
      throw new InvalidArtifactError(
        `the zip central directory is larger than ${MAX_CENTRAL_DIRECTORY} bytes`,
      );
    if (start === size) return;
    const chunks: Buffer[] = [];
    for await (const chunk of this._readStreamForRange(start, size)) chunks.push(chunk as Buffer);
    const bytes = Buffer.concat(chunks);
    if (bytes.length !== size - start)
      throw new InvalidArtifactError('the zip archive is shorter than its stated size');
    this.cache = { start, bytes };
  }

  /** yauzl's small reads (two per directory entry): copied from the cache, no stream each. */
  override read(
    buffer: Buffer,
    offset: number,
    length: number,
    position: number,
    callback: (err: Error | null) => void,
  ): void {
    const cache = this.cache;
    if (!cache || position < cache.start || position + length > cache.start + cache.bytes.length)
      return super.read(buffer, offset, length, position, callback);
    cache.bytes.copy(buffer, offset, position - cache.start, position - cache.start + length);
    // yauzl's callback also takes the count read (types omit it); async, as yauzl expects.
    setImmediate(() => (callback as (err: null, bytesRead: number) => void)(null, length));
  }

  override _readStreamForRange(start: number, end: number): Readable {
    const cache = this.cache;
    if (cache && start >= cache.start && end <= cache.start + cache.bytes.length)
      return Readable.from([cache.bytes.subarray(start - cache.start, end - cache.start)]);
    const out = new PassThrough();
    const fail = (err: unknown) => {
      this.ioError ??= err;
      out.destroy(err as Error);
    };
    this.open(start, end - 1).then((source) => {
      if (out.destroyed) return void source.destroy(); // yauzl gave up before the read began
      source.on('error', fail);
      out.on('close', () => source.destroy());
      source.pipe(out);
    }, fail);
    return out;
  }
}
