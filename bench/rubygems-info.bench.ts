/**
 * RubyGems figures (issue 13): the time of one gem's `/info/{name}` — rebuilt after a push
 * of that gem (cold) and served from the document cache (warm) — alone, then with
 * BENCH_OTHERS (5,000) other gems of the same owner; and `/versions`, owner-wide, for
 * comparison. Prints, never asserts.
 *
 *   npx ts-node --transpile-only -r tsconfig-paths/register bench/rubygems-info.bench.ts
 */
import 'reflect-metadata';
import { performance } from 'node:perf_hooks';
import request from 'supertest';
import { SQLITE_FS } from '../test/support/backends';
import { ADMIN_ENV, createToken, createUser } from '../test/support/clients/accounts';
import { gemspecYaml, gemWith } from '../test/support/clients/rubygems';
import { startTestApp, TestApp } from '../test/support/test-app';

const OTHERS = Number(process.env.BENCH_OTHERS ?? 5000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 30);
const base = '/api/packages/bench/rubygems';
let targetVersions = 0;

async function main(): Promise<void> {
  const t = await startTestApp(SQLITE_FS, ADMIN_ENV);
  try {
    await createUser(t.url, 'bench');
    const token = await createToken(t.url, 'bench');
    let pushed = 0;
    const push = async (name: string, version: string) => {
      await request(t.url)
        .post(`${base}/api/v1/gems`)
        .set('Authorization', token)
        .send(await gemWith(gemspecYaml(name, version)))
        .expect(201)
        .catch((err: Error) => {
          throw new Error(`push ${name} ${version}: ${err.message}`);
        });
      pushed++;
    };

    await push('target', '1.0.0');
    const alone = await measure(t, push);
    const started = performance.now();
    for (let i = 0; i < OTHERS; i++) await push(`other-${i}`, '1.0.0');
    console.log(
      `pushed ${OTHERS} other gems in ${((performance.now() - started) / 1000).toFixed(1)} s`,
    );
    const crowded = await measure(t, push);
    console.log(`gem versions of the owner at the end: ${pushed}`);
    for (const [label, alonefig, crowdedfig] of [
      ['/info/target cold (rebuilt after a push)', alone.infoCold, crowded.infoCold],
      ['/info/target warm (document cache)', alone.infoWarm, crowded.infoWarm],
      ['/versions cold (owner-wide)', alone.versionsCold, crowded.versionsCold],
      ['/versions warm (document cache)', alone.versionsWarm, crowded.versionsWarm],
    ] as const)
      console.log(
        `${label.padEnd(42)} alone: ${fmt(alonefig)}   with ${OTHERS} others: ${fmt(crowdedfig)}`,
      );
  } finally {
    await t.close();
  }
}

interface Figures {
  infoCold: number[];
  infoWarm: number[];
  versionsCold: number[];
  versionsWarm: number[];
}

async function measure(
  t: TestApp,
  push: (name: string, version: string) => Promise<void>,
): Promise<Figures> {
  const figures: Figures = { infoCold: [], infoWarm: [], versionsCold: [], versionsWarm: [] };
  const time = async (path: string, into: number[]) => {
    const start = performance.now();
    await request(t.url).get(`${base}${path}`).expect(200);
    into.push(performance.now() - start);
  };
  for (let round = 0; round < ROUNDS; round++) {
    // A new version of the target makes both documents stale.
    await push('target', `2.${++targetVersions}`);
    await time('/info/target', figures.infoCold);
    await time('/info/target', figures.infoWarm);
    await time('/versions', figures.versionsCold);
    await time('/versions', figures.versionsWarm);
  }
  return figures;
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
