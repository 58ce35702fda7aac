import { createHash, randomBytes } from 'node:crypto';
import request from 'supertest';
import { describeEachBackend } from './support/backends';
import {
  ADMIN_ENV,
  createOrg,
  createToken,
  createUser,
  PASSWORD,
} from './support/clients/accounts';
import { storedCounts } from './support/clients/inspect';
import { npmTarball, publishDocument } from './support/clients/npm';
import { startTestApp, TestApp } from './support/test-app';

/** The npm registry over HTTP (docs/protocols/npm.md §7, Forgejo's TestPackageNpm, plus Wharf's refusals). */
describeEachBackend('npm registry', (backend) => {
  let t: TestApp;
  let token: string;
  const base = (owner = 'alice') => `/api/packages/${owner}/npm`;
  const scoped = '@scope/test-package';
  const esc = '%40scope%2Ftest-package';
  const manifest = (name: string, version: string, extra: Record<string, unknown> = {}) => ({
    name,
    version,
    description: 'Test Description',
    author: { name: 'KN4CK3R' },
    bin: { cli: './cli.sh' },
    repository: { type: 'git', url: 'https://example.com/repo.git' },
    ...extra,
  });
  const tarballOf = (name: string, version: string) =>
    npmTarball({ 'package.json': JSON.stringify({ name, version }), 'cli.sh': 'echo hi\n' });
  const publish = async (
    status: number,
    name: string,
    version: string,
    opts: { tags?: string[]; owner?: string; auth?: string } = {},
  ) => {
    const tgz = await tarballOf(name, version);
    return request(t.url)
      .put(`${base(opts.owner)}/${encodeURIComponent(name)}`)
      .set('Authorization', opts.auth ?? `Bearer ${token}`)
      .send(publishDocument(manifest(name, version), tgz, opts))
      .expect(status);
  };

  beforeAll(async () => {
    t = await startTestApp(backend, { ...ADMIN_ENV, REGISTRY_LIMIT_SIZE_NPM: '1 MiB' });
    await createUser(t.url, 'alice');
    await createUser(t.url, 'bob');
    await createUser(t.url, 'carol', 'private');
    await createOrg(t.url, 'alice', 'acme', 'public', { bob: 'read' });
    token = await createToken(t.url, 'alice');
  });
  afterAll(async () => {
    await t?.close();
  });

  it('publishes a scoped package (201), refuses the same version again (409), serves the packument with Wharf-computed dist', async () => {
    const tgz = await tarballOf(scoped, '1.0.1-pre');
    const doc = publishDocument(manifest(scoped, '1.0.1-pre'), tgz);
    await request(t.url)
      .put(`${base()}/${esc}`)
      .set('Authorization', `Bearer ${token}`)
      .send(doc)
      .expect(201);
    const again = await request(t.url)
      .put(`${base()}/${esc}`)
      .set('Authorization', `Bearer ${token}`)
      .send(doc)
      .expect(409);
    expect(again.body).toEqual({ error: expect.stringMatching(/already exists/) });

    const res = await request(t.url)
      .get(`${base()}/${esc}`)
      .expect(200)
      .expect('Content-Type', /^application\/json/);
    const p = res.body;
    expect(p).toMatchObject({
      _id: scoped,
      name: scoped,
      description: 'Test Description',
      'dist-tags': { latest: '1.0.1-pre' },
    });
    expect(p.author).toEqual({ name: 'KN4CK3R' });
    expect(p.repository).toEqual({ type: 'git', url: 'https://example.com/repo.git' });
    const v = p.versions['1.0.1-pre'];
    expect(v._id).toBe(`${scoped}@1.0.1-pre`);
    expect(v.bin).toEqual({ cli: './cli.sh' });
    expect(v.dist).toEqual({
      integrity: `sha512-${createHash('sha512').update(tgz).digest('base64')}`,
      shasum: createHash('sha1').update(tgz).digest('hex'),
      tarball: `${t.url}${base()}/${esc}/-/1.0.1-pre/test-package-1.0.1-pre.tgz`,
    });
    expect(p.time['1.0.1-pre']).toMatch(/^\d{4}-/);

    // Every spelling of the scoped name is the same package.
    for (const spelling of [
      '@scope%2ftest-package',
      '@scope/test-package',
      '%40scope%2ftest-package',
    ]) {
      expect((await request(t.url).get(`${base()}/${spelling}`).expect(200)).body.name).toBe(
        scoped,
      );
    }

    const corgi = await request(t.url)
      .get(`${base()}/${esc}`)
      .set('Accept', 'application/vnd.npm.install-v1+json; q=1.0, application/json; q=0.8, */*')
      .expect(200)
      .expect('Content-Type', /^application\/vnd\.npm\.install-v1\+json/);
    expect(Object.keys(corgi.body).sort()).toEqual(['dist-tags', 'modified', 'name', 'versions']);
    expect(corgi.body.versions['1.0.1-pre']).toEqual({
      name: scoped,
      version: '1.0.1-pre',
      bin: { cli: './cli.sh' },
      dist: v.dist,
    });

    const byVersion = await request(t.url)
      .get(`${base()}/${esc}/-/1.0.1-pre/test-package-1.0.1-pre.tgz`)
      .expect(200);
    expect(Buffer.compare(byVersion.body, tgz)).toBe(0);
    const byName = await request(t.url)
      .get(`${base()}/@scope/test-package/-/test-package-1.0.1-pre.tgz`)
      .expect(200);
    expect(Buffer.compare(byName.body, tgz)).toBe(0);
    await request(t.url).get(`${base()}/${esc}/-/9.9.9/test-package-9.9.9.tgz`).expect(404);
    await request(t.url)
      .get(`${base()}/does-not-exist`)
      .expect(404, { error: 'package does-not-exist not found' });
    const mgmt = await request(t.url)
      .get(`/api/v1/packages/alice/npm/${esc}/1.0.1-pre`)
      .auth('alice', PASSWORD)
      .expect(200);
    expect(mgmt.body).toMatchObject({ name: scoped, version: '1.0.1-pre' });
  });

  it('refuses bad publishes with a clear 4xx that stores nothing', async () => {
    const before = await storedCounts(t);
    const put = (name: string, body: unknown) =>
      request(t.url)
        .put(`${base()}/${encodeURIComponent(name)}`)
        .set('Authorization', `Bearer ${token}`)
        .send(body as object);
    const tgzOther = await tarballOf('other-name', '1.0.0');

    let res = await put(
      'mismatch',
      publishDocument(manifest('mismatch', '1.0.0'), tgzOther),
    ).expect(400);
    expect(res.body.error).toMatch(/package\.json names "other-name"/);
    res = await put(
      'mismatch',
      publishDocument(manifest('mismatch', '2.0.0'), await tarballOf('mismatch', '1.0.0')),
    ).expect(400);
    expect(res.body.error).toMatch(/version "1\.0\.0"/);
    res = await put(
      'badsum',
      publishDocument(manifest('badsum', '1.0.0'), await tarballOf('badsum', '1.0.0'), {
        integrity: `sha512-${randomBytes(64).toString('base64')}`,
      }),
    ).expect(400);
    expect(res.body.error).toMatch(/integrity/);
    res = await put(
      'Upper',
      publishDocument(manifest('Upper', '1.0.0'), await tarballOf('Upper', '1.0.0')),
    ).expect(400);
    expect(res.body.error).toMatch(/invalid package name/);
    res = await put(
      'badver',
      publishDocument(manifest('badver', 'one'), await tarballOf('badver', 'one')),
    ).expect(400);
    expect(res.body.error).toMatch(/SemVer/);
    res = await put(
      'urlname',
      publishDocument(manifest('docname', '1.0.0'), await tarballOf('docname', '1.0.0')),
    ).expect(400);
    expect(res.body.error).toMatch(/URL names urlname/);
    res = await put(
      'badtag',
      publishDocument(manifest('badtag', '1.0.0'), await tarballOf('badtag', '1.0.0'), {
        tags: ['1.0'],
      }),
    ).expect(400);
    expect(res.body.error).toMatch(/dist-tag/);
    const notGzip = publishDocument(manifest('notgzip', '1.0.0'), Buffer.from('plain text'));
    res = await put('notgzip', notGzip).expect(400);
    expect(res.body.error).toMatch(/gzip/);
    res = await request(t.url)
      .put(`${base()}/broken`)
      .set('Authorization', `Bearer ${token}`)
      .set('Content-Type', 'application/json')
      .send('{"name":"broken","_attachments":{"broken-1.0.0.tgz":{"data":"AAAA')
      .expect(400);
    expect(res.body.error).toMatch(/not valid JSON/);
    const notBase64 = publishDocument(manifest('nob64', '1.0.0'), Buffer.from('x'));
    (notBase64._attachments as Record<string, { data: string }>)['nob64-1.0.0.tgz'].data =
      'not base64 at all!';
    res = await put('nob64', notBase64).expect(400);
    expect(res.body.error).toMatch(/base64/);
    // Over REGISTRY_LIMIT_SIZE_NPM (1 MiB): refused while streaming.
    const big = await npmTarball({
      'package.json': JSON.stringify({ name: 'big', version: '1.0.0' }),
      'blob.bin': randomBytes(1536 * 1024),
    });
    res = await put('big', publishDocument(manifest('big', '1.0.0'), big)).expect(413);
    expect(res.body.error).toMatch(/size limit/);
    expect(await storedCounts(t)).toEqual(before);
  });

  it('checks access: 401 with one Basic challenge, 403 for a reader, private owners hidden; JSON errors throughout', async () => {
    const anon = await publish(401, 'anon-pkg', '1.0.0', { auth: '' });
    expect(anon.headers['www-authenticate']).toBe('Basic realm="Wharf"');
    expect(anon.body).toEqual({ error: expect.any(String) });
    const bobToken = await createToken(t.url, 'bob');
    const forbidden = await publish(403, 'org-pkg', '1.0.0', {
      owner: 'acme',
      auth: `Bearer ${bobToken}`,
    });
    expect(forbidden.body.error).toMatch(/may read but not write/);
    await publish(201, 'org-pkg', '1.0.0', {
      owner: 'acme',
      auth: `Basic ${Buffer.from(`alice:${PASSWORD}`).toString('base64')}`,
    });
    await request(t.url)
      .get(`${base('acme')}/org-pkg`)
      .expect(200);
    const readOnly = await createToken(t.url, 'alice', ['read:package']);
    await publish(403, 'ro-pkg', '1.0.0', { auth: `Bearer ${readOnly}` });
    const carolToken = await createToken(t.url, 'carol');
    await publish(201, 'secret', '1.0.0', { owner: 'carol', auth: `Bearer ${carolToken}` });
    await request(t.url)
      .get(`${base('carol')}/secret`)
      .expect(401);
    await request(t.url)
      .get(`${base('carol')}/secret`)
      .set('Authorization', `Bearer ${token}`)
      .expect(404);
    await request(t.url)
      .get(`${base('carol')}/secret`)
      .set('Authorization', `Bearer ${carolToken}`)
      .expect(200);
  });

  it('manages dist-tags as Forgejo does', async () => {
    const tags = `${base()}/-/package/${esc}/dist-tags`;
    const auth = { Authorization: `Bearer ${token}` };
    await request(t.url).put(`${tags}/1.0`).set(auth).send('"1.0.1-pre"').type('json').expect(400);
    await request(t.url).put(`${tags}/v1.0`).set(auth).send('"1.0.1-pre"').type('json').expect(400);
    await request(t.url).put(`${tags}/release`).set(auth).send('"1.2"').type('json').expect(404);
    await request(t.url).put(`${tags}/release`).send('"1.0.1-pre"').type('json').expect(401);
    await request(t.url)
      .put(`${tags}/latest`)
      .set(auth)
      .send('"1.0.1-pre"')
      .type('json')
      .expect(200);
    await request(t.url)
      .put(`${tags}/release`)
      .set(auth)
      .send('"1.0.1-pre"')
      .type('json')
      .expect(200);
    expect((await request(t.url).get(tags).expect(200)).body).toEqual({
      latest: '1.0.1-pre',
      release: '1.0.1-pre',
    });
    expect((await request(t.url).get(`${base()}/${esc}`)).body['dist-tags']).toEqual({
      latest: '1.0.1-pre',
      release: '1.0.1-pre',
    });
    await request(t.url).delete(`${tags}/v1.0`).set(auth).expect(400);
    await request(t.url).delete(`${tags}/1.0`).set(auth).expect(400);
    await request(t.url).delete(`${tags}/dummy`).set(auth).expect(200);
    await request(t.url).delete(`${tags}/release`).set(auth).expect(200);
    expect((await request(t.url).get(tags).expect(200)).body).toEqual({ latest: '1.0.1-pre' });
    // The unescaped scoped form of the route works too.
    expect(
      (await request(t.url).get(`${base()}/-/package/@scope/test-package/dist-tags`).expect(200))
        .body,
    ).toEqual({ latest: '1.0.1-pre' });
  });

  it('searches package names (Forgejo cases) and answers whoami', async () => {
    const search = async (text: string, from: number, size: number) =>
      (await request(t.url).get(`${base()}/-/v1/search`).query({ text, from, size }).expect(200))
        .body;
    // alice has @scope/test-package only (the refused ones stored nothing).
    let r = await search('', 0, 0);
    expect([r.total, r.objects.length]).toEqual([1, 1]);
    expect(r.objects[0].package).toMatchObject({
      name: scoped,
      scope: 'scope',
      version: '1.0.1-pre',
      publisher: { username: 'alice' },
      maintainers: [{ username: 'alice' }],
    });
    r = await search('', 0, 10);
    expect([r.total, r.objects.length]).toEqual([1, 1]);
    r = await search('gitea', 0, 10);
    expect([r.total, r.objects.length]).toEqual([0, 0]);
    r = await search('test', 0, 10);
    expect([r.total, r.objects.length]).toEqual([1, 1]);
    r = await search('test', 1, 10);
    expect([r.total, r.objects.length]).toEqual([1, 0]);

    expect(
      (
        await request(t.url)
          .get(`${base()}/-/whoami`)
          .set('Authorization', `Bearer ${token}`)
          .expect(200)
      ).body,
    ).toEqual({ username: 'alice' });
    const anon = await request(t.url).get(`${base()}/-/whoami`).expect(401);
    expect(anon.body.error).toBeDefined();
    await request(t.url).get(`${base()}/-/ping`).expect(200, {});
  });

  it('logs in over the legacy CouchDB route: a new token for the right password, 401 otherwise', async () => {
    const url = `${base()}/-/user/org.couchdb.user:bob`;
    const body = {
      _id: 'org.couchdb.user:bob',
      name: 'bob',
      password: PASSWORD,
      type: 'user',
      roles: [],
      date: new Date().toISOString(),
    };
    const bad = await request(t.url)
      .put(url)
      .send({ ...body, password: 'wrong-password' })
      .expect(401);
    expect(bad.body.error).toMatch(/invalid user name or password/);
    await request(t.url).put(`${base()}/-/user/org.couchdb.user:alice`).send(body).expect(400);
    const ok = await request(t.url).put(url).send(body).expect(201);
    expect(ok.body).toMatchObject({
      ok: true,
      id: 'org.couchdb.user:bob',
      token: expect.any(String),
    });
    expect(
      (
        await request(t.url)
          .get(`${base()}/-/whoami`)
          .set('Authorization', `Bearer ${ok.body.token}`)
          .expect(200)
      ).body,
    ).toEqual({ username: 'bob' });
    await request(t.url).post(`${base()}/-/v1/login`).send({}).expect(404);
  });

  it('deprecates and undeprecates by PUTting the packument back; unknown versions are refused', async () => {
    const auth = { Authorization: `Bearer ${token}` };
    const packument = (await request(t.url).get(`${base()}/${esc}?write=true`).expect(200)).body;
    packument.versions['1.0.1-pre'].deprecated = 'use 2.x';
    await request(t.url).put(`${base()}/${esc}`).set(auth).send(packument).expect(200);
    expect(
      (await request(t.url).get(`${base()}/${esc}`)).body.versions['1.0.1-pre'].deprecated,
    ).toBe('use 2.x');
    const corgi = await request(t.url)
      .get(`${base()}/${esc}`)
      .set('Accept', 'application/vnd.npm.install-v1+json');
    expect(corgi.body.versions['1.0.1-pre'].deprecated).toBe('use 2.x');
    packument.versions['1.0.1-pre'].deprecated = '';
    await request(t.url).put(`${base()}/${esc}`).set(auth).send(packument).expect(200);
    expect(
      (await request(t.url).get(`${base()}/${esc}`)).body.versions['1.0.1-pre'].deprecated,
    ).toBeUndefined();
    packument.versions['3.0.0'] = { ...packument.versions['1.0.1-pre'], version: '3.0.0' };
    await request(t.url).put(`${base()}/${esc}`).set(auth).send(packument).expect(400);
  });

  it('unpublishes one version and then the whole package (docs/protocols/npm.md §7)', async () => {
    const auth = { Authorization: `Bearer ${token}` };
    await publish(201, scoped, '1.0.1-pre-dummy', { tags: ['next'] });
    await request(t.url).put(`${base()}/${esc}/-rev/dummy`).send({}).expect(401);
    await request(t.url).put(`${base()}/${esc}/-rev/dummy`).set(auth).send({}).expect(200);
    const file = `${base()}/${esc}/-/1.0.1-pre-dummy/test-package-1.0.1-pre-dummy.tgz/-rev/dummy`;
    await request(t.url).delete(file).expect(401);
    await request(t.url).delete(file).set(auth).expect(200);
    const p = (await request(t.url).get(`${base()}/${esc}`).expect(200)).body;
    expect(Object.keys(p.versions)).toEqual(['1.0.1-pre']);
    expect(p['dist-tags']).toEqual({ latest: '1.0.1-pre' });
    await request(t.url).delete(`${base()}/${esc}/-rev/dummy`).expect(401);
    await request(t.url).delete(`${base()}/${esc}/-rev/dummy`).set(auth).expect(200);
    await request(t.url).get(`${base()}/${esc}`).expect(404);
    // Unlike npmjs, a deleted version can be published again at once.
    await publish(201, scoped, '1.0.1-pre');
  });
});
