/**
 * Prints the functions with the most self time in a V8 `.cpuprofile` (from `node --cpu-prof`,
 * e.g. a `BENCH_PROFILE=<dir> npm run bench:compare` run), and the share of time spent under
 * a few named subsystems (inclusive), to see where a load's CPU goes.
 *
 *   npx ts-node --transpile-only bench/cpu-profile-top.ts <file.cpuprofile> [top=25]
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const [file, topArg] = process.argv.slice(2);
const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const parent = new Map<number, number>();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);

const selfTime = new Map<number, number>();
profile.samples.forEach((id, i) => {
  selfTime.set(id, (selfTime.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
});
const total = [...selfTime.values()].reduce((a, b) => a + b, 0);
const idle = [...selfTime].filter(([id]) =>
  ['(idle)', '(program)'].includes(byId.get(id)!.callFrame.functionName),
);
const busy = total - idle.reduce((a, [, t]) => a + t, 0);

const label = (n: ProfileNode) => {
  const f = n.callFrame;
  const where = f.url.replace(/^.*\/node_modules\//, '').replace(/^.*\/dist\//, 'dist/');
  return `${f.functionName || '(anonymous)'} ${where ? `${where}:${f.lineNumber + 1}` : ''}`;
};
const self = new Map<string, number>();
for (const [id, t] of selfTime) {
  const key = label(byId.get(id)!);
  self.set(key, (self.get(key) ?? 0) + t);
}
console.log(`${(total / 1e6).toFixed(1)} s sampled, ${(busy / 1e6).toFixed(1)} s busy`);
for (const [key, t] of [...self].sort((a, b) => b[1] - a[1]).slice(0, Number(topArg ?? 25)))
  console.log(`${((100 * t) / busy).toFixed(1).padStart(5)}%  ${key}`);

// Inclusive share of busy time under frames whose URL names one of these.
const groups: Record<string, RegExp> = {
  typeorm: /node_modules\/typeorm\//,
  'sqlite driver': /better-sqlite3/,
  jsonwebtoken: /jsonwebtoken|jws|jwa/,
  'hash-wasm': /hash-wasm/,
  express: /node_modules\/(express|router|body-parser)\//,
  nestjs: /node_modules\/@nestjs\//,
  passport: /passport/,
};
const share = new Map<string, number>();
for (const [id, t] of selfTime) {
  const seen = new Set<string>();
  for (let n: number | undefined = id; n !== undefined; n = parent.get(n)) {
    const url = byId.get(n)!.callFrame.url;
    for (const [g, re] of Object.entries(groups)) if (re.test(url)) seen.add(g);
  }
  for (const g of seen) share.set(g, (share.get(g) ?? 0) + t);
}
console.log('inclusive:');
for (const [g, t] of [...share].sort((a, b) => b[1] - a[1]))
  console.log(`${((100 * t) / busy).toFixed(1).padStart(5)}%  ${g}`);
