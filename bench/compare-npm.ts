/**
 * The npm half of the comparison bench (issue 12): Verdaccio 6 and Wharf side by side on
 * loopback, the same packages published to both, then the same loads against each —
 * packument GETs (16 at a time, the abbreviated form `npm install` asks for), tarball GETs
 * (16 at a time) and `npm install` of 20 packages with an empty cache — and each server's
 * peak RSS. Wharf runs from dist/ on SQLite + files and is asked with an access token;
 * Verdaccio allows anonymous reads. Prints, never asserts.
 *
 *   npm run build && npx ts-node --transpile-only -r tsconfig-paths/register bench/compare-npm.ts [--quick]
 *
 * Verdaccio is installed on first use into bench/.cache/verdaccio (git-ignored), outside
 * the project's dependencies.
 */
import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { call } from './oci-load';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { NpmSandbox, npmTarball, publishDocument } from '../test/support/clients/npm';
import { freePortBlock } from '../test/support/private-services';
import { serverBuilt } from '../test/support/server-process';
import { ADMIN, startWharf as startBenchWharf } from './bench-servers';
import { Row } from './compare-types';

const VERDACCIO_DIR = path.join(__dirname, '.cache', 'verdaccio');
const VERDACCIO_MAIN = path.join(VERDACCIO_DIR, 'node_modules', 'verdaccio', 'bin', 'verdaccio');
const OWNER = 'bench';
const OWNER_PASSWORD = 'bench-password-123';

interface Sizes {
  /** versions of the package whose packument is fetched */
  versions: number;
  /** seconds each throughput measure runs */
  seconds: number;
  /** bytes of random (incompressible) content in the fetched tarball */
  tarballBytes: number;
  /** `npm install` runs per server; the median is reported */
  installRuns: number;
}
const FULL: Sizes = { versions: 100, seconds: 10, tarballBytes: 64 * 1024, installRuns: 3 };
const QUICK: Sizes = { versions: 20, seconds: 3, tarballBytes: 16 * 1024, installRuns: 1 };
const CONCURRENCY = 16;
const INSTALL_PACKAGES = 20;
const ABBREVIATED = 'application/vnd.npm.install-v1+json; q=1.0, application/json; q=0.8, */*';

interface Server {
  name: string;
  /** the npm registry URL, with a trailing slash */
  registry: string;
  pid: number;
  /** headers every request sends (Wharf: the access token) */
  auth: Record<string, string>;
  token?: string;
  stop(): Promise<void>;
}

/** VmHWM (peak RSS) of a process in bytes, from /proc; 0 once it is gone. */
function peakRssOf(pid: number): number {
  try {
    const m = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

function ensureVerdaccio(log: (line: string) => void): void {
  if (existsSync(VERDACCIO_MAIN)) return;
  log(`installing Verdaccio 6 into ${VERDACCIO_DIR} (first run only)`);
  mkdirSync(VERDACCIO_DIR, { recursive: true });
  execFileSync(
    'npm',
    ['install', '--prefix', VERDACCIO_DIR, '--no-audit', '--no-fund', 'verdaccio@6'],
    { stdio: 'inherit' },
  );
}

function verdaccioVersion(): string {
  const pkg = path.join(VERDACCIO_DIR, 'node_modules', 'verdaccio', 'package.json');
  return `Verdaccio ${(JSON.parse(readFileSync(pkg, 'utf8')) as { version: string }).version}`;
}

async function waitFor(url: string, child: ChildProcess, output: () => string): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      if ((await fetch(url)).status < 500) return;
    } catch {
      // not listening yet
    }
    if (child.exitCode !== null) throw new Error(`exited (${child.exitCode}): ${output()}`);
    if (Date.now() > deadline) throw new Error(`not ready within 60 s: ${output()}`);
    await new Promise((r) => setTimeout(r, 150));
  }
}

