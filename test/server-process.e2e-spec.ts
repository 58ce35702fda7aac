import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MYSQL_S3 } from './support/backends';
import { describeIf } from '@wharf/packages-core/testing/test-env';
import { freePortBlock } from './support/private-services';
import { serverBuilt, startServerProcess } from './support/server-process';

/**
 * The built server as operators run it (`node dist/apps/registry/main.js`): start-up
 * validation, the migrate command, readiness with a broken store, graceful SIGTERM.
 * `npm test` builds first, so dist/ is there.
 */
async function waitFor(url: string, timeoutMs = 20000): Promise<Response> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await fetch(url);
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 150));
    }
  }
}

describeIf(serverBuilt(), 'the built server (npm run build)', 'server process', () => {
  let dataDir: string;
  beforeEach(() => {
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'wharf-proc-'));
  });
  afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

  it('refuses to start on a bad configuration, naming each bad variable', async () => {
    const proc = startServerProcess({
      REGISTRY_DATA_DIR: dataDir,
      PORT: 'x',
      REGISTRY_STORAGE: 'tape',
      REGISTRY_LIMIT_SIZE_PYPI: 'huge',
    });
    expect(await proc.exited).toBe(2);
    expect(proc.output()).toMatch(/invalid configuration/);
    expect(proc.output()).toMatch(/REGISTRY_STORAGE must be fs or s3/);
    expect(proc.output()).toMatch(/REGISTRY_LIMIT_SIZE_PYPI must be a byte size/);
    expect(proc.output()).toMatch(/PORT/);
  });

  it('migrates as a one-off command, then serves on the embedded default and stops cleanly on SIGTERM', async () => {
    const migrate = startServerProcess({ REGISTRY_DATA_DIR: dataDir }, ['migrate']);
    expect(await migrate.exited).toBe(0);
    expect(migrate.output()).toMatch(/"applied":\["Initial1764165600000"/);
    expect(existsSync(path.join(dataDir, 'wharf.db'))).toBe(true);
    const p = String(await freePortBlock());
    const server = startServerProcess({
      REGISTRY_DATA_DIR: dataDir,
      PORT: p,
      REGISTRY_MIGRATE_ON_START: 'false',
    });
    try {
      expect((await waitFor(`http://127.0.0.1:${p}/healthz`)).status).toBe(200);
      const ready = await fetch(`http://127.0.0.1:${p}/readyz`);
      expect(await ready.json()).toEqual({ ready: true, database: 'ok', storage: 'ok' });
      expect(await (await fetch(`http://127.0.0.1:${p}/metrics`)).text()).toMatch(
        /wharf_http_requests_total/,
      );
    } finally {
      server.child.kill('SIGTERM');
    }
    expect(await server.exited).toBe(0);
  });
});

describeIf(
  serverBuilt() && MYSQL_S3.available,
  `the built server and ${MYSQL_S3.missing}`,
  'server process on MySQL + S3',
  () => {
    it('reports a wrong S3 secret at start-up: a log line and /readyz 503, while /healthz stays up', async () => {
      const dataDir = mkdtempSync(path.join(os.tmpdir(), 'wharf-proc-'));
      const provisioned = await MYSQL_S3.provision(dataDir);
      const p = String(await freePortBlock());
      const server = startServerProcess({
        ...provisioned.env,
        REGISTRY_S3_SECRET_KEY: 'definitely-not-the-secret',
        PORT: p,
      });
      try {
        expect((await waitFor(`http://127.0.0.1:${p}/healthz`)).status).toBe(200);
        const ready = await fetch(`http://127.0.0.1:${p}/readyz`);
        expect(ready.status).toBe(503);
        const body = (await ready.json()) as { database: string; storage: string };
        expect(body.database).toBe('ok');
        expect(body.storage).toMatch(/SignatureDoesNotMatch|signature|credentials/i);
        expect(server.output()).toMatch(/"level":"error".*not ready/);
        expect(server.output()).not.toContain('definitely-not-the-secret');
      } finally {
        server.child.kill('SIGTERM');
        await server.exited;
        await provisioned.dispose();
        rmSync(dataDir, { recursive: true, force: true });
      }
    });
  },
);
