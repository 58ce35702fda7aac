/**
 * Web interface figures (issue 21): a generic package with 1,000 versions, published over
 * HTTP, and the time to render its package page (versions list, files, digests, install
 * instructions) — end to end over HTTP and the SQL statements one render sends, which
 * must not grow with the number of versions. Prints, never asserts.
 *
 *   npm run bench:web
 *
 * BENCH_VERSIONS=1000 and BENCH_RENDERS=200 change the sizes.
 */
import 'reflect-metadata';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { countQueries } from '@wharf/packages-core/testing/count-queries';
import { SQLITE_FS } from '../test/support/backends';
import { ADMIN_ENV, createUser, PASSWORD } from '../test/support/clients/accounts';
import { startTestApp } from '../test/support/test-app';

const VERSIONS = Number(process.env.BENCH_VERSIONS ?? 1000);
const RENDERS = Number(process.env.BENCH_RENDERS ?? 200);

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

async function main(): Promise<void> {
  const t = await startTestApp(SQLITE_FS, { ...ADMIN_ENV, REGISTRY_LOG_LEVEL: 'error' });
  try {
    await createUser(t.url, 'bench');
    const started = Date.now();
    for (let i = 0; i < VERSIONS; i++) {
      const version = `1.${Math.floor(i / 100)}.${i % 100}${i % 10 === 9 ? '-rc.1' : ''}`;
      await request(t.url)
        .put(`/api/packages/bench/generic/big-tool/${version}/big-tool-${version}.tar.gz`)
        .auth('bench', PASSWORD)
        .send(Buffer.from(`big-tool ${version}\n`))
        .expect(201);
    }
    console.warn(
      `published ${VERSIONS} versions in ${((Date.now() - started) / 1000).toFixed(1)} s`,
    );
    const path = '/bench/-/packages/generic/big-tool';
    for (let i = 0; i < 10; i++) await request(t.url).get(path).expect(200); // warm-up
    const times: number[] = [];
    let bytes = 0;
    for (let i = 0; i < RENDERS; i++) {
      const t0 = process.hrtime.bigint();
      const res = await request(t.url).get(path).expect(200);
      times.push(Number(process.hrtime.bigint() - t0) / 1e6);
      bytes = res.text.length;
    }
    times.sort((a, b) => a - b);
    const { queries } = await countQueries(t.app.get(DataSource), () =>
      request(t.url).get(path).expect(200),
    );
    const ms = (v: number) => `${v.toFixed(1)} ms`;
    console.warn(
      `package page, ${VERSIONS} versions (${(bytes / 1024).toFixed(0)} KiB of HTML), ${RENDERS} renders over HTTP: ` +
        `p50 ${ms(percentile(times, 50))}, p90 ${ms(percentile(times, 90))}, p99 ${ms(percentile(times, 99))}, max ${ms(times[times.length - 1])}; ` +
        `${queries.length} SQL statements per render`,
    );
  } finally {
    await t.close();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
