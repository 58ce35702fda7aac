/**
 * Garbage collection on the S3 backend: BENCH_BLOBS (default 100,000) unreferenced blobs —
 * rows in MySQL and small objects in S3 — then one collection (BlobCollector, the cleanup
 * job's last step) timed while RSS and heap are sampled. Prints blobs deleted per second
 * (goal ≥ 1,000) and memory at each tenth of the run, which must stay flat: a round holds
 * 1000 blobs whatever the total.
 *
 *   npm run bench:gc                                   # MySQL + S3, WHARF_TEST_* set
 *   BENCH_BLOBS=10000 npm run bench:gc
 *   BENCH_BACKEND=sqlite+fs npm run bench:gc           # for comparison
 */
import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { BlobCollector, blobKey, generateStorageId, PackageBlobEntity } from '@wharf/packages-core';
import { BACKENDS } from '@wharf/packages-core/testing/backends';
import { createCoreTestContext } from '@wharf/packages-core/testing/core-test-context';

const MiB = 2 ** 20;
const total = Number(process.env.BENCH_BLOBS ?? 100_000);
const backend = BACKENDS.find((b) => b.name === (process.env.BENCH_BACKEND ?? 'mysql+s3'))!;
const PUT_CONCURRENCY = 64;
const ROWS_PER_INSERT = 1000;

async function main(): Promise<void> {
  if (!backend?.available)
    throw new Error(`backend ${backend?.name} is not configured (${backend?.missing})`);
  const ctx = await createCoreTestContext(backend);
  try {
    console.log(`gc bench: ${total} unreferenced blobs on ${backend.name}`);
    const ids = Array.from({ length: total }, () => generateStorageId());
    let t0 = performance.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: PUT_CONCURRENCY }, async () => {
        while (next < ids.length) {
          const id = ids[next++];
          await ctx.storage.put(blobKey(id), Readable.from([randomBytes(64)]));
        }
      }),
    );
    console.log(`  stored ${total} objects in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    t0 = performance.now();
    for (let i = 0; i < ids.length; i += ROWS_PER_INSERT) {
      await ctx.db.manager.insert(
        PackageBlobEntity,
        ids.slice(i, i + ROWS_PER_INSERT).map((storageId) => ({
          storageId,
          size: 64,
          hashMd5: randomBytes(16).toString('hex'),
          hashSha1: randomBytes(20).toString('hex'),
          hashSha256: randomBytes(32).toString('hex'),
          hashSha512: randomBytes(64).toString('hex'),
          createdUnix: 1,
        })),
      );
    }
    console.log(`  inserted ${total} rows in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    ids.length = 0;
    global.gc?.();

    const samples: { at: number; rss: number; heap: number }[] = [];
    const sample = () => {
      const m = process.memoryUsage();
      samples.push({ at: performance.now(), rss: m.rss, heap: m.heapUsed });
    };
    const sampler = setInterval(sample, 100);
    sample();
    t0 = performance.now();
    const removed = await ctx.module.get(BlobCollector).collect(Math.floor(Date.now() / 1000));
    const seconds = (performance.now() - t0) / 1000;
    clearInterval(sampler);
    sample();

    const left = await ctx.db.manager.count(PackageBlobEntity);
    let objects = 0;
    for await (const _ of ctx.storage.list('blobs/')) objects++;
    const peakRss = Math.max(...samples.map((s) => s.rss));
    console.log(
      `  collected ${removed} blobs in ${seconds.toFixed(1)} s: ${(removed / seconds).toFixed(0)} blobs/s` +
        ` (goal ≥ 1000); ${left} rows and ${objects} objects left`,
    );
    console.log(
      `  peak RSS ${(peakRss / MiB).toFixed(0)} MiB; memory through the run (RSS / heap, MiB):`,
    );
    const span = samples[samples.length - 1].at - samples[0].at;
    for (let tenth = 0; tenth <= 10; tenth++) {
      const at = samples[0].at + (span * tenth) / 10;
      const s = samples.reduce((best, x) =>
        Math.abs(x.at - at) < Math.abs(best.at - at) ? x : best,
      );
      console.log(
        `    ${String(tenth * 10).padStart(3)}%  ${(s.rss / MiB).toFixed(0).padStart(5)} / ${(s.heap / MiB).toFixed(0)}`,
      );
    }
    if (removed !== total || left !== 0 || objects !== 0)
      throw new Error(
        `collection incomplete: removed ${removed}, ${left} rows, ${objects} objects`,
      );
  } finally {
    await ctx.close();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
