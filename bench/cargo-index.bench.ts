/**
 * Cargo figures (issue 13): the cost of one crate's sparse index file with 10 and with
 * 5,000 other crates in the same owner — the file comes from the document cache, scoped to
 * the crate, so the other crates should not matter. For each size it prints the time of a
 * cached fetch, of a fetch right after the crate changed (rebuilt), and the SQL statements
 * each sends. Prints, never asserts.
 *
 *   npx ts-node --transpile-only -r tsconfig-paths/register bench/cargo-index.bench.ts
 *
 * BENCH_SIZES=10,5000 and BENCH_FETCHES=300 change the sizes and the number of fetches.
 */
import 'reflect-metadata';
import request from 'supertest';
import {
  Database,
  IngestService,
  PackageService,
  PackageType,
  UserEntity,
} from '@wharf/packages-core';
import { countQueries } from '@wharf/packages-core/testing/count-queries';
import { Readable } from 'node:stream';
import { SQLITE_FS } from '../test/support/backends';
import { ADMIN_ENV, createToken, createUser } from '../test/support/clients/accounts';
import { crateArchive, crateMetadata, publishBody } from '../test/support/clients/cargo';
import { startTestApp, TestApp } from '../test/support/test-app';

const SIZES = (process.env.BENCH_SIZES ?? '10,5000').split(',').map(Number);
const FETCHES = Number(process.env.BENCH_FETCHES ?? 300);
const TARGET = 'bench-target';

/** Seeds `count` crates of three versions each straight through PackageService (one shared blob). */
async function seed(t: TestApp, owner: UserEntity, count: number): Promise<void> {
  const ingest = t.app.get(IngestService);
  const packages = t.app.get(PackageService);
  const staged = await ingest.ingest(Readable.from([await crateArchive('seed', '1.0.0')]));
  const first = await packages.createVersionWithFile(
    { ownerId: owner.id, type: PackageType.Cargo, name: 'seed-0', semverCompatible: true },
    { version: '1.0.0', creatorId: owner.id, metadata: crateMetadata('seed-0', '1.0.0') },
    { name: 'seed-0-1.0.0.crate', blob: staged, isLead: true },
  );
  const blob = { blobId: first.file.blobId };
  for (let i = 0; i < count; i++) {
    for (const version of ['1.0.0', '1.1.0', '2.0.0']) {
      if (i === 0 && version === '1.0.0') continue;
      const name = `seed-${i}`;
      await packages.createVersionWithFile(
        { ownerId: owner.id, type: PackageType.Cargo, name, semverCompatible: true },
        {
          version,
          creatorId: owner.id,
          metadata: crateMetadata(name, version),
          properties: { 'cargo.yanked': 'false' },
        },
        { name: `${name}-${version}.crate`, blob, isLead: true },
      );
    }
  }
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

async function timed(work: () => Promise<unknown>, times: number): Promise<string> {
  const ms: number[] = [];
  for (let i = 0; i < times; i++) {
    const started = process.hrtime.bigint();
    await work();
    ms.push(Number(process.hrtime.bigint() - started) / 1e6);
  }
  ms.sort((a, b) => a - b);
  return `median ${percentile(ms, 50).toFixed(2)} ms, p95 ${percentile(ms, 95).toFixed(2)} ms`;
}

async function measure(size: number): Promise<void> {
  const t = await startTestApp(SQLITE_FS, ADMIN_ENV);
  try {
    await createUser(t.url, 'bench');
    const token = await createToken(t.url, 'bench');
    const owner = await t.app
      .get(Database)
      .manager.findOneByOrFail(UserEntity, { lowerName: 'bench' });
    const started = Date.now();
    await seed(t, owner, size);
    const seeded = ((Date.now() - started) / 1000).toFixed(1);
    const base = '/api/packages/bench/cargo';
    for (const version of ['1.0.0', '1.1.0', '2.0.0']) {
      const crate = await crateArchive(TARGET, version);
      await request(t.url)
        .put(`${base}/api/v1/crates/new`)
        .set('Authorization', token)
        .send(publishBody(crateMetadata(TARGET, version), crate))
        .expect(200);
    }
    const path = `${base}/be/nc/${TARGET}`;
    const fetch = () => request(t.url).get(path).set('Authorization', token).expect(200);
    await fetch();
    let yanked = false;
    const change = () => {
      yanked = !yanked;
      return request(t.url)
        [yanked ? 'delete' : 'put'](
          `${base}/api/v1/crates/${TARGET}/1.0.0/${yanked ? 'yank' : 'unyank'}`,
        )
        .set('Authorization', token)
        .expect(200);
    };
    const cached = await timed(fetch, FETCHES);
    const rebuilt: number[] = [];
    for (let i = 0; i < Math.min(FETCHES, 100); i++) {
      await change();
      const s = process.hrtime.bigint();
      await fetch();
      rebuilt.push(Number(process.hrtime.bigint() - s) / 1e6);
    }
    rebuilt.sort((a, b) => a - b);
    const dataSource = t.app.get(Database).dataSource;
    const warmQueries = (await countQueries(dataSource, fetch)).queries.length;
    await change();
    const coldQueries = (await countQueries(dataSource, fetch)).queries.length;
    console.log(
      `${size} other crates (${size * 3} versions, seeded in ${seeded} s): ` +
        `cached fetch ${cached}; ` +
        `after a change ${`median ${percentile(rebuilt, 50).toFixed(2)} ms, p95 ${percentile(rebuilt, 95).toFixed(2)} ms`}; ` +
        `SQL statements per fetch: ${warmQueries} cached, ${coldQueries} rebuilt`,
    );
  } finally {
    await t.close();
  }
}

async function main(): Promise<void> {
  for (const size of SIZES) await measure(size);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
