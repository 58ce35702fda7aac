/**
 * ALT figures (issue 15, "Scale"): the time of updating a repository's indexes after one
 * upload with 50 packages present, then with BENCH_OTHERS (5,000). The goal: within 2×.
 *
 * The update is what the server must do before apt-get update sees the new package: the
 * upload's transaction appends the package's pkglist record to the index log (the running
 * MD5/BLAKE2b states and sizes of pkglist.classic and .xz advance by the record), and
 * `base/release` finalizes those states. Measured per round: the upload request (which
 * also streams, parses and stores the rpm: constant work), then the GET of base/release,
 * and their sum. The full pkglist.classic is printed too: its body grows with the
 * repository, as any client's download of it does, so its time is not part of the update.
 * Packages are one rpmbuild package renumbered (test/support/clients/alt.ts renumberRpm),
 * each a new name, in one group and architecture. Prints, never asserts.
 *
 *   npm run bench:alt          (BENCH_OTHERS=5000 BENCH_ROUNDS=30; BENCH_SKIP_LIST=1 leaves
 *                               out the pkglist downloads between rounds)
 */
import 'reflect-metadata';
import http from 'node:http';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { Readable } from 'node:stream';
import {
  Database,
  IndexLogService,
  IngestService,
  PackageService,
  PackageType,
  UserEntity,
} from '@wharf/packages-core';
import { buildRpm } from '@wharf/packages-core/testing/rpmbuild';
import { SQLITE_FS } from '../test/support/backends';
import { ADMIN_ENV, createToken, createUser } from '../test/support/clients/accounts';
import { renumberRpm } from '../test/support/clients/alt';
import { startTestApp, TestApp } from '../test/support/test-app';

const FEW = 50;
const OTHERS = Number(process.env.BENCH_OTHERS ?? 5000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 30);
const WARMUP = 10;
const TOKEN = 'zq000000';
const base = '/api/packages/bench/alt';
const repo = `${base}/alt.repo/noarch/base`;

async function main(): Promise<void> {
  const work = mkdtempSync(path.join(os.tmpdir(), 'wharf-bench-alt-'));
  const template = readFileSync(
    buildRpm(work, { name: `bench-${TOKEN}`, version: '1.0', release: 'alt1', arch: 'noarch' }),
  );
  const t = await startTestApp(SQLITE_FS, ADMIN_ENV);
  try {
    await createUser(t.url, 'bench');
    const auth = `Basic ${Buffer.from(`bench:${await createToken(t.url, 'bench')}`).toString('base64')}`;
    let next = 0;
    const upload = async (): Promise<number> => {
      const n = ++next;
      const body = renumberRpm(template, TOKEN, `zq${String(n).padStart(6, '0')}`);
      const started = performance.now();
      const res = await send(t, 'PUT', `${base}/upload`, auth, body);
      if (res.status !== 201) throw new Error(`upload ${n}: ${res.status} ${res.body.toString()}`);
      return performance.now() - started;
    };
    const fill = async (to: number) => {
      const started = performance.now();
      const from = next;
      while (next < to) await upload();
      console.log(
        `uploaded ${to - from} packages in ${((performance.now() - started) / 1000).toFixed(1)} s`,
      );
    };

    // Warm-up rounds (JIT, caches) are thrown away; they leave FEW packages for the first figures.
    await fill(FEW - WARMUP);
    await measure(t, upload, WARMUP);
    const few = await measure(t, upload);
    const fewDirect = await measureDirect(t, FEW);
    await fill(OTHERS);
    const many = await measure(t, upload);
    const manyDirect = await measureDirect(t, OTHERS);
    console.log(`packages at the end: ${next}`);
    console.log(
      `pkglist.classic: ${few.pkglistBytes} bytes with ${FEW}, ${many.pkglistBytes} bytes with ${OTHERS}`,
    );
    for (const [label, a, b] of [
      ['upload (parse, store, append the record)', few.upload, many.upload],
      ['base/release right after (the new sums)', few.release, many.release],
      ['index update = upload + release', few.update, many.update],
      ['pkglist.classic download (grows with the repo)', few.pkglist, many.pkglist],
      ['without HTTP: append in a publish + summary', fewDirect, manyDirect],
    ] as const)
      if (a.length)
        console.log(
          `${label.padEnd(48)} ${FEW}: ${fmt(a)}   ${OTHERS}: ${fmt(b)}   ratio of medians ${(median(b) / median(a)).toFixed(2)}`,
        );
  } finally {
    await t.close();
    rmSync(work, { recursive: true, force: true });
  }
}

interface Figures {
  upload: number[];
  release: number[];
  update: number[];
  pkglist: number[];
  pkglistBytes: number;
}

async function measure(
  t: TestApp,
  upload: () => Promise<number>,
  rounds = ROUNDS,
): Promise<Figures> {
  const f: Figures = { upload: [], release: [], update: [], pkglist: [], pkglistBytes: 0 };
  for (let round = 0; round < rounds; round++) {
    const up = await upload();
    const started = performance.now();
    const release = await send(t, 'GET', `${repo}/release`);
    const rel = performance.now() - started;
    if (release.status !== 200) throw new Error(`release: ${release.status}`);
    f.upload.push(up);
    f.release.push(rel);
    f.update.push(up + rel);
    if (process.env.BENCH_SKIP_LIST) continue;
    const listStarted = performance.now();
    const list = await send(t, 'GET', `${repo}/pkglist.classic`);
    f.pkglist.push(performance.now() - listStarted);
    f.pkglistBytes = list.body.length;
  }
  return f;
}

/**
 * The index update alone, through the services the upload calls: a publish whose
 * transaction appends a record (an rpm-sized fragment pair) to the same list the uploads
 * fill, then the summary base/release is built from. No HTTP, no rpm parsing.
 */
async function measureDirect(t: TestApp, size: number): Promise<number[]> {
  const ingest = t.app.get(IngestService);
  const packages = t.app.get(PackageService);
  const logs = t.app.get(IndexLogService);
  const owner = await t.app
    .get(Database)
    .manager.findOneByOrFail(UserEntity, { lowerName: 'bench' });
  const spec = { streams: 2, hashes: ['md5', 'blake2b512'] } as const;
  const key = { ownerId: owner.id, type: PackageType.Alt, log: 'noarch__' };
  const times: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const staged = await ingest.ingest(Readable.from([Buffer.from(`direct ${size} ${round}`)]));
    const record = Buffer.alloc(1000, round);
    const started = performance.now();
    await packages.createVersionWithFile(
      { ownerId: owner.id, type: PackageType.Alt, name: `direct-${size}-${round}` },
      { version: '1', creatorId: owner.id },
      { name: `direct-${size}-${round}.rpm`, blob: staged, compositeKey: '' },
      { inTransaction: (tx) => tx.appendToIndexLog(key.log, spec, [record, record]) },
    );
    if (!(await logs.summary(key, spec))) throw new Error('no summary');
    times.push(performance.now() - started);
  }
  return times;
}

/** One request over a plain socket, the body read whole (as apt's http method writes it to a file). */
function send(
  t: TestApp,
  method: string,
  p: string,
  auth?: string,
  body?: Buffer,
): Promise<{ status: number; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      `${t.url}${p}`,
      {
        method,
        headers: {
          ...(auth ? { Authorization: auth } : {}),
          ...(body ? { 'Content-Length': String(body.length) } : {}),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

function median(ms: number[]): number {
  const sorted = [...ms].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

function fmt(ms: number[]): string {
  const sorted = [...ms].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  return `median ${at(0.5).toFixed(2)} ms, p90 ${at(0.9).toFixed(2)} ms`;
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
