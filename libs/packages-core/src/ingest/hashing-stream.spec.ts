import { createHash, randomBytes } from 'node:crypto';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { PayloadTooLargeError } from '../errors/registry-error';
import { digestWorkerState, setDigestWorkerIdleMs } from './digest-worker';
import { HashingStream } from './hashing-stream';

const hex = (algorithm: string, data: Buffer) => createHash(algorithm).update(data).digest('hex');

/** Feeds `data` in `piece`-byte chunks through a HashingStream into a sink that counts. */
async function hashThrough(data: Buffer, piece: number, limit?: number) {
  const hasher = new HashingStream(limit);
  let passed = 0;
  const chunks = function* () {
    for (let o = 0; o < data.length; o += piece) yield data.subarray(o, o + piece);
  };
  await pipeline(
    Readable.from(chunks()),
    hasher,
    new Writable({
      write(chunk: Buffer, _e, cb) {
        passed += chunk.length;
        cb();
      },
    }),
  );
  return { digests: hasher.digests(), passed };
}

describe('HashingStream', () => {
  // Small bodies are hashed inline; past 1 MiB md5/sha1/sha512 move to the digest workers.
  it.each([
    ['empty', 0, 1],
    ['small, inline', 70_000, 4096],
    ['just over the switch', 1024 * 1024 + 1, 65536],
    ['large, offloaded, odd chunk sizes', 21 * 1024 * 1024 + 77, 100_003],
  ])('computes every digest of a %s body', async (_name, size, piece) => {
    const data = randomBytes(size);
    const { digests, passed } = await hashThrough(data, piece);
    expect(passed).toBe(size);
    expect(digests).toEqual({
      size,
      md5: hex('md5', data),
      sha1: hex('sha1', data),
      sha256: hex('sha256', data),
      sha512: hex('sha512', data),
    });
  });

  it('keeps concurrent large bodies apart', async () => {
    const bodies = [randomBytes(5 * 1024 * 1024), randomBytes(3 * 1024 * 1024 + 5)];
    const results = await Promise.all(bodies.map((b) => hashThrough(b, 65536)));
    results.forEach(({ digests }, i) => {
      expect(digests.md5).toBe(hex('md5', bodies[i]));
      expect(digests.sha512).toBe(hex('sha512', bodies[i]));
    });
  });

  it('fails with 413 past the limit, after offloading too', async () => {
    await expect(hashThrough(randomBytes(3 * 1024 * 1024), 65536, 2 * 1024 * 1024)).rejects.toThrow(
      PayloadTooLargeError,
    );
    // the workers are still usable afterwards
    const data = randomBytes(2 * 1024 * 1024);
    expect((await hashThrough(data, 65536)).digests.sha1).toBe(hex('sha1', data));
  });

  it('lets idle digest workers exit with the batches they used, and starts them again for the next large body', async () => {
    setDigestWorkerIdleMs(200);
    try {
      const data = randomBytes(4 * 1024 * 1024);
      await hashThrough(data, 65536);
      expect(digestWorkerState().workers).toBe(2);
      expect(digestWorkerState().freeBatches).toBeGreaterThan(0);
      const deadline = Date.now() + 5000;
      while (digestWorkerState().workers > 0 && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 50));
      expect(digestWorkerState()).toEqual({ workers: 0, freeBatches: 0 });
      const again = await hashThrough(data, 65536);
      expect(again.digests.sha1).toBe(hex('sha1', data));
      expect(again.digests.md5).toBe(hex('md5', data));
    } finally {
      setDigestWorkerIdleMs(10_000);
    }
  });
});
