import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { access, mkdir, open, readdir, rename, rmdir, stat, unlink } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { Readable } from 'node:stream';
import {
  BlobListEntry,
  BlobNotFoundError,
  BlobStat,
  BlobStorage,
  ByteRange,
  RangeNotSatisfiableError,
  StorageFullError,
  StorageUnavailableError,
} from './blob-storage';

/** Where files are written before they are renamed into place; never a key (keys start [a-z0-9]). */
const TMP_DIR = '.tmp';
const READ_BUFFER = 1024 * 1024;

/**
 * {@link BlobStorage} on a local directory: each key is a file under `root`, its `/`
 * separators directories. Keys reach this driver already validated (see
 * {@link ValidatedBlobStorage}), so joining them under `root` cannot escape it.
 *
 * Since a key is a path, `a` and `a/b` cannot both exist here (S3 allows it); the key
 * layout of `blob-keys.ts` never needs that.
 */
export class FsBlobStorage implements BlobStorage {
  readonly kind = 'fs';

  private readonly root: string;

  /** @param root the data directory; created on the first `put` or `ping` */
  constructor(root: string) {
    // absolute and without a trailing slash: removeEmptyParents compares prefixes
    this.root = resolve(root);
  }

  /**
   * Streams `body` into `<root>/.tmp/<random>`, fsyncs it, then renames it over the key:
   * rename is atomic, so a reader sees the old object or the whole new one. On a body or
   * write error the temporary file is deleted and the promise rejects with that error.
   */
  async put(key: string, body: Readable): Promise<number> {
    const tmpDir = join(this.root, TMP_DIR);
    const tmp = join(tmpDir, randomBytes(16).toString('hex'));
    try {
      await mkdir(tmpDir, { recursive: true });
      const size = await writeDurably(tmp, body);
      await this.moveIntoPlace(tmp, this.pathOf(key));
      return size;
    } catch (err) {
      await unlinkIfPresent(tmp);
      throw isFull(err) ? new StorageFullError(`${this.root}: no space left`, { cause: err }) : err;
    }
  }

  readonly appendable = true;

  /**
   * Writes at `offset` of the file itself (no temporary file: the object is a staging
   * object nobody reads yet), after cutting it to `offset`; fsyncs before resolving. On
   * a body or write error the file is cut back to `offset`.
   */
  async append(key: string, offset: number, body: Readable): Promise<number> {
    const path = this.pathOf(key);
    let file: FileHandle;
    try {
      if (offset === 0) {
        await mkdir(dirname(path), { recursive: true });
        file = await open(path, 'w');
      } else {
        file = await open(path, 'r+');
      }
    } catch (err) {
      body.resume();
      if (offset > 0 && isMissing(err)) throw new BlobNotFoundError(key);
      throw isFull(err) ? new StorageFullError(`${this.root}: no space left`, { cause: err }) : err;
    }
    try {
      let cut = false;
      if (offset > 0) {
        const { size } = await file.stat();
        if (size < offset) {
          body.resume();
          throw new RangeNotSatisfiableError(key, size);
        }
        if (size > offset) await file.truncate(offset);
        cut = size > offset;
      }
      try {
        const written = await writeAll(file, body, offset);
        if (written > 0 || cut || offset === 0) await file.sync();
        return written;
      } catch (err) {
        await file.truncate(offset).catch(() => undefined);
        throw isFull(err)
          ? new StorageFullError(`${this.root}: no space left`, { cause: err })
          : err;
      }
    } finally {
      await file.close();
    }
  }

  /** A filesystem has no server to join files; upload sessions append in place instead. */
  async join(): Promise<boolean> {
    return false;
  }

