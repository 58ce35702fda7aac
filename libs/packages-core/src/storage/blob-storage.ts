import { Readable } from 'node:stream';

/**
 * The one storage interface every blob goes through. A driver is only I/O: keys are
 * validated by {@link ValidatedBlobStorage} before a driver sees them, and keys are built
 * only in `blob-keys.ts` (from hashes and generated ids, never from client strings).
 *
 * Atomicity: an object is visible under its key only once `put` has resolved; a reader
 * never observes a partial object, and a failed or aborted `put` leaves nothing behind.
 */
export interface BlobStorage {
  /** Short name for logs and metrics (`fs`, `s3`). */
  readonly kind: string;

  /**
   * Stores the whole stream under `key`, replacing an existing object atomically.
   * Resolves with the number of bytes written once the object is durable and visible.
   * If `body` errors (client aborted, size limit hit) the promise rejects with that
   * error and no object, temporary file or incomplete multipart upload remains.
   */
  put(key: string, body: Readable, size?: number): Promise<number>;

  /**
   * True when {@link append} works (filesystem): an S3 object cannot grow, so there an
   * upload session keeps each chunk as its own object and joins them when it closes.
   */
  readonly appendable: boolean;

  /**
   * Writes `body` into the object `key` from byte `offset` on: `offset` 0 creates (or
   * empties) it; otherwise the object must already hold at least `offset` bytes, and
   * whatever lies beyond `offset` (what a failed earlier append left) is cut off first.
   * Resolves with the bytes written once they are durable; if `body` errors, the object
   * is cut back to `offset` and the promise rejects with that error. Only for an upload
   * session's staging object, which nothing reads before it is committed: unlike `put`,
   * the object grows in place. Rejects when the driver is not {@link appendable}.
   */
  append(key: string, offset: number, body: Readable): Promise<number>;

  /**
   * Joins the `sources` objects, in order, into `target` on the storage server, without
   * the bytes passing through Wharf (S3: a multipart upload of part copies); `target` may
   * be the first source's key. Resolves true once `target` holds the joined object, false
   * when the backend cannot join these (fs; on S3 a source other than the last under
   * 5 MiB), leaving everything as it was: the caller then streams them. The sources stay.
   */
  join(target: string, sources: readonly JoinSource[]): Promise<boolean>;

  /**
   * Opens the object for reading. `range` is inclusive on both ends, as in HTTP;
   * `end` is clamped to the last byte. Rejects with {@link BlobNotFoundError} when
   * there is no such key, {@link RangeNotSatisfiableError} when `start` ≥ size.
   */
  get(key: string, range?: ByteRange): Promise<Readable>;

  /** Size and modification time. Rejects with {@link BlobNotFoundError}. */
  stat(key: string): Promise<BlobStat>;

  /** Deletes the object. Deleting a missing key is not an error (idempotent). */
  delete(key: string): Promise<void>;

  /**
   * Deletes several objects in as few requests as the backend allows (S3: one
   * multi-object DELETE per 1000 keys). Missing keys are not errors; if any other key
   * fails the promise rejects, and the caller retries the whole set (delete is idempotent).
   */
  deleteMany(keys: readonly string[]): Promise<void>;

  /**
   * Aborts incomplete multipart uploads started before `initiatedBefore` (what a process
   * that died mid-upload leaves on S3, invisible to `list`); resolves with how many. A
   * backend without multipart uploads resolves with 0.
   */
  abortIncompleteUploads(initiatedBefore: Date): Promise<number>;

  /**
   * Every key that starts with `prefix` (recursively), in lexical order, with their
   * sizes. Used by maintenance jobs and tests, never on a request path.
   */
  list(prefix: string): AsyncIterable<BlobListEntry>;

  /**
   * A time-limited URL a client can GET directly, or `undefined` when the driver cannot
   * serve directly (filesystem). `filename` becomes the response's Content-Disposition.
   */
  presignedGetUrl(key: string, options: PresignOptions): Promise<string | undefined>;

  /** Cheap round trip proving the backend is reachable and the credentials work. */
  ping(): Promise<void>;
}

/** An object to {@link BlobStorage.join}, with its size in bytes. */
export interface JoinSource {
  key: string;
  size: number;
}

export interface ByteRange {
  start: number;
  /** inclusive; omitted = to the end */
  end?: number;
}

export interface BlobStat {
  size: number;
  modified: Date;
}

export interface BlobListEntry {
  key: string;
  size: number;
}

export interface PresignOptions {
  expiresSeconds: number;
  filename?: string;
  contentType?: string;
}

export class BlobNotFoundError extends Error {
  constructor(readonly key: string) {
    super(`blob ${key} not found`);
    this.name = 'BlobNotFoundError';
  }
}

export class RangeNotSatisfiableError extends Error {
  constructor(
    readonly key: string,
    readonly size: number,
  ) {
    super(`range not satisfiable for blob ${key} of ${size} bytes`);
    this.name = 'RangeNotSatisfiableError';
  }
}

export class InvalidBlobKeyError extends Error {
  constructor(readonly key: string) {
    super(`invalid blob key ${JSON.stringify(key)}`);
    this.name = 'InvalidBlobKeyError';
  }
}

/** The storage backend could not be reached or refused the credentials. */
export class StorageUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StorageUnavailableError';
  }
}

/**
 * The backend has no space left (ENOSPC/EDQUOT on a disk, a full MinIO): writes fail,
 * reads and deletes keep working, and writes succeed again once space is freed.
 */
export class StorageFullError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StorageFullError';
  }
}

/** Nest injection token for the configured {@link BlobStorage}. */
export const BLOB_STORAGE = Symbol('BLOB_STORAGE');
