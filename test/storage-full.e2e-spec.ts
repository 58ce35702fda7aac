import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import request from 'supertest';
import { describeIf } from '@wharf/packages-core/testing/test-env';
import { SQLITE_FS } from './support/backends';
import { ADMIN, ADMIN_ENV } from './support/clients/accounts';
import { startTestApp, TestApp } from './support/test-app';

/**
 * A full disk (issue 11): an upload that runs out of space is a 507 that says so, with
 * nothing stored; reads and deletes keep working, and uploads succeed again once space
 * is freed, without a restart. The blob store sits on a 3 MiB tmpfs of its own (root
 * mounts it; the database lives elsewhere, as it would on a real deployment).
 */
function mountTmpfs(dir: string, size: string): boolean {
  return spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir]).status === 0;
}

function canMountTmpfs(): boolean {
  const probe = mkdtempSync(path.join(os.tmpdir(), 'wharf-mount-probe-'));
  const ok = mountTmpfs(probe, '64k');
  if (ok) spawnSync('umount', [probe]);
  rmSync(probe, { recursive: true, force: true });
  return ok;
}

describeIf(canMountTmpfs(), 'root (to mount a small tmpfs)', 'storage out of space', () => {
  let t: TestApp;
  let dataDir: string;
  let dbDir: string;
  const base = '/api/packages/root/generic/big';

  beforeAll(async () => {
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'wharf-full-'));
    dbDir = mkdtempSync(path.join(os.tmpdir(), 'wharf-full-db-'));
    if (!mountTmpfs(dataDir, '3m')) throw new Error('mount failed');
    t = await startTestApp(SQLITE_FS, {
      ...ADMIN_ENV,
      REGISTRY_DATA_DIR: dataDir,
      REGISTRY_DB_URL: `sqlite:${path.join(dbDir, 'wharf.db')}`,
    });
  });
  afterAll(async () => {
    await t?.close();
    spawnSync('umount', [dataDir]);
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(dbDir, { recursive: true, force: true });
  });

  const put = (file: string, bytes: Buffer) =>
    request(t.url)
      .put(`${base}/1.0.0/${file}`)
      .auth(ADMIN.username, ADMIN.password)
      .set('content-type', 'application/octet-stream')
      .send(bytes);

  it('answers 507 to an upload that does not fit, and stores nothing of it', async () => {
    await put('small.bin', randomBytes(1024 * 1024)).expect(201);
    const res = await put('huge.bin', randomBytes(4 * 1024 * 1024));
    expect(res.status).toBe(507);
    expect(res.text).toMatch(/no storage space left/);
    await request(t.url)
      .get(`${base}/1.0.0/huge.bin`)
      .auth(ADMIN.username, ADMIN.password)
      .expect(404);
    // No temporary file is left behind to keep the disk full.
    const tmp = path.join(dataDir, '.tmp');
    expect(existsSync(tmp) ? readdirSync(tmp) : []).toEqual([]);
  });

  it('keeps serving reads and deletes while full, and takes uploads again once space is freed', async () => {
    await put('filler.bin', randomBytes(1536 * 1024)).expect(201);
    const refused = await put('more.bin', randomBytes(1024 * 1024));
    expect(refused.status).toBe(507);
    const got = await request(t.url)
      .get(`${base}/1.0.0/small.bin`)
      .auth(ADMIN.username, ADMIN.password)
      .expect(200);
    expect(got.body.length).toBe(1024 * 1024);
    await request(t.url)
      .delete(`${base}/1.0.0/filler.bin`)
      .auth(ADMIN.username, ADMIN.password)
      .expect(204);
    await put('more.bin', randomBytes(1024 * 1024)).expect(201);
  });
});
