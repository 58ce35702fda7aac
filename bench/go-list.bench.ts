/**
 * Go figures (issue 17): the time of one module's `@v/list` and `@latest` — rebuilt after
 * an upload of that module (cold) and served from the document cache (warm) — with
 * BENCH_FEW (50) other modules of the same owner, then with BENCH_OTHERS (5,000). Prints,
 * never asserts.
 *
 *   npx ts-node --transpile-only -r tsconfig-paths/register bench/go-list.bench.ts
 */
import 'reflect-metadata';
import { spawnSync } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import request from 'supertest';
import { SQLITE_FS } from '../test/support/backends';
import { ADMIN_ENV, createToken, createUser } from '../test/support/clients/accounts';
import { startTestApp, TestApp } from '../test/support/test-app';

const FEW = Number(process.env.BENCH_FEW ?? 50);
const OTHERS = Number(process.env.BENCH_OTHERS ?? 5000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 30);
const base = '/api/packages/bench/go';
const TARGET = 'bench.example/target';

// Module zips in one python3 run (zipfile, the layout of golang.org/x/mod/zip): base64, one a line.
const BUILD = String.raw`
import base64, io, json, sys, zipfile
for m, v in json.load(sys.stdin):
  out = io.BytesIO()
  with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
    z.writestr(f"{m}@{v}/go.mod", f"module {m}\n\ngo 1.19\n")
    z.writestr(f"{m}@{v}/lib.go", "package lib\n")
  print(base64.b64encode(out.getvalue()).decode())
`;

function moduleZips(modules: [string, string][]): Buffer[] {
  const res = spawnSync('python3', ['-c', BUILD], {
    input: JSON.stringify(modules),
    maxBuffer: 1024 * 1024 * 1024,
    encoding: 'utf8',
  });
  if (res.status !== 0) throw new Error(`building module zips failed: ${res.stderr}`);
  return res.stdout
    .trim()
    .split('\n')
    .map((line) => Buffer.from(line, 'base64'));
}

async function main(): Promise<void> {
  const t = await startTestApp(SQLITE_FS, ADMIN_ENV);
  try {
    await createUser(t.url, 'bench');
    const token = await createToken(t.url, 'bench');
    const upload = (zip: Buffer) =>
      request(t.url).put(`${base}/upload`).auth('bench', token).send(zip).expect(201);
    const addOthers = async (from: number, to: number) => {
      const names: [string, string][] = [];
      for (let i = from; i < to; i++) names.push([`bench.example/other${i}`, 'v1.0.0']);
      for (const zip of moduleZips(names)) await upload(zip);
    };
    const targets = moduleZips(
      Array.from({ length: 2 * ROUNDS + 1 }, (_, i) => [TARGET, `v1.${i}.0`] as [string, string]),
    );
    let next = 0;
    await upload(targets[next++]);

    await addOthers(0, FEW);
    const few = await measure(t, () => upload(targets[next++]));
    const started = performance.now();
    await addOthers(FEW, OTHERS);
    console.log(
      `uploaded ${OTHERS - FEW} more modules in ${((performance.now() - started) / 1000).toFixed(1)} s`,
    );
    const many = await measure(t, () => upload(targets[next++]));
    for (const [label, a, b] of [
      ['@v/list cold (rebuilt after an upload)', few.listCold, many.listCold],
      ['@v/list warm (document cache)', few.listWarm, many.listWarm],
      ['@latest cold', few.latestCold, many.latestCold],
      ['@latest warm', few.latestWarm, many.latestWarm],
    ] as const)
      console.log(
        `${label.padEnd(40)} ${FEW} others: ${fmt(a)}   ${OTHERS} others: ${fmt(b)}   ratio of medians ${(median(b) / median(a)).toFixed(2)}`,
      );
  } finally {
    await t.close();
  }
}

interface Figures {
  listCold: number[];
  listWarm: number[];
  latestCold: number[];
  latestWarm: number[];
}

async function measure(t: TestApp, uploadTarget: () => Promise<unknown>): Promise<Figures> {
  const figures: Figures = { listCold: [], listWarm: [], latestCold: [], latestWarm: [] };
  const time = async (path: string, into: number[]) => {
    const start = performance.now();
    await request(t.url).get(`${base}/${TARGET}/${path}`).expect(200);
    into.push(performance.now() - start);
  };
  for (let round = 0; round < ROUNDS; round++) {
    // A new version of the target makes both documents stale.
    await uploadTarget();
    await time('@v/list', figures.listCold);
    await time('@v/list', figures.listWarm);
    await time('@latest', figures.latestCold);
    await time('@latest', figures.latestWarm);
  }
  return figures;
}

function median(ms: number[]): number {
  return [...ms].sort((a, b) => a - b)[Math.floor(ms.length / 2)];
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
