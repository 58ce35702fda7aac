/**
 * Vagrant figures (issue 17): the time of one box's catalog `GET /{name}` — rebuilt after
 * an upload of that box (cold) and served from the document cache (warm) — with
 * BENCH_FEW (50) other boxes of the same owner, then with BENCH_OTHERS (5,000); each phase
 * has a target box of its own, so both have as many versions. The catalog is scoped to its
 * box, so both should be alike. Prints, never asserts.
 *
 *   npx ts-node --transpile-only -r tsconfig-paths/register bench/vagrant-catalog.bench.ts
 */
import 'reflect-metadata';
import { performance } from 'node:perf_hooks';
import request from 'supertest';
import { SQLITE_FS } from '../test/support/backends';
import { ADMIN_ENV, createToken, createUser } from '../test/support/clients/accounts';
import { buildBox } from '../test/support/clients/vagrant';
import { startTestApp } from '../test/support/test-app';

const FEW = Number(process.env.BENCH_FEW ?? 50);
const OTHERS = Number(process.env.BENCH_OTHERS ?? 5000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 30);
const base = '/api/packages/bench/vagrant';

async function main(): Promise<void> {
  const t = await startTestApp(SQLITE_FS, ADMIN_ENV);
  try {
    await createUser(t.url, 'bench');
    const token = await createToken(t.url, 'bench');
    // One small box, uploaded under every name: the bench measures the catalog, not bsdtar.
    const box = buildBox({ info: { description: 'bench' } });
    let others = 0;
    const upload = async (name: string, version: string) => {
      await request(t.url)
        .put(`${base}/${name}/${version}/virtualbox.box`)
        .set('Authorization', `Bearer ${token}`)
        .send(box)
        .expect(201)
        .catch((err: Error) => {
          throw new Error(`upload ${name} ${version}: ${err.message}`);
        });
    };
    const grow = async (to: number) => {
      const started = performance.now();
      const from = others;
      for (; others < to; others++) await upload(`other-${others}`, '1.0.0');
      console.log(
        `uploaded ${to - from} other boxes in ${((performance.now() - started) / 1000).toFixed(1)} s`,
      );
    };
    const measure = async (target: string): Promise<{ cold: number[]; warm: number[] }> => {
      const figures = { cold: [] as number[], warm: [] as number[] };
      const time = async (into: number[]) => {
        const start = performance.now();
        await request(t.url).get(`${base}/${target}`).expect(200);
        into.push(performance.now() - start);
      };
      for (let round = 0; round < ROUNDS; round++) {
        // A new version of the target makes its catalog stale.
        await upload(target, `1.${round + 1}.0`);
        await time(figures.cold);
        await time(figures.warm);
      }
      return figures;
    };

    await grow(FEW);
    const few = await measure('target-few');
    await grow(OTHERS);
    const many = await measure('target-many');
    console.log(`each target box has ${ROUNDS} versions at the end`);
    for (const [label, a, b] of [
      ['GET /{target} cold (rebuilt after an upload)', few.cold, many.cold],
      ['GET /{target} warm (document cache)', few.warm, many.warm],
    ] as const)
      console.log(
        `${label.padEnd(44)} with ${FEW} others: ${fmt(a)}   with ${OTHERS} others: ${fmt(b)}`,
      );
  } finally {
    await t.close();
  }
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
