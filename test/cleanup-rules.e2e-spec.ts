import request from 'supertest';
import {
  CleanupService,
  Database,
  nowUnix,
  PackageEntity,
  PackageVersionEntity,
} from '@wharf/packages-core';
import { describeEachBackend } from './support/backends';
import { ADMIN_ENV, createOrg, createUser, PASSWORD } from './support/clients/accounts';
import {
  bearer,
  OCI_INDEX,
  OCI_MANIFEST,
  pushImage,
  registryToken,
} from './support/clients/container';
import { startTestApp, TestApp } from './support/test-app';

type Target = { type: string; name: string; version: string };
const DAY = 86_400;

// docs/protocols/core.md §9: per-owner cleanup rules with Forgejo's fields, previewed and run.
describeEachBackend('cleanup rules', (backend) => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp(backend, ADMIN_ENV);
    for (const u of ['u1', 'u2', 'u3', 'u4', 'u5', 'u6', 'cont', 'bob']) await createUser(t.url, u);
    await createOrg(t.url, 'u1', 'acme', 'public', { bob: 'write' });
  });
  afterAll(async () => {
    await t?.close();
  });

  const rules = (owner: string) => `/api/v1/packages/${owner}/-/cleanup-rules`;
  /** Generic versions of `name`, each `ageDays` old. */
  const seed = async (owner: string, name: string, versions: [string, number][]) => {
    for (const [version] of versions)
      await request(t.url)
        .put(`/api/packages/${owner}/generic/${name}/${version}/f.bin`)
        .auth(owner, PASSWORD)
        .send(Buffer.from(`${name}@${version}`))
        .expect(201);
    for (const [version, age] of versions) await age_(owner, name, version, age);
  };
  const age_ = async (owner: string, name: string, version: string, days: number) => {
    const em = t.app.get(Database).manager;
    const ownerRow = await request(t.url).get('/api/v1/user').auth(owner, PASSWORD);
    const pkg = await em.findOneByOrFail(PackageEntity, {
      ownerId: ownerRow.body.id,
      lowerName: name.toLowerCase(),
    });
    await em.update(
      PackageVersionEntity,
      { packageId: pkg.id, lowerVersion: version.toLowerCase() },
      { createdUnix: nowUnix() - days * DAY },
    );
  };
  const versionsOf = async (owner: string): Promise<Target[]> => {
    const res = await request(t.url)
      .get(`/api/v1/packages/${owner}`)
      .query({ limit: 50 })
      .auth(owner, PASSWORD)
      .expect(200);
    return (res.body as Target[]).map((p) => ({ type: p.type, name: p.name, version: p.version }));
  };
  const key = (x: Target) => `${x.type}/${x.name}/${x.version}`;
  const sorted = (xs: Target[]) => xs.map(key).sort();

  /** Creates the rule, previews it, runs the job; the preview must be exactly what went. */
  const previewThenRun = async (owner: string, rule: Record<string, unknown>) => {
    const created = await request(t.url)
      .post(rules(owner))
      .auth(owner, PASSWORD)
      .send({ type: 'generic', enabled: true, ...rule })
      .expect(201);
    const preview = await request(t.url)
      .get(`${rules(owner)}/${created.body.id}/preview`)
      .auth(owner, PASSWORD)
      .expect(200);
    const before = await versionsOf(owner);
    const report = await t.app.get(CleanupService).run();
    expect(report.ran).toBe(true);
    const after = new Set((await versionsOf(owner)).map(key));
    const removed = before.filter((v) => !after.has(key(v)));
    expect(sorted(preview.body)).toEqual(sorted(removed));
    return sorted(preview.body);
  };

  it('manages rules: one per type (409), patterns checked, only the owner and its admins', async () => {
    const created = await request(t.url)
      .post(rules('u1'))
      .auth('u1', PASSWORD)
      .send({ type: 'npm', keep_count: 3, remove_pattern: '.*-beta.*' })
      .expect(201);
    expect(created.body).toMatchObject({
      type: 'npm',
      enabled: false,
      keep_count: 3,
      keep_pattern: '',
      remove_days: 0,
      remove_pattern: '.*-beta.*',
      match_full_name: false,
    });
    await request(t.url).post(rules('u1')).auth('u1', PASSWORD).send({ type: 'npm' }).expect(409);
    const bad = await request(t.url)
      .post(rules('u1'))
      .auth('u1', PASSWORD)
      .send({ type: 'maven', keep_pattern: '(a)\\1' })
      .expect(400);
    expect(bad.text).toMatch(/keep_pattern is not a valid pattern/);
    await request(t.url).post(rules('u1')).auth('u1', PASSWORD).send({ type: 'nope' }).expect(422);
    const id = created.body.id as number;
    const patched = await request(t.url)
      .patch(`${rules('u1')}/${id}`)
      .auth('u1', PASSWORD)
      .send({ enabled: true, keep_count: 1 })
      .expect(200);
    expect(patched.body).toMatchObject({
      enabled: true,
      keep_count: 1,
      remove_pattern: '.*-beta.*',
    });
    const list = await request(t.url).get(rules('u1')).auth('u1', PASSWORD).expect(200);
    expect(list.body.map((r: { id: number }) => r.id)).toEqual([id]);
    // Another user's rule is not found through this owner; a writer of an org is not an admin.
    await request(t.url)
      .get(`${rules('u2')}/${id}`)
      .auth('u2', PASSWORD)
      .expect(404);
    await request(t.url).get(rules('u1')).auth('u2', PASSWORD).expect(403);
    await request(t.url).get(rules('acme')).auth('bob', PASSWORD).expect(403);
    await request(t.url).get(rules('acme')).auth('u1', PASSWORD).expect(200);
    await request(t.url)
      .delete(`${rules('u1')}/${id}`)
      .auth('u1', PASSWORD)
      .expect(204);
    await request(t.url)
      .delete(`${rules('u1')}/${id}`)
      .auth('u1', PASSWORD)
      .expect(404);
  });

  it('keep_count keeps the N most recent versions of each package', async () => {
    await seed('u2', 'kc', [
      ['1', 5],
      ['2', 4],
      ['3', 3],
      ['4', 2],
      ['5', 1],
    ]);
    await seed('u2', 'other', [['1', 9]]);
    expect(await previewThenRun('u2', { keep_count: 2 })).toEqual([
      'generic/kc/1',
      'generic/kc/2',
      'generic/kc/3',
    ]);
  });

  it('keep_pattern and remove_pattern match the whole version, case-insensitively', async () => {
    await seed('u3', 'lib', [
      ['1.0.1', 3],
      ['1.0.2-SNAPSHOT', 3],
      ['2.0.0', 3],
      ['2.1.0-snapshot', 3],
      ['x1.0.3', 3],
    ]);
    expect(
      await previewThenRun('u3', { keep_pattern: '1\\.0\\..*', remove_pattern: '.*-snapshot' }),
    ).toEqual(['generic/lib/2.1.0-snapshot']);
  });

  it('remove_days removes only versions older than that many days', async () => {
    await seed('u4', 'aged', [
      ['old', 20],
      ['older', 15],
      ['recent', 5],
      ['new', 0],
    ]);
    expect(await previewThenRun('u4', { remove_days: 10 })).toEqual([
      'generic/aged/old',
      'generic/aged/older',
    ]);
  });

  it('match_full_name matches name/version; a hostile pattern does not hang the job', async () => {
    await seed('u5', 'tmp-build', [
      ['1', 2],
      ['2', 2],
    ]);
    await seed('u5', 'release', [['1', 2]]);
    expect(
      await previewThenRun('u5', { remove_pattern: 'tmp-.*/.*', match_full_name: true }),
    ).toEqual(['generic/tmp-build/1', 'generic/tmp-build/2']);
    // Catastrophic for a backtracking engine; RE2 is linear in the input.
    await seed('u6', 'redos', [[`${'a'.repeat(100)}b`, 2]]);
    const started = Date.now();
    expect(await previewThenRun('u6', { remove_pattern: '(a+)+$' })).toEqual([]);
    expect(Date.now() - started).toBeLessThan(30_000);
  });

  it('container: tags only; a manifest another tag, an index or a subject uses stays; old untagged manifests go', async () => {
    const token = await registryToken(t.url, ['cont', PASSWORD]);
    const name = 'cont/app';
    const v1 = await pushImage(t.url, name, token, 'v1', [Buffer.from('layer-1')]);
    await request(t.url)
      .put(`/v2/${name}/manifests/keep`)
      .set(bearer(token))
      .set('Content-Type', OCI_MANIFEST)
      .send(v1.manifest.toString())
      .expect(201);
    await pushImage(t.url, name, token, 'v2', [Buffer.from('layer-2')]);
    await pushImage(t.url, name, token, 'latest', [Buffer.from('layer-3')]);
    const child = await pushImage(t.url, name, token, undefined, [Buffer.from('child')], {
      platform: 'arm64',
    });
    const index = JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI_INDEX,
      manifests: [{ mediaType: OCI_MANIFEST, digest: child.digest, size: child.manifest.length }],
    });
    await request(t.url)
      .put(`/v2/${name}/manifests/vindex`)
      .set(bearer(token))
      .set('Content-Type', OCI_INDEX)
      .send(index)
      .expect(201);
    const orphan = await pushImage(t.url, name, token, undefined, [Buffer.from('orphan')], {
      platform: 's390x',
    });
    // Everything is 3 days old.
    const em = t.app.get(Database).manager;
    const pkg = await em.findOneByOrFail(PackageEntity, { lowerName: 'app', type: 'container' });
    await em.update(
      PackageVersionEntity,
      { packageId: pkg.id },
      { createdUnix: nowUnix() - 3 * DAY },
    );

    const created = await request(t.url)
      .post(rules('cont'))
      .auth('cont', PASSWORD)
      .send({ type: 'container', enabled: true, remove_pattern: 'v.*', remove_days: 1 })
      .expect(201);
    const preview = await request(t.url)
      .get(`${rules('cont')}/${created.body.id}/preview`)
      .auth('cont', PASSWORD)
      .expect(200);
    // Tags v1, v2 and vindex match; `latest` is never removed; the untagged orphan goes.
    expect(sorted(preview.body)).toEqual(
      sorted([
        { type: 'container', name: 'app', version: 'v1' },
        { type: 'container', name: 'app', version: 'v2' },
        { type: 'container', name: 'app', version: 'vindex' },
        { type: 'container', name: 'app', version: orphan.digest },
      ]),
    );
    const report = await t.app.get(CleanupService).run();
    expect(report.ruleVersions).toBe(4);
    const get = (ref: string) =>
      request(t.url)
        .get(`/v2/${name}/manifests/${ref}`)
        .set(bearer(token))
        .set('Accept', `${OCI_MANIFEST}, ${OCI_INDEX}`);
    await get('v1').expect(404);
    await get('keep').expect(200);
    // v1's manifest is still used by the tag `keep`: reachable by digest.
    await get(v1.digest).expect(200);
    await get('latest').expect(200);
    await get(orphan.digest).expect(404);
  });
});
