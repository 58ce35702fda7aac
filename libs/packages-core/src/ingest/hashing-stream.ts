import { createHash, Hash } from 'node:crypto';
import { Transform, TransformCallback } from 'node:stream';
import { PayloadTooLargeError } from '../errors/registry-error';

export interface BlobDigests {
  size: number;
  md5: string;
  sha1: string;
  sha256: string;
  sha512: string;
}

/**
 * One pass over an upload: counts bytes, fails with {@link PayloadTooLargeError} as soon
 * as the count passes `limit` (so nothing past the limit is ever written), and computes
 * md5, sha1, sha256 and sha512. Bytes flow through unchanged; nothing is retained.
 */
export class HashingStream extends Transform {
  private readonly hashes: Record<'md5' | 'sha1' | 'sha256' | 'sha512', Hash> = {
    md5: createHash('md5'),
    sha1: createHash('sha1'),
    sha256: createHash('sha256'),
    sha512: createHash('sha512'),
  };
  private count = 0;
  private result?: BlobDigests;

  constructor(private readonly limit?: number) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.count += chunk.length;
    if (this.limit !== undefined && this.count > this.limit) {
      callback(new PayloadTooLargeError(this.limit));
      return;
    }
    for (const hash of Object.values(this.hashes)) hash.update(chunk);
    callback(null, chunk);
  }

  override _flush(callback: TransformCallback): void {
    const h = this.hashes;
    this.result = {
      size: this.count,
      md5: h.md5.digest('hex'),
      sha1: h.sha1.digest('hex'),
      sha256: h.sha256.digest('hex'),
      sha512: h.sha512.digest('hex'),
    };
    callback();
  }

  /** The digests; only valid once the stream has ended. */
  digests(): BlobDigests {
    if (!this.result) throw new Error('HashingStream.digests() called before the stream ended');
    return this.result;
  }
}