  /**
   * Opens the file first and checks the range against that open file's size, so a
   * concurrent overwrite or delete cannot make the stream disagree with the check.
   */
  async get(key: string, range?: ByteRange): Promise<Readable> {
    const file = await this.openFile(key);
    try {
      const { size } = await file.stat();
      if (range && range.start >= size) throw new RangeNotSatisfiableError(key, size);
      const start = range?.start ?? 0;
      const end = Math.min(range?.end ?? size - 1, size - 1);
      // An empty object has no byte to name with `end`; a 0-length read is what we want.
      if (size === 0) return await closeAndEmpty(file);
      // 1 MiB reads rather than 64 KiB: a sixteenth of the reads and socket writes per
      // download. Never more than the bytes asked: each read allocates a buffer of this
      // size, and 1 MiB per request for a 70 KiB tarball was most of a GET's cost.
      const highWaterMark = Math.min(READ_BUFFER, Math.max(end - start + 1, 1));
      return file.createReadStream({ start, end, autoClose: true, highWaterMark });
    } catch (err) {
      await file.close();
      throw err;
    }
  }

  /** Size and mtime of the file; a directory (a key prefix) is not an object. */
  async stat(key: string): Promise<BlobStat> {
    try {
      const s = await stat(this.pathOf(key));
      if (!s.isFile()) throw new BlobNotFoundError(key);
      return { size: s.size, modified: s.mtime };
    } catch (err) {
      throw isMissing(err) ? new BlobNotFoundError(key) : err;
    }
  }

  /** One unlink per key (a filesystem has no batch delete), 16 at a time. */
  async deleteMany(keys: readonly string[]): Promise<void> {
    let next = 0;
    const worker = async () => {
      while (next < keys.length) await this.delete(keys[next++]);
    };
    await Promise.all(Array.from({ length: Math.min(16, keys.length) }, worker));
  }

  /** Files are written whole (temporary file, rename): there are no multipart uploads. */
  async abortIncompleteUploads(): Promise<number> {
    return 0;
  }

  /** Unlinks the file, then removes parent directories it left empty (up to the root). */
  async delete(key: string): Promise<void> {
    const path = this.pathOf(key);
    try {
      await unlink(path);
    } catch (err) {
      if (isMissing(err) || errorCode(err) === 'EISDIR') return;
      throw err;
    }
    await this.removeEmptyParents(dirname(path));
  }

  /**
   * Walks only the directory the prefix names (its part up to the last `/`), keeping
   * entries whose key starts with the prefix. Siblings are visited in the order of
   * their keys: a directory sorts as `name/`, so `a-b` (`-` < `/`) comes before `a/x`.
   */
  async *list(prefix: string): AsyncIterable<BlobListEntry> {
    const cut = prefix.lastIndexOf('/') + 1;
    const dirKey = prefix.slice(0, cut);
    const rest = prefix.slice(cut);
    yield* this.walk(
      dirKey,
      (name) => name.startsWith(rest) && (dirKey !== '' || name !== TMP_DIR),
    );
  }

  /** The filesystem cannot hand out URLs; downloads stream through the service. */
  async presignedGetUrl(): Promise<string | undefined> {
    return undefined;
  }

  /** Proves the root exists (creating it) and is writable by this process. */
  async ping(): Promise<void> {
    const tmpDir = join(this.root, TMP_DIR);
    try {
      await mkdir(tmpDir, { recursive: true });
      await access(tmpDir, constants.W_OK);
    } catch (err) {
      throw new StorageUnavailableError(
        `filesystem storage at ${this.root} is not writable: ${(err as Error).message}`,
        { cause: err },
      );
    }
  }

  private pathOf(key: string): string {
    return join(this.root, ...key.split('/'));
  }

  private async openFile(key: string): Promise<FileHandle> {
    let file: FileHandle;
    try {
      file = await open(this.pathOf(key), 'r');
    } catch (err) {
      throw isMissing(err) ? new BlobNotFoundError(key) : err;
    }
    // open(2) succeeds on a directory; a key prefix is not an object
    if (!(await file.stat()).isDirectory()) return file;
    await file.close();
    throw new BlobNotFoundError(key);
  }

