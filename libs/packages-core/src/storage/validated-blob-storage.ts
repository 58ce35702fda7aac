import { pipeline, Readable, Transform } from 'node:stream';
import { assertValidBlobKey, assertValidBlobPrefix } from './blob-keys';
import {
  BlobListEntry,
  BlobStat,
  BlobStorage,
  ByteRange,
  JoinSource,
  PresignOptions,
} from './blob-storage';

export interface ValidatedBlobStorageOptions {
  /**
   * Called with the bytes stored (`in`, once per successful put) and served (`out`, as
   * a `get` stream is read) — the hook for transfer metrics.
   */
  onBytes?: (direction: 'in' | 'out', bytes: number) => void;
}

/**
 * The one wrapper every driver sits behind: it checks each key (and `list` prefix) with
 * {@link assertValidBlobKey} before the driver sees it, so no driver can be handed a
 * key that escapes its root, and it is where cross-cutting concerns such as metrics
 * live. A rejected key fails with {@link InvalidBlobKeyError} and reaches no driver.
 */
export class ValidatedBlobStorage implements BlobStorage {
  readonly kind: string;

  constructor(
    readonly inner: BlobStorage,
    private readonly options: ValidatedBlobStorageOptions = {},
  ) {
    this.kind = inner.kind;
  }

  /** See {@link BlobStorage.put}. */
  async put(key: string, body: Readable, size?: number): Promise<number> {
    assertValidBlobKey(key);
    const written = await this.inner.put(key, body, size);
    this.options.onBytes?.('in', written);
    return written;
  }

  /** See {@link BlobStorage.append}. */
  get appendable(): boolean {
    return this.inner.appendable;
  }

  /** See {@link BlobStorage.append}. */
  async append(key: string, offset: number, body: Readable): Promise<number> {
    assertValidBlobKey(key);
    if (!Number.isSafeInteger(offset) || offset < 0)
      throw new RangeError(`malformed append offset ${offset}`);
    const written = await this.inner.append(key, offset, body);
    this.options.onBytes?.('in', written);
    return written;
  }

  /** See {@link BlobStorage.join}; every key is checked before any request. */
  async join(target: string, sources: readonly JoinSource[]): Promise<boolean> {
    assertValidBlobKey(target);
    sources.forEach((src) => assertValidBlobKey(src.key));
    return this.inner.join(target, sources);
  }

  /** See {@link BlobStorage.get}; a malformed range is a caller bug and throws RangeError. */
  async get(key: string, range?: ByteRange): Promise<Readable> {
    assertValidBlobKey(key);
    if (range) assertWellFormedRange(range);
    const stream = await this.inner.get(key, range);
    const onBytes = this.options.onBytes;
    return onBytes ? countBytes(stream, (n) => onBytes('out', n)) : stream;
  }

  /** See {@link BlobStorage.stat}. */
  async stat(key: string): Promise<BlobStat> {
    assertValidBlobKey(key);
    return this.inner.stat(key);
  }

  /** See {@link BlobStorage.delete}. */
  async delete(key: string): Promise<void> {
    assertValidBlobKey(key);
    return this.inner.delete(key);
  }

  /** See {@link BlobStorage.deleteMany}; every key is checked before any is deleted. */
  async deleteMany(keys: readonly string[]): Promise<void> {
    keys.forEach(assertValidBlobKey);
    if (keys.length) await this.inner.deleteMany(keys);
  }

  /** See {@link BlobStorage.abortIncompleteUploads}. */
  abortIncompleteUploads(initiatedBefore: Date): Promise<number> {
    return this.inner.abortIncompleteUploads(initiatedBefore);
  }

  /** See {@link BlobStorage.list}; the prefix is checked when iteration starts. */
  async *list(prefix: string): AsyncIterable<BlobListEntry> {
    assertValidBlobPrefix(prefix);
    yield* this.inner.list(prefix);
  }

  /** See {@link BlobStorage.presignedGetUrl}. */
  async presignedGetUrl(key: string, options: PresignOptions): Promise<string | undefined> {
    assertValidBlobKey(key);
    return this.inner.presignedGetUrl(key, options);
  }

  /** See {@link BlobStorage.ping}. */
  ping(): Promise<void> {
    return this.inner.ping();
  }
}

function assertWellFormedRange({ start, end }: ByteRange): void {
  const ok =
    Number.isSafeInteger(start) &&
    start >= 0 &&
    (end === undefined || (Number.isSafeInteger(end) && end >= start));
  if (!ok) throw new RangeError(`malformed byte range ${start}-${end ?? ''}`);
}

/**
 * Reports each chunk as it passes. A Transform rather than a 'data' listener, which
 * would switch the source to flowing mode and lose backpressure.
 */
function countBytes(source: Readable, report: (n: number) => void): Readable {
  const counter = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      report(chunk.length);
      done(null, chunk);
    },
  });
  // pipeline forwards a source error to `counter` (the consumer sees it there) and
  // destroys the source when the consumer destroys `counter`; nothing is left to handle.
  pipeline(source, counter, () => undefined);
  return counter;
}