/** Verdaccio with its own storage, no uplinks (nothing leaves the machine), anonymous read and publish. */
async function startVerdaccio(): Promise<Server> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'bench-verdaccio-'));
  const port = await freePortBlock();
  const config = path.join(dir, 'config.yaml');
  writeFileSync(
    config,
    [
      `storage: ${path.join(dir, 'storage')}`,
      'auth:',
      '  htpasswd:',
      `    file: ${path.join(dir, 'htpasswd')}`,
      'uplinks: {}',
      'packages:',
      "  '**':",
      '    access: $all',
      '    publish: $all',
      '    unpublish: $all',
      'max_body_size: 100mb',
      'log: { type: stdout, format: pretty, level: error }',
      '',
    ].join('\n'),
  );
  const child = spawn(
    process.execPath,
    [VERDACCIO_MAIN, '--config', config, '--listen', `127.0.0.1:${port}`],
    { stdio: ['ignore', 'pipe', 'pipe'], env: { PATH: process.env.PATH!, HOME: dir } },
  );
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const url = `http://127.0.0.1:${port}`;
  await waitFor(`${url}/-/ping`, child, () => out);
  return {
    name: verdaccioVersion(),
    registry: `${url}/`,
    pid: child.pid!,
    auth: {},
    async stop() {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Wharf from dist/ on SQLite + files, run as `npm start` runs it (bench-servers.ts), with
 * a user `bench` and an access token.
 */
async function startWharf(): Promise<Server> {
  const server = await startBenchWharf();
  const basic = (u: string, p: string) => `Basic ${Buffer.from(`${u}:${p}`).toString('base64')}`;
  const json = { 'content-type': 'application/json' };
  const created = await fetch(`${server.url}/api/v1/admin/users`, {
    method: 'POST',
    headers: { ...json, authorization: basic(ADMIN.username, ADMIN.password) },
    body: JSON.stringify({
      username: OWNER,
      email: 'bench@example.com',
      password: OWNER_PASSWORD,
    }),
  });
  if (created.status !== 201) throw new Error(`creating the bench user: ${created.status}`);
  const tokenRes = await fetch(`${server.url}/api/v1/users/${OWNER}/tokens`, {
    method: 'POST',
    headers: { ...json, authorization: basic(OWNER, OWNER_PASSWORD) },
    body: JSON.stringify({ name: 'bench', scopes: ['write:package'] }),
  });
  const token = ((await tokenRes.json()) as { sha1: string }).sha1;
  return {
    name: 'Wharf',
    registry: `${server.url}/api/packages/${OWNER}/npm/`,
    pid: server.pid,
    auth: { authorization: `Bearer ${token}` },
    token,
    stop: () => server.stop(),
  };
}

/** The same tarballs and documents for both servers, made once. */
interface Fixture {
  name: string;
  version: string;
  doc: Record<string, unknown>;
}

async function fixtures(sizes: Sizes): Promise<{ big: Fixture[]; deps: Fixture[] }> {
  const make = async (name: string, version: string, extra: Buffer) => {
    const manifest = { name, version, description: `bench package ${name}` };
    const tgz = await npmTarball({
      'package.json': JSON.stringify(manifest),
      'index.js': `module.exports = ${JSON.stringify(version)};\n`,
      'data.bin': extra,
    });
    return { name, version, doc: publishDocument(manifest, tgz) };
  };
  const big: Fixture[] = [];
  for (let i = 0; i < sizes.versions; i++)
    big.push(await make('bench-big', `1.0.${i}`, randomBytes(sizes.tarballBytes)));
  const deps: Fixture[] = [];
  for (let i = 0; i < INSTALL_PACKAGES; i++)
    deps.push(await make(`bench-dep-${i}`, '1.0.0', randomBytes(4096)));
  return { big, deps };
}

async function publish(server: Server, f: Fixture): Promise<void> {
  const res = await fetch(`${server.registry}${encodeURIComponent(f.name)}`, {
    method: 'PUT',
    headers: { ...server.auth, 'content-type': 'application/json' },
    body: JSON.stringify(f.doc),
  });
  await res.arrayBuffer();
  if (res.status >= 300)
    throw new Error(`${server.name}: publish ${f.name}@${f.version}: ${res.status}`);
}

/** Requests per second of `url`, CONCURRENCY at a time, for `seconds`; every answer must be 200. */
async function rate(
  url: string,
  headers: Record<string, string>,
  seconds: number,
): Promise<number> {
  let count = 0;
  const started = Date.now();
  const end = started + seconds * 1000;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (Date.now() < end) {
        // http.request with a keep-alive agent, as the OCI loads: fetch (undici) spent
        // more CPU per request than either server and capped both near 400 tarballs/s
        const { authorization, ...rest } = headers;
        const res = await call(url, 'GET', url, authorization, undefined, rest);
        if (res.status !== 200) throw new Error(`GET ${url}: ${res.status}`);
        count++;
      }
    }),
  );
  return count / ((Date.now() - started) / 1000);
}

