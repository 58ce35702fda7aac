/**
 * Debian figures (issue 15, Scale): the index update after one upload, with 50 packages in
 * the repository, then with BENCH_PACKAGES (5,000) — all in one distribution, component
 * and architecture, so every one of them is in the Packages file that changes. The goal:
 * the update with 5,000 within 2× of the update with 50.
 *
 * Each round uploads one new package (a new name, so a shard of its own choosing) and then
 * fetches InRelease, which is what apt asks first: building it rebuilds the changed
 * shard's part of Packages, joins Packages/.gz/.xz, hashes them for the Release, and signs.
 * Printed per size: the upload, that first InRelease (the index update proper), their sum
 * (from upload to the repository showing the package), a second InRelease (served from
 * the snapshot), and the fetch of the new Packages.xz by its digest (the bytes apt then
 * reads, whose size grows with the repository). Prints, never asserts.
 *
 *   npm run bench:debian            (BENCH_PACKAGES=5000 BENCH_ROUNDS=30)
 */
import 'reflect-metadata';
import http from 'node:http';
import { performance } from 'node:perf_hooks';
import request from 'supertest';
import { SQLITE_FS } from '../test/support/backends';
import { ADMIN_ENV, createToken, createUser } from '../test/support/clients/accounts';
import { controlText, handMadeDeb } from '../test/support/clients/debian';
import { startTestApp, TestApp } from '../test/support/test-app';

const FEW = 50;
const MANY = Number(process.env.BENCH_PACKAGES ?? 5000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 30);
const PARALLEL = 4;
const base = '/api/packages/bench/debian';

interface Figures {
  upload: number[];
  update: number[];
  total: number[];
  warm: number[];
  byHash: number[];
  packagesBytes: number;
}

async function main(): Promise<void> {
  const t = await startTestApp(SQLITE_FS, { ...ADMIN_ENV, REGISTRY_LOG_LEVEL: 'error' });
  try {
    await createUser(t.url, 'bench');
    const token = await createToken(t.url, 'bench');
    let count = 0;
    const upload = async (name: string) => {
      const deb = await handMadeDeb(
        controlText(name, '1.0-1', 'amd64', 'Depends: libc6 (>= 2.36)\nSection: misc\n'),
      );
      await request(t.url)
        .put(`${base}/pool/bookworm/main/upload`)
        .auth('bench', token)
        .send(deb)
        .expect(201)
        .catch((err: Error) => {
          throw new Error(`upload ${name}: ${err.message}`);
        });
      count++;
    };
    const fill = async (to: number) => {
      const started = performance.now();
      const from = count;
      let next = from;
      const worker = async () => {
        while (next < to) await upload(`filler-${next++}`);
      };
      await Promise.all(Array.from({ length: PARALLEL }, worker));
      console.log(
        `uploaded ${to - from} packages in ${((performance.now() - started) / 1000).toFixed(1)} s`,
      );
    };

    await fill(FEW);
    await get(t, '/dists/bookworm/InRelease'); // the signing key is made once, not timed
    const few = await measure(t, upload, 'few');
    await fill(MANY);
    const many = await measure(t, upload, 'many');
    console.log(`\npackages in bookworm/main/binary-amd64 at the end: ${count}`);
    console.log(
      `Packages (plain) ${few.packagesBytes} bytes with ${FEW}, ${many.packagesBytes} bytes with ${MANY}`,
    );
    for (const [label, a, b] of [
      ['upload (PUT of one .deb)', few.upload, many.upload],
      ['index update (first InRelease after it)', few.update, many.update],
      ['upload + index update', few.total, many.total],
      ['InRelease again (snapshot unchanged)', few.warm, many.warm],
      ['Packages.xz by-hash (transfer)', few.byHash, many.byHash],
    ] as const)
      console.log(
        `${label.padEnd(42)} ${String(FEW).padStart(5)}: ${fmt(a)}   ${String(MANY).padStart(5)}: ${fmt(b)}   ratio of medians ${(median(b) / median(a)).toFixed(2)}`,
      );
  } finally {
    await t.close();
  }
}

async function measure(
  t: TestApp,
  upload: (name: string) => Promise<void>,
  label: string,
): Promise<Figures> {
  const f: Figures = { upload: [], update: [], total: [], warm: [], byHash: [], packagesBytes: 0 };
  for (let round = 0; round < ROUNDS; round++) {
    const start = performance.now();
    await upload(`${label}-round-${round}`);
    const uploaded = performance.now();
    const inRelease = (await get(t, '/dists/bookworm/InRelease')).toString();
    const updated = performance.now();
    f.upload.push(uploaded - start);
    f.update.push(updated - uploaded);
    f.total.push(updated - start);
    const warmStart = performance.now();
    await get(t, '/dists/bookworm/InRelease');
    f.warm.push(performance.now() - warmStart);
    const digest = new RegExp(`^ ([0-9a-f]{64}) \\d+ main/binary-amd64/Packages.xz$`, 'm').exec(
      inRelease.slice(inRelease.indexOf('SHA256:')),
    )?.[1];
    if (!digest) throw new Error('InRelease lists no Packages.xz');
    const hashStart = performance.now();
    await get(t, `/dists/bookworm/main/binary-amd64/by-hash/SHA256/${digest}`);
    f.byHash.push(performance.now() - hashStart);
    const plain = / (\d+) main\/binary-amd64\/Packages$/m.exec(inRelease);
    f.packagesBytes = Number(plain?.[1] ?? 0);
  }
  return f;
}

/** A plain GET whose bytes are read whole, as apt writes them to its lists. */
function get(t: TestApp, path: string): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    http
      .get(`${t.url}${base}${path}`, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          res.statusCode === 200
            ? resolve(Buffer.concat(chunks))
            : reject(new Error(`${path}: ${res.statusCode}`)),
        );
      })
      .on('error', reject);
  });
}

function median(ms: number[]): number {
  const sorted = [...ms].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

function fmt(ms: number[]): string {
  const sorted = [...ms].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  return `median ${at(0.5).toFixed(1).padStart(6)} ms, p90 ${at(0.9).toFixed(1).padStart(6)} ms`;
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
