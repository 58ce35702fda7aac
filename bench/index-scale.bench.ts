/**
 * Issue 12's index-scale goal: the index document of a package with 5,000 versions
 * answers with a p50 at most 2× that of one with 50 versions — helm's `index.yaml`,
 * `maven-metadata.xml`, the npm packument (abbreviated and full) and the PyPI simple
 * page. One Wharf (dist/, SQLite + fs, run as `npm start` runs it); each size has its
 * own owner, so helm's owner-wide index holds that one chart. The versions are
 * published through the HTTP API as clients do (the format kit's artifacts), 8 at a
 * time; then each document is fetched once (the first GET after the last publish: a
 * build, or a cache filled as versions came) and `--gets` times in a row for the p50.
 *
 *   npm run build && npm run bench:index-scale [-- --versions=5000 --gets=200]
 */
import 'reflect-metadata';
import { PROFILES } from '../test/support/format-kit/profiles';
import { ADMIN, startWharf } from './bench-servers';
import { call, expectStatus, pool } from './oci-load';

const args = process.argv.slice(2);
const arg = (name: string, fallback: number) =>
  Number(args.find((a) => a.startsWith(`--${name}=`))?.split('=')[1] ?? fallback);
const LARGE = arg('versions', 5000);
const SMALL = 50;
const GETS = arg('gets', 200);

const basic = (user: string, secret: string) =>
  `Basic ${Buffer.from(`${user}:${secret}`).toString('base64')}`;
const ABBREVIATED = 'application/vnd.npm.install-v1+json';

/** Each measured document: the format whose artifacts fill it, and its path for an owner. */
const DOCUMENTS: {
  label: string;
  format: string;
  path: (owner: string) => string;
  accept?: string;
}[] = [
  { label: 'helm index.yaml', format: 'helm', path: (o) => `/api/packages/${o}/helm/index.yaml` },
  {
    label: 'maven-metadata.xml',
    format: 'maven',
    path: (o) => `/api/packages/${o}/maven/com/kit/kit-art/maven-metadata.xml`,
  },
  {
    label: 'npm packument (abbreviated)',
    format: 'npm',
    path: (o) => `/api/packages/${o}/npm/kit-pkg`,
    accept: ABBREVIATED,
  },
  {
    label: 'npm packument (full)',
    format: 'npm',
    path: (o) => `/api/packages/${o}/npm/kit-pkg`,
    accept: 'application/json',
  },
  {
    label: 'PyPI simple page',
    format: 'pypi',
    path: (o) => `/api/packages/${o}/pypi/simple/kit-pkg`,
  },
];

interface Figures {
  first: number;
  p50: number;
  bytes: number;
}

async function main(): Promise<void> {
  const wharf = await startWharf();
  const log = (line: string) => console.error(`[bench index-scale] ${line}`);
  try {
    const owners = new Map<number, { name: string; auth: string }>();
    for (const size of [SMALL, LARGE]) {
      const name = `scale${size}`;
      const password = `${name}-password-123`;
      const json = { 'Content-Type': 'application/json' };
      let r = await call(
        wharf.url,
        'POST',
        '/api/v1/admin/users',
        basic(ADMIN.username, ADMIN.password),
        Buffer.from(JSON.stringify({ username: name, email: `${name}@example.com`, password })),
        json,
      );
      expectStatus(r, 201, `create user ${name}`);
      r = await call(
        wharf.url,
        'POST',
        `/api/v1/users/${name}/tokens`,
        basic(name, password),
        Buffer.from(JSON.stringify({ name: 'bench', scopes: ['write:package'] })),
        json,
      );
      expectStatus(r, 201, `create token of ${name}`);
      owners.set(size, { name, auth: basic(name, (JSON.parse(r.text) as { sha1: string }).sha1) });
    }

    for (const format of [...new Set(DOCUMENTS.map((d) => d.format))]) {
      const profile = PROFILES.find((p) => p.name === format)!;
      for (const [size, owner] of owners) {
        log(`${format}: publishing ${size} versions as ${owner.name}`);
        const started = performance.now();
        await pool(size, 8, async (n) => {
          const { upload } = await profile.artifact(owner.name, n);
          const r = await call(
            wharf.url,
            upload.method,
            upload.path,
            owner.auth,
            upload.body,
            upload.headers,
          );
          if (r.status >= 300)
            throw new Error(`${format} publish ${n} as ${owner.name}: ${r.status} ${r.text}`);
        });
        const s = (performance.now() - started) / 1000;
        log(`${format}: ${size} versions in ${s.toFixed(1)} s (${(size / s).toFixed(0)}/s)`);
      }
    }

    const rows: string[][] = [];
    for (const doc of DOCUMENTS) {
      const figures = new Map<number, Figures>();
      for (const [size, owner] of owners) {
        const get = async () => {
          const t0 = performance.now();
          const r = await call(
            wharf.url,
            'GET',
            doc.path(owner.name),
            owner.auth,
            undefined,
            doc.accept ? { Accept: doc.accept } : {},
          );
          expectStatus(r, 200, `${doc.label} of ${owner.name}`);
          return { ms: performance.now() - t0, bytes: r.bytes };
        };
        const first = await get();
        const times: number[] = [];
        for (let i = 0; i < GETS; i++) times.push((await get()).ms);
        times.sort((a, b) => a - b);
        figures.set(size, {
          first: first.ms,
          p50: times[Math.floor(times.length / 2)],
          bytes: first.bytes,
        });
      }
      const small = figures.get(SMALL)!;
      const large = figures.get(LARGE)!;
      const ratio = large.p50 / small.p50;
      rows.push([
        doc.label,
        `${small.p50.toFixed(2)} ms (${kib(small.bytes)})`,
        `${large.p50.toFixed(2)} ms (${kib(large.bytes)})`,
        `${ratio.toFixed(2)}×`,
        ratio <= 2 ? 'yes' : 'no',
        `${large.first.toFixed(0)} ms`,
      ]);
    }
    printTable(
      [
        'document',
        `p50, ${SMALL} versions`,
        `p50, ${LARGE} versions`,
        `ratio (goal ≤ 2×)`,
        'met',
        `first GET, ${LARGE}`,
      ],
      rows,
    );
    console.log(
      `peak RSS of Wharf: ${(wharf.peakRss() / 2 ** 20).toFixed(0)} MiB; ${GETS} GETs in a row per document and size`,
    );
  } finally {
    await wharf.stop();
  }
}

const kib = (bytes: number) => `${(bytes / 1024).toFixed(bytes < 10240 ? 1 : 0)} KiB`;

function printTable(head: string[], rows: string[][]): void {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
  console.log(line(head));
  console.log(line(widths.map((w) => '-'.repeat(w))));
  for (const r of rows) console.log(line(r));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
