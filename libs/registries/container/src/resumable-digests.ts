import { createMD5, createSHA1, createSHA256, createSHA512, IHasher } from 'hash-wasm';
import { Transform, TransformCallback } from 'node:stream';
import { BlobDigests, PayloadTooLargeError } from '@wharf/packages-core';

const ALGORITHMS = {
  md5: createMD5,
  sha1: createSHA1,
  sha256: createSHA256,
  sha512: createSHA512,
} as const;
type Algorithm = keyof typeof ALGORITHMS;
/** Serialized hasher states (base64), as kept in an upload session row. */
export type SavedDigests = Record<Algorithm, string>;

/**
 * The four digests a blob row needs, resumable: a chunk's bytes are hashed on whichever
 * replica receives it, the states are saved with the session, and finishing a session
 * only loads and finalizes them — it never reads the blob again to hash it.
 */
export class ResumableDigests {
  private constructor(private readonly hashers: Record<Algorithm, IHasher>) {}

  /** Fresh hashers, or hashers resumed from `saved`. */
  static async open(saved?: SavedDigests): Promise<ResumableDigests> {
    const entries = await Promise.all(
      (Object.keys(ALGORITHMS) as Algorithm[]).map(async (name) => {
        const hasher = (await ALGORITHMS[name]()).init();
        if (saved) hasher.load(Buffer.from(saved[name], 'base64'));
        return [name, hasher] as const;
      }),
    );
    return new ResumableDigests(Object.fromEntries(entries) as Record<Algorithm, IHasher>);
  }

  update(chunk: Uint8Array): void {
    for (const hasher of Object.values(this.hashers)) hasher.update(chunk);
  }

  save(): SavedDigests {
    const out = {} as SavedDigests;
    for (const [name, hasher] of Object.entries(this.hashers))
      out[name as Algorithm] = Buffer.from(hasher.save()).toString('base64');
    return out;
  }

  /** Finalizes (the hashers cannot be used afterwards). */
  digests(size: number): BlobDigests {
    const h = this.hashers;
    return {
      size,
      md5: h.md5.digest(),
      sha1: h.sha1.digest(),
      sha256: h.sha256.digest(),
      sha512: h.sha512.digest(),
    };
  }

  /**
   * A pass-through that hashes and counts; fails with a 413 once `total` would pass `limit`
   * (`total` = bytes already in the session + this chunk's).
   */
  meter(alreadyReceived: number, limit: number | undefined): Transform & { count: () => number } {
    let count = 0;
    const update = (chunk: Buffer) => this.update(chunk);
    const t = new Transform({
      transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback) {
        count += chunk.length;
        if (limit !== undefined && alreadyReceived + count > limit)
          return cb(new PayloadTooLargeError(limit));
        update(chunk);
        cb(null, chunk);
      },
    });
    return Object.assign(t, { count: () => count });
  }
}