  /**
   * mkdir -p, rename, then fsync the directory so the new entry survives a crash. A
   * concurrent delete may remove the just-created (still empty) parent between mkdir and
   * rename; that ENOENT is retried.
   */
  private async moveIntoPlace(tmp: string, path: string): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      await mkdir(dirname(path), { recursive: true });
      try {
        await rename(tmp, path);
        break;
      } catch (err) {
        if (errorCode(err) !== 'ENOENT' || attempt === 3) throw err;
      }
    }
    await fsyncDirectory(dirname(path));
  }

  private async removeEmptyParents(dir: string): Promise<void> {
    for (let d = dir; d.length > this.root.length && d.startsWith(this.root); d = dirname(d)) {
      try {
        await rmdir(d);
      } catch (err) {
        // not empty (another key lives there) or already gone: stop climbing
        if (['ENOTEMPTY', 'EEXIST', 'ENOENT'].includes(errorCode(err) ?? '')) return;
        throw err;
      }
    }
  }

  private async *walk(
    dirKey: string,
    keep: (name: string) => boolean,
  ): AsyncIterable<BlobListEntry> {
    for (const { name, isDir } of await this.sortedEntries(dirKey)) {
      if (!keep(name)) continue;
      const key = dirKey + name;
      if (isDir) {
        yield* this.walk(`${key}/`, () => true);
      } else {
        const s = await stat(this.pathOf(key)).catch((err: unknown) => {
          if (isMissing(err)) return undefined; // deleted while listing
          throw err;
        });
        if (s) yield { key, size: s.size };
      }
    }
  }

  private async sortedEntries(dirKey: string): Promise<{ name: string; isDir: boolean }[]> {
    let dirents;
    try {
      dirents = await readdir(join(this.root, ...dirKey.split('/').filter(Boolean)), {
        withFileTypes: true,
      });
    } catch (err) {
      if (isMissing(err)) return []; // nothing was ever stored under this prefix
      throw err;
    }
    const entries = dirents
      .filter((d) => d.isDirectory() || d.isFile())
      .map((d) => ({ name: d.name, isDir: d.isDirectory() }));
    const sortKey = (e: { name: string; isDir: boolean }) => (e.isDir ? `${e.name}/` : e.name);
    // Keys are ASCII, so UTF-16 code-unit order is byte order, as S3 lists.
    return entries.sort((a, b) => (sortKey(a) < sortKey(b) ? -1 : 1));
  }
}

/**
 * Writes `body` to a new file at `path`, fsyncs it and returns the bytes written. A
 * plain loop rather than pipeline(): a FileHandle write stream that must stay open for
 * the fsync (autoClose: false) never emits 'close', which pipeline() waits for.
 */
async function writeDurably(path: string, body: Readable): Promise<number> {
  const file = await open(path, 'wx');
  try {
    const size = await writeAll(file, body, 0);
    await file.sync();
    return size;
  } finally {
    await file.close();
  }
}

/** Writes every chunk of `body` from `position` on; resolves with the bytes written. */
async function writeAll(file: FileHandle, body: Readable, position: number): Promise<number> {
  let size = 0;
  // one chunk at a time: the body is paused while a write is pending (backpressure)
  for await (const chunk of body) {
    const data: Buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk);
    for (let offset = 0; offset < data.length;) {
      offset += (await file.write(data, offset, data.length - offset, position + size + offset))
        .bytesWritten;
    }
    size += data.length;
  }
  return size;
}

async function fsyncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

async function closeAndEmpty(file: FileHandle): Promise<Readable> {
  await file.close();
  return new Readable({
    read() {
      this.push(null);
    },
  });
}

async function unlinkIfPresent(path: string): Promise<void> {
  try {
    await unlink(path);
  } catch (err) {
    if (!isMissing(err)) throw err;
  }
}

function errorCode(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException | undefined)?.code;
}

/** Out of space or over the user's disk quota. */
function isFull(err: unknown): boolean {
  const code = errorCode(err);
  return code === 'ENOSPC' || code === 'EDQUOT';
}

/** ENOENT, or ENOTDIR when a path component is a file (`a` exists, `a/b` asked). */
function isMissing(err: unknown): boolean {
  const code = errorCode(err);
  return code === 'ENOENT' || code === 'ENOTDIR';
}
