import { randomBytes } from 'node:crypto';
import request from 'supertest';
import { CleanupService } from '@wharf/packages-core';
import { describeIf } from '@wharf/packages-core/testing/test-env';
import { Backend, createMysqlDatabase, MYSQL_S3 } from './support/backends';
import { ADMIN, ADMIN_ENV } from './support/clients/accounts';
import { storedCounts } from './support/clients/inspect';
import { PrivateService, startPrivateMariadb, startPrivateS3 } from './support/private-services';
import { startTestApp, TestApp } from './support/test-app';

/**
 * The database or the blob store goes away and comes back: requests fail with a clear
 * 503 instead of hanging, /readyz says which one is down, nothing is half-written, and
 * Wharf recovers without a restart. Each test stops a private server of its own, never
 * the shared ones other suites use.
 */
const file = (name: string) => `/api/packages/${ADMIN.username}/generic/outage/${name}/blob.bin`;
const put = (t: TestApp, name: string, body: Buffer) =>
  request(t.url).put(file(name)).auth(ADMIN.username, ADMIN.password).send(body);

async function eventuallyReady(t: TestApp): Promise<void> {
  for (let i = 0; ; i++) {
    const res = await request(t.url).get('/readyz');
    if (res.status === 200) return;
    if (i > 100) throw new Error(`not ready again: ${JSON.stringify(res.body)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** A backend on the shared S3 server and a private MariaDB. */
function privateDatabaseBackend(db: PrivateService): Backend {
  return {
    ...MYSQL_S3,
    async provision(dataDir) {
      const shared = await MYSQL_S3.provision(dataDir);
      return { env: { ...shared.env, REGISTRY_DB_URL: db.url }, dispose: shared.dispose };
    },
  };
}

describeIf(MYSQL_S3.available, MYSQL_S3.missing, 'outages', () => {
  // Each test stops and restarts a real server (Swift waits for in-flight requests).
  jest.setTimeout(240_000);

  it('database down: 503s and /readyz 503, no half-written package, recovery without restart', async () => {
    const db = await startPrivateMariadb();
    const t = await startTestApp(privateDatabaseBackend(db), ADMIN_ENV);
    try {
      await put(t, 'before', randomBytes(1000)).expect(201);
      await db.stop();
      const ready = await request(t.url).get('/readyz').expect(503);
      expect(ready.body.database).not.toBe('ok');
      expect(ready.body.storage).toBe('ok');
      const refused = await put(t, 'during', randomBytes(5000));
      expect(refused.status).toBe(503);
      expect(refused.text).toMatch(/database is unavailable/);
      expect((await request(t.url).get(file('before'))).status).toBe(503);
      await db.start();
      await eventuallyReady(t);
      await request(t.url).get(file('during')).expect(404);
      expect((await request(t.url).get(file('before')).expect(200)).body.length).toBe(1000);
      await put(t, 'after', randomBytes(10)).expect(201);
      expect(await storedCounts(t)).toMatchObject({ versions: 2, files: 2, blobs: 2, staged: 0 });
    } finally {
      await t.close();
      await db.destroy();
    }
  });

  it('blob store down: 503s and /readyz 503, no half-written package, recovery without restart', async () => {
    const s3 = await startPrivateS3(`wharf-outage-${randomBytes(4).toString('hex')}`);
    const db = await createMysqlDatabase(`wharf_outage_${randomBytes(4).toString('hex')}`);
    const backend: Backend = {
      ...MYSQL_S3,
      async provision(dataDir) {
        return {
          env: { REGISTRY_DATA_DIR: dataDir, REGISTRY_DB_URL: db.url, ...s3.env },
          dispose: db.drop,
        };
      },
    };
    // Session TTL 0: the refused upload's staging row counts as abandoned at once.
    const t = await startTestApp(backend, { ...ADMIN_ENV, REGISTRY_UPLOAD_SESSION_TTL: '0' });
    try {
      await put(t, 'before', randomBytes(1000)).expect(201);
      await s3.stop();
      const ready = await request(t.url).get('/readyz').expect(503);
      expect(ready.body).toMatchObject({ database: 'ok', ready: false });
      const refused = await put(t, 'during', randomBytes(5000));
      expect(refused.status).toBe(503);
      expect(refused.text).toMatch(/storage is unavailable/);
      expect((await request(t.url).get(file('before'))).status).toBe(503);
      await s3.start();
      await eventuallyReady(t);
      await request(t.url).get(file('during')).expect(404);
      expect((await request(t.url).get(file('before')).expect(200)).body.length).toBe(1000);
      // The refused upload left at most its staging row, which the cleanup job removes.
      expect(await storedCounts(t)).toMatchObject({ versions: 1, files: 1, blobs: 1 });
      await t.app.get(CleanupService).run(0);
      expect(await storedCounts(t)).toMatchObject({ versions: 1, files: 1, blobs: 1, staged: 0 });
    } finally {
      await t.close();
      await s3.destroy();
    }
  });
});
