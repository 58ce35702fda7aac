/**
 * Garbage collection on the S3 backend: BENCH_BLOBS (default 100,000) unreferenced blobs —
 * rows in MySQL and small objects in S3 — then one collection (BlobCollector, the cleanup
 * job's last step) timed while RSS and heap are sampled. Prints blobs deleted per second
 * (goal ≥ 1,000), the time spent waiting for the storage's deletes, and memory at each
 * tenth of the run, which must stay flat: GC_IN_FLIGHT rounds of 1000 blobs whatever the
 * total. Every sample (one a second) follows a forced full garbage collection.
 *
 * On S3 it first measures the server itself: the same number of keys removed by raw
 * DeleteObjects requests of 1000 keys from the minio client, one at a time and
 * GC_IN_FLIGHT at once. That is the bound no client can beat; Swift's s3api, the test
 * server, deletes the keys of one request two at a time, each a HEAD, a DELETE and a
 * container update in one Python process, so it lies far below 1000 keys/s on a small
 * machine, and Wharf's figure is to be read beside it.
 *
 *   npm run bench:gc                                   # MySQL + S3, WHARF_TEST_* set
 *   BENCH_BLOBS=10000 npm run bench:gc
 *   BENCH_BACKEND=sqlite+fs npm run bench:gc           # the embedded default
 *   BENCH_BACKEND=mysql+fs npm run bench:gc            # MySQL's side alone (files on disk)
 *   BENCH_PROBE=0 npm run bench:gc                     # skip the raw S3 measurement
 */
import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import {
  BlobCollector,
  blobKey,
  BlobStorage,
  GC_BATCH,
  GC_IN_FLIGHT,
  generateStorageId,
  PackageBlobEntity,
} from '@wharf/packages-core';
import { BACKENDS, minioClient } from '@wharf/packages-core/testing/backends';
import { createCoreTestContext } from '@wharf/packages-core/testing/core-test-context';

const MiB = 2 ** 20;
const total = Number(process.env.BENCH_BLOBS ?? 100_000);
const backendName = process.env.BENCH_BACKEND ?? 'mysql+s3';
// mysql+fs: the MySQL database of mysql+s3 with objects in files, Wharf's side without the S3 server
const backend = BACKENDS.find((b) => b.name === backendName.replace('mysql+fs', 'mysql+s3'));
const storageEnv: Record<string, string> =
  backendName === 'mysql+fs' ? { REGISTRY_STORAGE: 'fs' } : {};
const probe = process.env.BENCH_PROBE !== '0';
const PUT_CONCURRENCY = 64;

// Each sample first forces a full collection, so it shows live memory, not garbage a
// lazy collector has yet to reclaim (a growing heap would then be a real leak); once a second costs little time.
setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;
const ROWS_PER_INSERT = 1000;

async function putObjects(storage: BlobStorage, keys: string[]): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: PUT_CONCURRENCY }, async () => {
      while (next < keys.length) await storage.put(keys[next++], Readable.from([randomBytes(64)]));
    }),
  );
}

/** `inFlight` raw DeleteObjects requests of GC_BATCH keys at once: the S3 server's own rate. */
async function probeServer(storage: BlobStorage, bucket: string, inFlight: number): Promise<void> {
  const keys = Array.from({ length: inFlight * GC_BATCH }, () => blobKey(generateStorageId()));
  await putObjects(storage, keys);
  const client = minioClient();
  const t0 = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (next < keys.length) {
        const batch = keys.slice(next, (next += GC_BATCH));
        const results = await client.removeObjects(bucket, batch);
        const failed = results.filter((r) => r?.Error?.Code);
        if (failed.length) throw new Error(`raw DeleteObjects: ${failed.length} keys failed`);
      }
    }),
  );
  const seconds = (performance.now() - t0) / 1000;
  console.log(
    `  S3 server alone: ${keys.length} keys by DeleteObjects of ${GC_BATCH}, ${inFlight} in flight,` +
      ` in ${seconds.toFixed(1)} s: ${(keys.length / seconds).toFixed(0)} keys/s`,
  );
}

async function main(): Promise<void> {
  if (!backend?.available)
    throw new Error(`backend ${backendName} is not configured (${backend?.missing})`);
  const ctx = await createCoreTestContext(backend, storageEnv);
  try {
    console.log(`gc bench: ${total} unreferenced blobs on ${backendName}`);
    const settings = ctx.config.storage;
    if (settings.kind === 's3' && probe) {
      await probeServer(ctx.storage, settings.bucket, 1);
      await probeServer(ctx.storage, settings.bucket, GC_IN_FLIGHT);
    }
    const ids = Array.from({ length: total }, () => generateStorageId());
    let t0 = performance.now();
    await putObjects(ctx.storage, ids.map(blobKey));
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
    collectGarbage();

    const samples: { at: number; rss: number; heap: number }[] = [];
    const sample = () => {
      collectGarbage();
      const m = process.memoryUsage();
      samples.push({ at: performance.now(), rss: m.rss, heap: m.heapUsed });
    };
    // time the collection waits on the storage (overlapping rounds counted once)
    let storageBusy = 0;
    let busySince = 0;
    let busy = 0;
    const deleteMany = ctx.storage.deleteMany.bind(ctx.storage);
    ctx.storage.deleteMany = async (keys) => {
      if (busy++ === 0) busySince = performance.now();
      try {
        return await deleteMany(keys);
      } finally {
        if (--busy === 0) storageBusy += performance.now() - busySince;
      }
    };
    const sampler = setInterval(sample, 1000);
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
      `  storage deletes in progress ${(storageBusy / 1000).toFixed(1)} s of the ${seconds.toFixed(1)} s` +
        ` (at most ${GC_IN_FLIGHT} rounds of ${GC_BATCH} in flight)`,
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
