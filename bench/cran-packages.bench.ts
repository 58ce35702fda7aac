/**
 * CRAN figures (issue 17): the time of `src/contrib/PACKAGES` and `PACKAGES.gz` — rebuilt
 * after an upload (cold) and served from the document cache (warm) — with 50 other
 * packages of the same owner, then with BENCH_OTHERS (5,000). The goal: a warm fetch with
 * 5,000 costs within 2× of one with 50. PACKAGES is owner-wide, so its body grows with
 * the packages (its size is printed too): R fetches PACKAGES.rds (gzip'd, a tenth of the
 * text) and the others only when it is missing. Client and server share one process, so the
 * reading of a large body counts on both sides. Prints, never asserts.
 *
 *   npx ts-node --transpile-only -r tsconfig-paths/register bench/cran-packages.bench.ts
 */
import 'reflect-metadata';
import http from 'node:http';
import { performance } from 'node:perf_hooks';
import request from 'supertest';
import { SQLITE_FS } from '../test/support/backends';
import { ADMIN_ENV, createToken, createUser } from '../test/support/clients/accounts';
import { rSourceTarball } from '../test/support/clients/cran';
import { startTestApp, TestApp } from '../test/support/test-app';

const FEW = 50;
const OTHERS = Number(process.env.BENCH_OTHERS ?? 5000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 30);
const base = '/api/packages/bench/cran';
let targetVersions = 0;

async function main(): Promise<void> {
  const t = await startTestApp(SQLITE_FS, ADMIN_ENV);
  try {
    await createUser(t.url, 'bench');
    const token = await createToken(t.url, 'bench');
    let uploaded = 0;
    const upload = async (name: string, version: string) => {
      await request(t.url)
        .put(`${base}/src`)
        .auth('bench', token)
        .send(await rSourceTarball(name, version))
        .expect(201)
        .catch((err: Error) => {
          throw new Error(`upload ${name} ${version}: ${err.message}`);
        });
      uploaded++;
    };
    const others = async (from: number, to: number) => {
      const started = performance.now();
      for (let i = from; i < to; i++) await upload(`other.pkg${i}`, '1.0.0');
      const seconds = (performance.now() - started) / 1000;
      console.log(`uploaded ${to - from} other packages in ${seconds.toFixed(1)} s`);
    };

    await upload('target', '1.0.0');
    await others(0, FEW);
    const few = await measure(t, upload);
    await others(FEW, OTHERS);
    const many = await measure(t, upload);
    console.log(`source versions of the owner at the end: ${uploaded}`);
    console.log(
      `PACKAGES body: ${few.bytes} bytes with ${FEW} others, ${many.bytes} bytes with ${OTHERS}`,
    );
    for (const [label, a, b] of [
      ['PACKAGES cold (rebuilt after an upload)', few.cold, many.cold],
      ['PACKAGES warm (document cache)', few.warm, many.warm],
      ['PACKAGES.gz cold', few.gzCold, many.gzCold],
      ['PACKAGES.gz warm (document cache)', few.gzWarm, many.gzWarm],
      ['PACKAGES.rds cold', few.rdsCold, many.rdsCold],
      ['PACKAGES.rds warm (document cache)', few.rdsWarm, many.rdsWarm],
    ] as const)
      console.log(
        `${label.padEnd(40)} ${FEW} others: ${fmt(a)}   ${OTHERS} others: ${fmt(b)}   ratio of medians ${(median(b) / median(a)).toFixed(2)}`,
      );
  } finally {
    await t.close();
  }
}

interface Figures {
  cold: number[];
  warm: number[];
  gzCold: number[];
  gzWarm: number[];
  rdsCold: number[];
  rdsWarm: number[];
  bytes: number;
}

async function measure(
  t: TestApp,
  upload: (name: string, version: string) => Promise<void>,
): Promise<Figures> {
  const figures: Figures = {
    cold: [],
    warm: [],
    gzCold: [],
    gzWarm: [],
    rdsCold: [],
    rdsWarm: [],
    bytes: 0,
  };
  // A plain GET whose bytes are counted and dropped, as R's downloader writes them to a file.
  const time = (path: string, into: number[]) =>
    new Promise<number>((resolve, reject) => {
      const start = performance.now();
      http
        .get(`${t.url}${base}${path}`, (res) => {
          let bytes = 0;
          res.on('data', (c: Buffer) => (bytes += c.length));
          res.on('end', () => {
            into.push(performance.now() - start);
            if (res.statusCode !== 200) reject(new Error(`${path}: ${res.statusCode}`));
            else resolve(bytes);
          });
        })
        .on('error', reject);
    });
  for (let round = 0; round < ROUNDS; round++) {
    // A new version of the target makes both documents stale.
    await upload('target', `2.${++targetVersions}`);
    figures.bytes = await time('/src/contrib/PACKAGES', figures.cold);
    await time('/src/contrib/PACKAGES', figures.warm);
    await time('/src/contrib/PACKAGES.gz', figures.gzCold);
    await time('/src/contrib/PACKAGES.gz', figures.gzWarm);
    await time('/src/contrib/PACKAGES.rds', figures.rdsCold);
    await time('/src/contrib/PACKAGES.rds', figures.rdsWarm);
  }
  return figures;
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
