import { createHash, Hash } from 'node:crypto';
import { Transform, TransformCallback } from 'node:stream';
import { PayloadTooLargeError } from '../errors/registry-error';
import { OffloadedDigests } from './digest-worker';

/** What every upload knows about its bytes: the size and the content address. */
export interface ContentDigests {
  size: number;
  sha256: string;
  md5?: string;
  sha1?: string;
  sha512?: string;
}

export interface BlobDigests extends ContentDigests {
  md5: string;
  sha1: string;
  sha512: string;
}

/** Up to this many bytes every digest is computed inline; past it md5/sha1/sha512 move to the digest workers. */
const OFFLOAD_AFTER = 1024 * 1024;

/**
 * One pass over an upload: counts bytes, fails with {@link PayloadTooLargeError} as soon
 * as the count passes `limit` (so nothing past the limit is ever written), and computes
 * md5, sha1, sha256 and sha512. Bytes flow through unchanged; nothing is retained.
 *
 * sha256 (the content address) is always computed here. For a small body the others are
 * too; once a body passes {@link OFFLOAD_AFTER} they continue in worker threads (a
 * hash's state cannot move between threads, so the first MiB is kept and replayed to
 * them), which lets ingest run at the speed of the slowest digest rather than their sum.
 */
export class HashingStream extends Transform {
  private readonly sha256 = createHash('sha256');
  private inline?: Record<'md5' | 'sha1' | 'sha512', Hash>;
  /** the chunks seen while hashing inline, replayed to the workers on the switch */
  private seen: Buffer[] = [];
  private offloaded?: OffloadedDigests;
  private count = 0;
  private result?: ContentDigests;

  /**
   * `sha256Only`: compute the content address alone (formats that serve no other digest;
   * the others are computed later from the stored bytes if anyone asks, see
   * BlobDigestService).
   */
  constructor(
    private readonly limit?: number,
    private readonly sha256Only = false,
  ) {
    super();
    if (!sha256Only)
      this.inline = {
        md5: createHash('md5'),
        sha1: createHash('sha1'),
        sha512: createHash('sha512'),
      };
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.count += chunk.length;
    if (this.limit !== undefined && this.count > this.limit) {
      callback(new PayloadTooLargeError(this.limit));
      return;
    }
    this.sha256.update(chunk);
    if (this.sha256Only) {
      callback(null, chunk);
      return;
    }
    if (this.inline) {
      for (const hash of Object.values(this.inline)) hash.update(chunk);
      this.seen.push(chunk);
      if (this.count > OFFLOAD_AFTER) this.offload();
    } else {
      this.offloaded!.update(chunk);
    }
    const wait = this.offloaded?.backpressure();
    if (wait) wait.then(() => callback(null, chunk), callback);
    else callback(null, chunk);
  }

  override _flush(callback: TransformCallback): void {
    const base = { size: this.count, sha256: this.sha256.digest('hex') };
    if (this.sha256Only) {
      this.result = base;
      callback();
      return;
    }
    if (this.inline) {
      const h = this.inline;
      this.result = {
        ...base,
        md5: h.md5.digest('hex'),
        sha1: h.sha1.digest('hex'),
        sha512: h.sha512.digest('hex'),
      };
      callback();
      return;
    }
    this.offloaded!.digests().then((d) => {
      this.result = { ...base, ...d };
      callback();
    }, callback);
  }

  override _destroy(err: Error | null, callback: (error?: Error | null) => void): void {
    if (!this.result) this.offloaded?.abort();
    callback(err);
  }

  /** The four digests; only valid once the stream has ended, and not with `sha256Only`. */
  digests(): BlobDigests {
    const result = this.contentDigests();
    if (this.sha256Only) throw new Error('HashingStream.digests() called on a sha256-only stream');
    return result as BlobDigests;
  }

  /** The digests computed (size and sha256 at least); only valid once the stream has ended. */
  contentDigests(): ContentDigests {
    if (!this.result) throw new Error('HashingStream.digests() called before the stream ended');
    return this.result;
  }

  private offload(): void {
    const offloaded = new OffloadedDigests();
    for (const chunk of this.seen) offloaded.update(chunk);
    this.seen = [];
    this.inline = undefined;
    this.offloaded = offloaded;
  }
}
