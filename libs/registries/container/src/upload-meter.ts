import type { Hash } from 'node:crypto';
import { Transform, TransformCallback } from 'node:stream';
import { PayloadTooLargeError } from '@wharf/packages-core';

/**
 * A pass-through that counts a chunk's bytes and fails with a 413 once the session's
 * total (`alreadyReceived` + this chunk's) would pass `limit`; with `hash`, every byte
 * that passes also goes into it.
 */
export function uploadMeter(
  alreadyReceived: number,
  limit: number | undefined,
  hash?: Hash,
): Transform & { count: () => number } {
  let count = 0;
  const t = new Transform({
    transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback) {
      count += chunk.length;
      if (limit !== undefined && alreadyReceived + count > limit)
        return cb(new PayloadTooLargeError(limit));
      hash?.update(chunk);
      cb(null, chunk);
    },
  });
  return Object.assign(t, { count: () => count });
}
