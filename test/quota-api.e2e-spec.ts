import request from 'supertest';
import { describeEachBackend } from './support/backends';
import { ADMIN, ADMIN_ENV, createOrg, createUser, PASSWORD } from './support/clients/accounts';
import { bearer, pushImage, registryToken, sha256 } from './support/clients/container';
import { storedCounts } from './support/clients/inspect';
import { npmTarball, publishDocument } from './support/clients/npm';
import { startTestApp, TestApp } from './support/test-app';

// docs/protocols/core.md §8 and §10: Forgejo's quota API for package subjects, and its enforcement.
describeEachBackend('quota API', (backend) => {
  let t: TestApp;
  const admin = () => ({ user: ADMIN.username, pass: ADMIN.password });
  const asAdmin = (r: request.Test) => r.auth(admin().user, admin().pass);
  const bytes = (n: number, fill = 1) => Buffer.alloc(n, fill);
  const putGeneric = (owner: string, user: string, version: string, data: Buffer) =>
    request(t.url)
      .put(`/api/packages/${owner}/generic/pkg/${version}/file.bin`)
      .auth(user, PASSWORD)
      .send(data);

  beforeAll(async () => {
    t = await startTestApp(backend, ADMIN_ENV);
    for (const u of ['alice', 'bob', 'carol']) await createUser(t.url, u);
    await createOrg(t.url, 'alice', 'acme', 'public', { bob: 'write' });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('rules: create, conflict, validation, get, edit, list, delete', async () => {
    const created = await asAdmin(request(t.url).post('/api/v1/admin/quota/rules'))
      .send({ name: 'small', limit: 10_000, subjects: ['size:assets:packages:all'] })
      .expect(201);
    expect(created.body).toEqual({
      name: 'small',
      limit: 10_000,
      subjects: ['size:assets:packages:all'],
    });
    await asAdmin(request(t.url).post('/api/v1/admin/quota/rules'))
      .send({ name: 'small', limit: 1, subjects: ['size:all'] })
      .expect(409);
    const bad = await asAdmin(request(t.url).post('/api/v1/admin/quota/rules'))
      .send({ name: 'git', limit: 1, subjects: ['size:git:all'] })
      .expect(422);
    expect(bad.body.message).toMatch(/size:assets:packages:all/);
    await asAdmin(request(t.url).post('/api/v1/admin/quota/rules'))
      .send({ name: 'nolimit', subjects: ['size:all'] })
      .expect(422);
    await asAdmin(request(t.url).post('/api/v1/admin/quota/rules'))
      .send({ name: 'tmp', limit: -1, subjects: ['size:all'] })
      .expect(201);
    const edited = await asAdmin(request(t.url).patch('/api/v1/admin/quota/rules/tmp'))
      .send({ limit: 5 })
      .expect(200);
    expect(edited.body).toEqual({ name: 'tmp', limit: 5, subjects: ['size:all'] });
    const list = await asAdmin(request(t.url).get('/api/v1/admin/quota/rules')).expect(200);
    expect(list.body.map((r: { name: string }) => r.name)).toEqual(['small', 'tmp']);
    await asAdmin(request(t.url).delete('/api/v1/admin/quota/rules/tmp')).expect(204);
    await asAdmin(request(t.url).get('/api/v1/admin/quota/rules/tmp')).expect(404);
    await request(t.url).get('/api/v1/admin/quota/rules').auth('alice', PASSWORD).expect(403);
  });

  it('groups: create with rules (missing ones are created), rules and users in and out', async () => {
    const group = await asAdmin(request(t.url).post('/api/v1/admin/quota/groups'))
      .send({
        name: 'ci',
        rules: [
          { name: 'small', limit: 1, subjects: ['size:all'] },
          { name: 'everything', limit: 50_000, subjects: ['size:all'] },
        ],
      })
      .expect(201);
    // An existing rule is used as it is, not redefined.
    expect(group.body).toEqual({
      name: 'ci',
      rules: [
        { name: 'everything', limit: 50_000, subjects: ['size:all'] },
        { name: 'small', limit: 10_000, subjects: ['size:assets:packages:all'] },
      ],
    });
    await asAdmin(request(t.url).post('/api/v1/admin/quota/groups'))
      .send({ name: 'ci' })
      .expect(409);
    await asAdmin(request(t.url).delete('/api/v1/admin/quota/groups/ci/rules/everything')).expect(
      204,
    );
    await asAdmin(request(t.url).delete('/api/v1/admin/quota/groups/ci/rules/everything')).expect(
      404,
    );
    await asAdmin(request(t.url).put('/api/v1/admin/quota/groups/ci/rules/everything')).expect(204);
    await asAdmin(request(t.url).put('/api/v1/admin/quota/groups/ci/rules/everything')).expect(409);
    await asAdmin(request(t.url).put('/api/v1/admin/quota/groups/ci/rules/nope')).expect(404);
    await asAdmin(request(t.url).put('/api/v1/admin/quota/groups/ci/users/alice')).expect(204);
    await asAdmin(request(t.url).put('/api/v1/admin/quota/groups/ci/users/acme')).expect(204);
    await asAdmin(request(t.url).put('/api/v1/admin/quota/groups/ci/users/alice')).expect(409);
    await asAdmin(request(t.url).put('/api/v1/admin/quota/groups/ci/users/nobody')).expect(404);
    const users = await asAdmin(request(t.url).get('/api/v1/admin/quota/groups/ci/users')).expect(
      200,
    );
    expect(users.body.map((u: { login: string }) => u.login)).toEqual(['alice', 'acme']);
    const groups = await asAdmin(request(t.url).get('/api/v1/admin/quota/groups')).expect(200);
    expect(groups.body.map((g: { name: string }) => g.name)).toEqual(['ci']);
  });

  it('an upload that would pass a quota rule is refused with 413 naming the rule, per protocol; nothing is stored', async () => {
    await putGeneric('alice', 'alice', '1', bytes(6000)).expect(201);
    const before = await storedCounts(t);
    const generic = await putGeneric('alice', 'alice', '2', bytes(5000, 2)).expect(413);
    expect(generic.text).toContain('quota rule "small"');

    const tgz = await npmTarball({
      'package.json': JSON.stringify({ name: 'big', version: '1.0.0' }),
      'blob.bin': Buffer.from(Array.from({ length: 12_000 }, () => Math.random() * 256)),
    });
    const npm = await request(t.url)
      .put('/api/packages/alice/npm/big')
      .auth('alice', PASSWORD)
      .set('Content-Type', 'application/json')
      .send(JSON.stringify(publishDocument({ name: 'big', version: '1.0.0' }, tgz)))
      .expect(413);
    expect(npm.body.error).toContain('quota rule "small"');

    const maven = await request(t.url)
      .put('/api/packages/alice/maven/com/example/lib/1.0/lib-1.0.jar')
      .auth('alice', PASSWORD)
      .send(bytes(4500, 3))
      .expect(413);
    expect(maven.text).toContain('quota rule "small"');

    const token = await registryToken(t.url, ['alice', PASSWORD]);
    const layer = bytes(4500, 4);
    const oci = await request(t.url)
      .post('/v2/alice/app/blobs/uploads/')
      .query({ digest: sha256(layer) })
      .set(bearer(token))
      .set('Content-Type', 'application/octet-stream')
      .send(layer)
      .expect(413);
    expect(oci.body.errors[0]).toMatchObject({ code: 'DENIED' });
    expect(oci.body.errors[0].message).toContain('quota rule "small"');
    expect(await storedCounts(t)).toEqual(before);
    // The organization in the group has a quota of its own, counted apart from alice's.
    await putGeneric('acme', 'bob', '1', bytes(9000, 5)).expect(201);
    await putGeneric('acme', 'bob', '2', bytes(2000, 6)).expect(413);
    // bob is in no group: unlimited.
    await pushImage(t.url, 'bob/app', await registryToken(t.url, ['bob', PASSWORD]), 'v1', [
      bytes(30_000, 7),
    ]);
  });

  it('usage, packages and check for the user and the organization; deleting frees quota at once', async () => {
    const info = await request(t.url).get('/api/v1/user/quota').auth('alice', PASSWORD).expect(200);
    expect(info.body.used.size.assets.packages.all).toBe(6000);
    expect(info.body.used.size.repos).toEqual({ public: 0, private: 0 });
    expect(info.body.groups.map((g: { name: string }) => g.name)).toEqual(['ci']);
    const pkgs = await request(t.url)
      .get('/api/v1/user/quota/packages')
      .auth('alice', PASSWORD)
      .expect(200);
    expect(pkgs.body).toEqual([
      {
        name: 'pkg',
        type: 'generic',
        version: '1',
        size: 6000,
        html_url: `${t.config.baseUrl}/alice/-/packages/generic/pkg/1`,
      },
    ]);
    expect(pkgs.headers['x-total-count']).toBe('1');
    const check = (who: string, path: string, subject: string) =>
      request(t.url).get(path).query({ subject }).auth(who, PASSWORD);
    expect((await check('alice', '/api/v1/user/quota/check', 'size:all').expect(200)).body).toBe(
      true,
    );
    await check('alice', '/api/v1/user/quota/check', 'size:nothing').expect(422);
    const org = await request(t.url)
      .get('/api/v1/orgs/acme/quota')
      .auth('alice', PASSWORD)
      .expect(200);
    expect(org.body.used.size.assets.packages.all).toBe(9000);
    await request(t.url).get('/api/v1/orgs/acme/quota').auth('bob', PASSWORD).expect(403);
    await request(t.url).get('/api/v1/orgs/acme/quota').auth('carol', PASSWORD).expect(403);
    // Lowering the limit below the usage: the check says so.
    await asAdmin(request(t.url).patch('/api/v1/admin/quota/rules/small'))
      .send({ limit: 5000 })
      .expect(200);
    expect(
      (
        await check('alice', '/api/v1/orgs/acme/quota/check', 'size:assets:packages:all').expect(
          200,
        )
      ).body,
    ).toBe(false);
    await asAdmin(request(t.url).patch('/api/v1/admin/quota/rules/small'))
      .send({ limit: 10_000 })
      .expect(200);
    // Deleting frees quota at once.
    await request(t.url)
      .delete('/api/v1/packages/alice/generic/pkg/1')
      .auth('alice', PASSWORD)
      .expect(204);
    await putGeneric('alice', 'alice', '2', bytes(9000, 2)).expect(201);
  });

  it('an owner out of every group is unlimited again; groups and rules go away', async () => {
    await asAdmin(request(t.url).delete('/api/v1/admin/quota/groups/ci/users/alice')).expect(204);
    await asAdmin(request(t.url).delete('/api/v1/admin/quota/groups/ci/users/alice')).expect(404);
    await putGeneric('alice', 'alice', '3', bytes(20_000, 3)).expect(201);
    await asAdmin(request(t.url).post('/api/v1/admin/users/acme/quota/groups'))
      .send({ groups: [] })
      .expect(204);
    await putGeneric('acme', 'bob', '2', bytes(20_000, 3)).expect(201);
    await asAdmin(request(t.url).post('/api/v1/admin/users/acme/quota/groups'))
      .send({ groups: ['nope'] })
      .expect(404);
    await asAdmin(request(t.url).delete('/api/v1/admin/quota/groups/ci')).expect(204);
    await asAdmin(request(t.url).get('/api/v1/admin/quota/groups/ci')).expect(404);
  });

  it('is described in the OpenAPI document', async () => {
    const doc = await request(t.url).get('/api/v1/openapi.json').expect(200);
    for (const path of [
      '/api/v1/admin/quota/rules',
      '/api/v1/admin/quota/rules/{rule}',
      '/api/v1/admin/quota/groups',
      '/api/v1/admin/quota/groups/{group}',
      '/api/v1/admin/quota/groups/{group}/rules/{rule}',
      '/api/v1/admin/quota/groups/{group}/users',
      '/api/v1/admin/quota/groups/{group}/users/{username}',
      '/api/v1/user/quota',
      '/api/v1/user/quota/packages',
      '/api/v1/user/quota/check',
      '/api/v1/orgs/{org}/quota',
      '/api/v1/orgs/{org}/quota/packages',
      '/api/v1/orgs/{org}/quota/check',
    ])
      expect(Object.keys(doc.body.paths)).toContain(path);
  });
});
