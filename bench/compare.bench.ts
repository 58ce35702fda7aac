/**
 * The comparison bench of issue 12: Wharf beside the reference servers, the same loads
 * against each in one run, one table of figures, ratios and peak RSS.
 *
 *   npm run build && npm run bench:compare            # full sizes (512 MiB blobs, 2 GiB layer)
 *   npm run bench:compare -- --quick                  # small sizes, a smoke run
 *   npm run bench:compare -- --only=oci               # one half (oci | npm)
 *   BENCH_PROFILE=/tmp/prof npm run bench:compare     # Wharf under --cpu-prof
 *
 * Needs CNCF distribution 2.8 (`apt-get install -y docker-registry`) and the built server.
 * Figures on a shared machine are noisy: compare ratios of the same run, never across runs.
 */
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Row } from './compare-types';
import { missingPrerequisites } from './bench-servers';
import { FULL, QUICK, runOciComparison } from './compare-oci';

function fmt(n: number): string {
  return n >= 100 ? n.toFixed(0) : n >= 10 ? n.toFixed(1) : n.toFixed(2);
}

/** Ratio where > 1 is always Wharf doing better. */
function ratio(r: Row): number {
  return r.higherIsBetter ? r.wharfValue / r.referenceValue : r.referenceValue / r.wharfValue;
}

function printTable(rows: Row[]): void {
  const header = ['measure', 'reference', 'reference figure', 'Wharf figure', 'ratio'];
  const lines = rows.map((r) => [
    r.measure,
    r.reference,
    `${fmt(r.referenceValue)} ${r.unit}`,
    `${fmt(r.wharfValue)} ${r.unit}`,
    `${ratio(r).toFixed(2)}×`,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
  const out = (cells: string[]) =>
    console.log(`| ${cells.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`);
  out(header);
  console.log(`| ${widths.map((w) => '-'.repeat(w)).join(' | ')} |`);
  lines.forEach(out);
  console.log('ratio: Wharf ÷ reference for rates, reference ÷ Wharf for RSS (> 1 = Wharf better)');
}

async function npmRows(quick: boolean, log: (line: string) => void): Promise<Row[]> {
  // bench/compare-npm.ts (the npm half) exports runNpmComparison(); without it, only OCI runs.
  const file = path.join(__dirname, 'compare-npm.ts');
  if (!existsSync(file)) {
    log('bench/compare-npm.ts is not there: npm comparison skipped');
    return [];
  }
  const mod = (await import(file)) as {
    runNpmComparison: (o: { quick: boolean }) => Promise<{ rows: Row[] }>;
  };
  // its rows end with the peak RSS of both servers
  const { rows } = await mod.runNpmComparison({ quick });
  return rows;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const quick = args.includes('--quick');
  const only = args.find((a) => a.startsWith('--only='))?.slice('--only='.length);
  const missing = missingPrerequisites();
  if (missing.length) {
    console.error(`bench:compare cannot run:\n- ${missing.join('\n- ')}`);
    process.exit(2);
  }
  const log = (line: string) => console.error(`[bench] ${line}`);
  const load = () =>
    os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' ');
  const cpu = os.cpus();
  console.log(
    `${cpu.length} × ${cpu[0]?.model ?? 'cpu'}, ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB, ` +
      `Node ${process.version}; load average at start ${load()}${quick ? '; --quick sizes' : ''}`,
  );
  const rows: Row[] = [];
  const notes: string[] = [];
  if (only !== 'npm') {
    const oci = await runOciComparison(quick ? QUICK : FULL, log);
    rows.push(...oci.rows);
    notes.push(...oci.notes);
  }
  if (only !== 'oci') rows.push(...(await npmRows(quick, log)));
  printTable(rows);
  for (const n of notes) console.log(`- ${n}`);
  console.log(`load average at end ${load()}`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
