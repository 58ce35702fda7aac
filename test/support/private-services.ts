import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const ROOT = path.resolve(__dirname, '../..');

/**
 * Services a test may stop and start without disturbing anyone else: outage tests must
 * not take down the shared MariaDB or S3 server other suites use.
 */
export interface PrivateService {
  url: string;
  stop(): Promise<void>;
  start(): Promise<void>;
  destroy(): Promise<void>;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

async function waitForPort(port: number, up: boolean, timeoutMs = 30000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, '127.0.0.1');
      socket.once('connect', () => (socket.destroy(), resolve(true)));
      socket.once('error', () => resolve(false));
    });
    if (open === up) return;
    if (Date.now() > deadline)
      throw new Error(`port ${port} did not ${up ? 'open' : 'close'} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** True when this machine can run a private MariaDB (the server binaries are installed). */
export async function canRunPrivateMariadb(): Promise<boolean> {
  try {
    await run('mariadb-install-db', ['--help']);
    return true;
  } catch {
    return false;
  }
}

/** A MariaDB server of its own: fresh data directory, loopback port, database `wharf`. */
export async function startPrivateMariadb(): Promise<PrivateService> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'wharf-mariadb-'));
  const port = await freePortBlock(1);
  await run('mariadb-install-db', [
    '--no-defaults',
    `--datadir=${dir}/data`,
    '--user=root',
    '--auth-root-authentication-method=normal',
    '--skip-test-db',
  ]);
  let pid: number | undefined;
  const start = async () => {
    const child = spawn(
      '/usr/sbin/mariadbd',
      [
        '--no-defaults',
        `--datadir=${dir}/data`,
        `--port=${port}`,
        '--bind-address=127.0.0.1',
        `--socket=${dir}/sock`,
        '--user=root',
        '--skip-log-bin',
        '--innodb-buffer-pool-size=32M',
        `--pid-file=${dir}/pid`,
      ],
      { stdio: 'ignore', detached: true },
    );
    child.unref();
    pid = child.pid;
    await waitForPort(port, true);
  };
  const stop = async () => {
    if (!pid) return;
    process.kill(pid, 'SIGTERM');
    // gone only when the process is: it still writes its files after closing the port
    for (let i = 0; i < 300 && isAlive(pid); i++) await new Promise((r) => setTimeout(r, 100));
    pid = undefined;
    await waitForPort(port, false);
  };
  await start();
  await run('mysql', [
    '-uroot',
    '-h127.0.0.1',
    `-P${port}`,
    '-e',
    'CREATE DATABASE wharf CHARACTER SET utf8mb4 COLLATE utf8mb4_bin',
  ]);
  return {
    url: `mysql://root@127.0.0.1:${port}/wharf`,
    start,
    stop,
    async destroy() {
      await stop();
      rmSync(dir, { recursive: true, force: true, maxRetries: 5 });
    },
  };
}

/**
 * Consecutive free ports below the kernel's ephemeral range: a server stopped and
 * started again must find its ports still free, and outgoing connections take their
 * local ports from the ephemeral range, so they never squat on these.
 */
export async function freePortBlock(count = 1): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = 20000 + Math.floor(Math.random() * 12000);
    const ports = Array.from({ length: count }, (_, i) => base + i);
    if ((await Promise.all(ports.map(isFree))).every(Boolean)) return base;
  }
  throw new Error(`no block of ${count} free ports found`);
}

function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer().once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** An S3 test server of its own (scripts/s3-test-server); data survives stop/start. */
export async function startPrivateS3(
  bucket: string,
): Promise<PrivateService & { env: Record<string, string> }> {
  // the proxy and, behind it, four internal servers on the next ports
  const port = await freePortBlock(5);
  const internal = port + 1;
  const env = {
    ...process.env,
    S3_PORT: String(port),
    S3_INTERNAL_PORT: String(internal),
    S3_BUCKET: bucket,
    S3_STATE_DIR: `/tmp/wharf-s3-private-${port}`,
  };
  const script = (name: string, args: string[] = []) =>
    run('bash', [path.join(ROOT, 'scripts/s3-test-server', name), ...args], { env });
  await script('start.sh');
  return {
    url: `http://127.0.0.1:${port}`,
    env: {
      REGISTRY_STORAGE: 's3',
      REGISTRY_S3_ENDPOINT: `http://127.0.0.1:${port}`,
      REGISTRY_S3_BUCKET: bucket,
      REGISTRY_S3_ACCESS_KEY: 'wharf',
      REGISTRY_S3_SECRET_KEY: 'wharf-secret-key',
      REGISTRY_S3_REGION: 'us-east-1',
    },
    start: async () => void (await script('start.sh')),
    stop: async () => void (await script('stop.sh')),
    destroy: async () => void (await script('stop.sh', ['--wipe'])),
  };
}
