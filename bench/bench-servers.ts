/**
 * The servers the comparison bench runs side by side on loopback, each as its own
 * process so its peak RSS can be read from /proc: CNCF distribution 2.8 (Debian's
 * `docker-registry`) and Wharf (the built dist/, filesystem storage, SQLite).
 */
import { ChildProcess, spawn } from 'node:child_process';
import {
  createWriteStream,
  existsSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePortBlock } from '../test/support/private-services';
import { SERVER_MAIN, serverBuilt } from '../test/support/server-process';

/** Wharf's administrator in the bench. */
export const ADMIN = { username: 'root', password: 'root-password-123' };

export const DISTRIBUTION_BIN = '/usr/bin/docker-registry';

export interface BenchServer {
  name: string;
  url: string;
  pid: number;
  /** peak resident set (VmHWM) of the process so far, in bytes */
  peakRss(): number;
  stop(): Promise<void>;
}

/** What is missing to run the comparison, as instructions; empty when everything is there. */
export function missingPrerequisites(): string[] {
  const missing: string[] = [];
  if (!existsSync(DISTRIBUTION_BIN))
    missing.push(
      `CNCF distribution 2.8 is not installed (${DISTRIBUTION_BIN}): sudo apt-get install -y docker-registry`,
    );
  if (!serverBuilt()) missing.push('Wharf is not built (dist/): npm run build');
  return missing;
}

/** VmHWM (peak RSS) of `pid` in bytes, from /proc; 0 once the process is gone. */
export function peakRssOf(pid: number): number {
  try {
    const m = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

async function waitFor(url: string, child: ChildProcess, output: () => string): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      const r = await fetch(url);
      if (r.status < 500) return;
    } catch {
      // not listening yet
    }
    if (child.exitCode !== null) throw new Error(`exited (${child.exitCode}): ${output()}`);
    if (Date.now() > deadline) throw new Error(`not ready within 30 s: ${output()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** distribution with filesystem storage in a temporary directory, no auth, logs at error level. */
export async function startDistribution(): Promise<BenchServer> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'bench-distribution-'));
  const port = await freePortBlock();
  const config = path.join(dir, 'config.yml');
  writeFileSync(
    config,
    [
      'version: 0.1',
      'log:',
      '  level: error',
      '  accesslog:',
      '    disabled: true',
      'storage:',
      '  cache:',
      '    blobdescriptor: inmemory',
      '  filesystem:',
      `    rootdirectory: ${path.join(dir, 'data')}`,
      '  delete:',
      '    enabled: true',
      'http:',
      `  addr: 127.0.0.1:${port}`,
      '',
    ].join('\n'),
  );
  const child = spawn(DISTRIBUTION_BIN, ['serve', config], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const url = `http://127.0.0.1:${port}`;
  await waitFor(`${url}/v2/`, child, () => out);
  return {
    name: 'distribution 2.8',
    url,
    pid: child.pid!,
    peakRss: () => peakRssOf(child.pid!),
    async stop() {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Wharf from dist/ on SQLite + filesystem storage in a temporary directory. BENCH_PROFILE=<dir>
 * runs it under `--cpu-prof` (the profile is written there when it stops).
 */
export async function startWharf(
  extraEnv: Record<string, string> = {},
): Promise<BenchServer & { env: Record<string, string> }> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'bench-wharf-'));
  const env = {
    PORT: String(await freePortBlock()),
    REGISTRY_DATA_DIR: dir,
    REGISTRY_LOG_LEVEL: 'warn',
    REGISTRY_ADMIN_USERNAME: ADMIN.username,
    REGISTRY_ADMIN_PASSWORD: ADMIN.password,
    REGISTRY_LIMIT_SIZE_CONTAINER: '-1',
    ...extraEnv,
  };
  const profile = process.env.BENCH_PROFILE;
  // As `npm start` and the image run it (BENCH_NODE_FLAGS overrides, e.g. '' for Node's defaults).
  const flags = (process.env.BENCH_NODE_FLAGS ?? '--max-semi-space-size=2')
    .split(' ')
    .filter(Boolean);
  const args = [...flags, ...(profile ? ['--cpu-prof', `--cpu-prof-dir=${profile}`] : [])];
  const child = spawn(process.execPath, [...args, SERVER_MAIN], {
    env: {
      PATH: process.env.PATH!,
      // glibc's allocator as `npm start` and the image set it (BENCH_MALLOC_MMAP_THRESHOLD='' for its default)
      ...mallocEnv(),
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  // BENCH_WHARF_LOG=<file>: the server's output, for a load that fails
  const logFile = process.env.BENCH_WHARF_LOG;
  if (logFile) {
    const sink = createWriteStream(logFile);
    child.stdout!.pipe(sink);
    child.stderr!.pipe(sink);
  }
  const url = `http://127.0.0.1:${env.PORT}`;
  await waitFor(`${url}/readyz`, child, () => out);
  return {
    name: 'Wharf',
    url,
    pid: child.pid!,
    env,
    peakRss: () => peakRssOf(child.pid!),
    async stop() {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function mallocEnv(): Record<string, string> {
  const threshold = process.env.BENCH_MALLOC_MMAP_THRESHOLD ?? '4194304';
  return threshold ? { MALLOC_MMAP_THRESHOLD_: threshold } : {};
}
