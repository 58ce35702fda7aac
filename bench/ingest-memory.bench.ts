/**
 * Memory and throughput of the ingest and download paths: streams BENCH_SIZE bytes
 * (default 2 GiB) through IngestService into storage, commits it as a package file, then
 * reads it back, sampling RSS throughout. Prints MB/s and peak RSS; the design's bar is
 * RSS under 200 MiB whatever the size.
 *
 *   npm run bench:ingest                       # SQLite + filesystem
 *   BENCH_BACKEND=mysql+s3 npm run bench:ingest # with WHARF_TEST_* set (see scripts/test.sh)
 */
import 'reflect-metadata';
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { PackageType } from '@wharf/packages-core';
import { BACKENDS } from '@wharf/packages-core/testing/backends';
import { createCoreTestContext } from '@wharf/packages-core/testing/core-test-context';

const MiB = 2 ** 20;
const size = Number(process.env.BENCH_SIZE ?? 2 * 1024 * MiB);
const backend = BACKENDS.find((b) => b.name === (process.env.BENCH_BACKEND ?? 'sqlite+fs'))!;

function generated(total: number): Readable {
  const chunk = createHash('sha512').update('wharf').digest().toString('hex').repeat(512); // 64 KiB
  const buf = Buffer.from(chunk);
  let sent = 0;
  return new Readable({
    read() {
      if (sent >= total) return void this.push(null);
      const n = Math.min(buf.length, total - sent);
      sent += n;
      this.push(n === buf.length ? buf : buf.subarray(0, n));
    },
  });
}

async function main(): Promise<void> {
  if (!backend?.available)
    throw new Error(`backend ${process.env.BENCH_BACKEND} is not configured`);
  const ctx = await createCoreTestContext(backend);
  let peak = process.memoryUsage().rss;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 50);
  try {
    const owner = await ctx.makeOwner();
    const baseline = process.memoryUsage().rss;
    let t0 = performance.now();
    const staged = await ctx.ingest.ingest(generated(size));
    const result = await ctx.packages.createVersionWithFile(
      { ownerId: owner.id, type: PackageType.Generic, name: 'big' },
      { version: '1', creatorId: owner.id },
      { name: 'big.bin', blob: staged },
    );
    const ingestSeconds = (performance.now() - t0) / 1000;
    const ingestPeak = peak;
    const blob = (await ctx.query.getBlob(result.file.blobId))!;
    t0 = performance.now();
    const opened = await ctx.downloads.openBlob(blob);
    let read = 0;
    if (opened.kind === 'stream') for await (const c of opened.stream) read += (c as Buffer).length;
    const downloadSeconds = (performance.now() - t0) / 1000;
    const mb = size / MiB;
    console.log(
      JSON.stringify({
        backend: backend.name,
        sizeMiB: mb,
        ingestMiBps: +(mb / ingestSeconds).toFixed(1),
        downloadMiBps: +(mb / downloadSeconds).toFixed(1),
        baselineRssMiB: +(baseline / MiB).toFixed(1),
        peakRssIngestMiB: +(ingestPeak / MiB).toFixed(1),
        peakRssMiB: +(peak / MiB).toFixed(1),
        bytesReadBack: read,
      }),
    );
    if (read !== size) throw new Error(`read back ${read} bytes, expected ${size}`);
  } finally {
    clearInterval(sampler);
    await ctx.close();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