/** Seconds of one `npm install` of every dep, empty cache, no lockfile. */
async function installSeconds(server: Server, deps: Fixture[]): Promise<number> {
  const sandbox = new NpmSandbox(server.registry, server.token ? { token: server.token } : {});
  try {
    const app = sandbox.dir('app');
    writeFileSync(
      path.join(app, 'package.json'),
      JSON.stringify({
        name: 'bench-app',
        version: '0.0.0',
        private: true,
        dependencies: Object.fromEntries(deps.map((d) => [d.name, d.version])),
      }),
    );
    const started = process.hrtime.bigint();
    const r = await sandbox.run(['install', '--no-package-lock'], app);
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    if (r.code !== 0) throw new Error(`${server.name}: npm install failed: ${r.out}`);
    return seconds;
  } finally {
    sandbox.dispose();
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/**
 * Runs the npm comparison and returns its rows (Verdaccio is the reference) and the peak
 * RSS of each server in bytes, keyed by server name.
 */
export async function runNpmComparison(options: {
  quick: boolean;
}): Promise<{ rows: Row[]; peakRss: Record<string, number> }> {
  const log = (line: string) => console.error(`[bench npm] ${line}`);
  if (!serverBuilt()) throw new Error('Wharf is not built (dist/): npm run build');
  ensureVerdaccio(log);
  const sizes = options.quick ? QUICK : FULL;
  const { big, deps } = await fixtures(sizes);
  const verdaccio = await startVerdaccio();
  const wharf = await startWharf().catch(async (err) => {
    await verdaccio.stop();
    throw err;
  });
  const servers = [verdaccio, wharf];
  try {
    for (const server of servers) {
      log(`${server.name}: publishing ${big.length + deps.length} versions`);
      for (const f of [...big, ...deps]) await publish(server, f);
    }
    const last = big[big.length - 1];
    const figures = new Map<Server, { packument: number; tarball: number; install: number }>();
    for (const server of servers) figures.set(server, { packument: 0, tarball: 0, install: 0 });
    // Alternate the servers within each measure, so drift in the machine's load hits both.
    for (const server of servers) {
      log(`${server.name}: packument GETs`);
      figures.get(server)!.packument = await rate(
        `${server.registry}${last.name}`,
        { ...server.auth, accept: ABBREVIATED },
        sizes.seconds,
      );
    }
    for (const server of servers) {
      log(`${server.name}: tarball GETs`);
      figures.get(server)!.tarball = await rate(
        `${server.registry}${last.name}/-/${last.name}-${last.version}.tgz`,
        server.auth,
        sizes.seconds,
      );
    }
    const installs = new Map<Server, number[]>(servers.map((s) => [s, []]));
    for (let run = 0; run < sizes.installRuns; run++) {
      for (const server of servers) {
        log(`${server.name}: npm install of ${deps.length} packages (run ${run + 1})`);
        installs.get(server)!.push(await installSeconds(server, deps));
      }
    }
    for (const server of servers) figures.get(server)!.install = median(installs.get(server)!);

    const ref = figures.get(verdaccio)!;
    const ours = figures.get(wharf)!;
    const peakRss = Object.fromEntries(servers.map((s) => [s.name, peakRssOf(s.pid)]));
    const row = (measure: string, a: number, b: number, unit: string, higherIsBetter: boolean) => ({
      measure,
      reference: verdaccio.name,
      referenceValue: a,
      wharfValue: b,
      unit,
      higherIsBetter,
    });
    const rows: Row[] = [
      row(
        `npm packument GET (${sizes.versions} versions, abbreviated), ${CONCURRENCY} at a time`,
        ref.packument,
        ours.packument,
        'req/s',
        true,
      ),
      row(
        `npm tarball GET (${Math.round(sizes.tarballBytes / 1024)} KiB), ${CONCURRENCY} at a time`,
        ref.tarball,
        ours.tarball,
        'req/s',
        true,
      ),
      row(
        `npm install of ${deps.length} packages, empty cache (median of ${sizes.installRuns})`,
        ref.install,
        ours.install,
        's',
        false,
      ),
      row(
        'server peak RSS (npm half)',
        peakRss[verdaccio.name] / 2 ** 20,
        peakRss[wharf.name] / 2 ** 20,
        'MiB',
        false,
      ),
    ];
    return { rows, peakRss };
  } finally {
    for (const server of servers) await server.stop();
  }
}

if (require.main === module) {
  runNpmComparison({ quick: process.argv.includes('--quick') })
    .then(({ rows }) => {
      console.log(
        `load average ${os
          .loadavg()
          .map((l) => l.toFixed(2))
          .join(' ')}`,
      );
      for (const r of rows) {
        const ratio = r.higherIsBetter
          ? r.wharfValue / r.referenceValue
          : r.referenceValue / r.wharfValue;
        console.log(
          `${r.measure}: ${r.reference} ${r.referenceValue.toFixed(2)} ${r.unit}, Wharf ${r.wharfValue.toFixed(2)} ${r.unit}, ${ratio.toFixed(2)}×`,
        );
      }
    })
    .catch((err) => {
      console.error(err);
      process.exit(1);
    });
}
