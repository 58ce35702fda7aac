import { createPrivateKey, createPublicKey, generateKeyPairSync, KeyObject } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import request from 'supertest';
import { Database, PackageFileEntity, PackageVersionEntity } from '@wharf/packages-core';
import { describeEachBackend } from './support/backends';
import {
  ADMIN_ENV,
  createOrg,
  createToken,
  createUser,
  PASSWORD,
} from './support/clients/accounts';
import {
  chefHeaders,
  chefTimestamp,
  bombCookbook,
  craftedCookbook,
  knifeCookbook,
  knifeShare,
  metadataJson,
  shareBody,
  SignVersion,
} from './support/clients/chef';
import { downloadCount } from './support/clients/inspect';
import { storedState } from './support/format-kit';
import { startTestApp, TestApp } from './support/test-app';

const pem = (key: KeyObject) => key.export({ type: 'spki', format: 'pem' }).toString();

/**
 * The Chef registry over HTTP (docs/protocols/chef.md §7: Forgejo's TestPackageChef, plus
 * the signed-request and hostile-archive refusals), with requests signed as knife signs
 * them and cookbooks packed as `knife supermarket share` packs them.
 */
describeEachBackend('chef registry', (backend) => {
  let t: TestApp;
  let aliceKey: KeyObject;
  let bobKey: KeyObject;
  let token: string;
  const api = (owner = 'alice') => `/api/packages/${owner}/chef/api/v1`;

  /** `knife supermarket share`, signed with protocol 1.0 over the tarball's SHA-1. */
  const share = (tarball: Buffer, owner = 'alice', user = 'alice', key = aliceKey) => {
    const path = `${api(owner)}/cookbooks`;
    const { headers, body } = knifeShare(path, user, key, tarball, 'cb.tgz');
    return request(t.url).post(path).set(headers).send(body);
  };
  /** A request signed as Chef::HTTP::Authenticator signs it (protocol 1.1 by default, 1.3 under FIPS; API version 2). */
  const signed = (
    method: 'get' | 'delete',
    path: string,
    opts: { user?: string; key?: KeyObject; version?: SignVersion; timestamp?: string } = {},
  ) =>
    request(t.url)
      [method](path)
      .set(
        chefHeaders({
          method,
          path: path.split('?')[0],
          userId: opts.user ?? 'alice',
          key: opts.key ?? aliceKey,
          version: opts.version ?? '1.1',
          timestamp: opts.timestamp,
          serverApiVersion: '2',
        }),
      );

  beforeAll(async () => {
    t = await startTestApp(backend, { ...ADMIN_ENV, REGISTRY_LIMIT_SIZE_CHEF: '1 MiB' });
    for (const user of ['alice', 'bob', 'carol']) await createUser(t.url, user);
    await createOrg(t.url, 'alice', 'acme', 'private', { bob: 'read' });
    token = await createToken(t.url, 'alice');
    const pair = generateKeyPairSync('rsa', { modulusLength: 2048 });
    aliceKey = pair.privateKey;
    await request(t.url)
      .put('/api/v1/user/chef/key')
      .auth('alice', PASSWORD)
      .send({ public_key: pem(pair.publicKey) })
      .expect(204);
    const generated = await request(t.url)
      .post('/api/v1/user/chef/key')
      .auth('bob', PASSWORD)
      .expect(201);
    expect(generated.body.private_key).toMatch(/^-----BEGIN RSA PRIVATE KEY-----/);
    bobKey = createPrivateKey(generated.body.private_key);
  });
  afterAll(() => t?.close());

  describe('the key API', () => {
    it('refuses what is no RSA public key, and a token (it cannot widen itself into a key)', async () => {
      const put = (body: object) =>
        request(t.url).put('/api/v1/user/chef/key').auth('carol', PASSWORD).send(body);
      const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey;
      const small = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey;
      const priv = aliceKey.export({ type: 'pkcs1', format: 'pem' });
      await put({ public_key: 'hello' }).expect(400);
      await put({ public_key: priv }).expect(400);
      await put({ public_key: pem(ec) }).expect(400);
      await put({ public_key: pem(small) }).expect(400);
      await put({}).expect(422); // the API's DTO validation, as for every /api/v1 body
      await request(t.url)
        .put('/api/v1/user/chef/key')
        .set('Authorization', `token ${token}`)
        .send({ public_key: pem(createPublicKey(aliceKey)) })
        .expect(403);
      await request(t.url).post('/api/v1/user/chef/key').expect(401);
      await request(t.url).delete('/api/v1/user/chef/key').auth('carol', PASSWORD).expect(404);
    });
  });

  describe('share, as knife supermarket share sends it', () => {
    it('publishes from the tarball part, signed over the file and not the body: 201 {}', async () => {
      const tarball = knifeCookbook({
        name: 'test',
        version: '1.0.1',
        description: 'Test Description',
        maintainer: 'KN4CK3R',
        dependencies: { apt: '>= 2.0' },
      });
      const res = await share(tarball).expect(201);
      expect(res.body).toEqual({});
      const em = t.app.get(Database).manager;
      const version = await em.findOneByOrFail(PackageVersionEntity, { version: '1.0.1' });
      const files = await em.findBy(PackageFileEntity, { versionId: version.id });
      expect(files.map((f) => [f.name, f.isLead])).toEqual([['1.0.1.tar.gz', true]]);
    });

    it('answers 409 in the words knife recognises for a version shared before (1.0.1 or 1.0.1 again)', async () => {
      const before = await storedState(t);
      const res = await share(knifeCookbook({ name: 'test', version: '1.0.1' })).expect(409);
      expect(res.body.error_messages[0]).toMatch(/Version (already exists|has already been taken)/);
      expect(await storedState(t)).toEqual(before);
    });

    it('takes HTTP Basic and tokens as well (Forgejo does)', async () => {
      const { body, contentType } = shareBody(
        knifeCookbook({ name: 'test', version: '1.0.2' }),
        'x',
      );
      await request(t.url)
        .post(`${api()}/cookbooks`)
        .auth('alice', PASSWORD)
        .set('Content-Type', contentType)
        .send(body)
        .expect(201);
      const other = shareBody(knifeCookbook({ name: 'test', version: '1.0.3' }), 'x');
      await request(t.url)
        .post(`${api()}/cookbooks`)
        .set('Authorization', `token ${token}`)
        .set('Content-Type', other.contentType)
        .send(other.body)
        .expect(201);
    });

    it('answers 401 to an unsigned share and 403 to a reader', async () => {
      await request(t.url).post(`${api()}/cookbooks`).send(Buffer.alloc(0)).expect(401);
      await share(knifeCookbook({ name: 'x', version: '1.0.0' }), 'acme', 'bob', bobKey).expect(
        403,
      );
    });
  });

  describe('the documents', () => {
    it('serves the universe', async () => {
      const res = await request(t.url).get(`${api()}/universe`).expect(200);
      expect(res.headers['content-type']).toMatch(/^application\/json/);
      expect(Object.keys(res.body)).toEqual(['test']);
      expect(res.body.test['1.0.1']).toEqual({
        location_type: 'opscode',
        location_path: `${t.url}${api()}`,
        download_url: `${t.url}${api()}/cookbooks/test/versions/1.0.1/download`,
        dependencies: { apt: '>= 2.0' },
      });
      await request(t.url)
        .get(`${api()}/universe`)
        .set('If-None-Match', res.headers.etag)
        .expect(304);
    });

    it.each([
      ['', 0, 0, 1, 1],
      ['', 0, 10, 1, 1],
      ['gitea', 0, 10, 0, 0],
      ['test', 0, 10, 1, 1],
      ['test', 1, 10, 1, 0],
    ])('searches q=%p start=%p items=%p (Forgejo case)', async (q, start, items, total, count) => {
      const res = await request(t.url)
        .get(`${api()}/search?q=${q}&start=${start}&items=${items}`)
        .expect(200);
      expect(res.body.total).toBe(total);
      expect(res.body.items).toHaveLength(count);
      if (count)
        expect(res.body.items[0]).toEqual({
          cookbook_name: 'test',
          cookbook_maintainer: 'Wharf Tests',
          cookbook_description: 'test cookbook',
          cookbook: `${t.url}${api()}/cookbooks/test`,
        });
    });

    it.each(['', 'RECENTLY_ADDED', 'RECENTLY_UPDATED'])('lists cookbooks, order %p', async (o) => {
      const res = await request(t.url).get(`${api()}/cookbooks?start=0&items=10&order=${o}`);
      expect(res.body).toMatchObject({ start: 0, total: 1 });
      expect(res.body.items).toHaveLength(1);
      const next = await request(t.url).get(`${api()}/cookbooks?start=1&items=10&order=${o}`);
      expect(next.body).toEqual({ start: 1, total: 1, items: [] });
    });

    it('serves the cookbook and version documents; knife writes the version with _', async () => {
      const url = (v: string) => `${t.url}${api()}/cookbooks/test/versions/${v}`;
      const cookbook = await request(t.url).get(`${api()}/cookbooks/test`).expect(200);
      expect(cookbook.body).toMatchObject({
        name: 'test',
        latest_version: url('1.0.3'),
        deprecated: false,
        versions: [url('1.0.1'), url('1.0.2'), url('1.0.3')],
      });
      const version = await request(t.url)
        .get(`${api()}/cookbooks/test/versions/1_0_1`)
        .expect(200);
      expect(version.body).toMatchObject({
        version: '1.0.1',
        cookbook: `${t.url}${api()}/cookbooks/test`,
        file: `${url('1.0.1')}/download`,
        license: 'Apache-2.0',
        dependencies: { apt: '>= 2.0' },
      });
      await request(t.url).get(`${api()}/cookbooks/nothing`).expect(404);
      await request(t.url).get(`${api()}/cookbooks/test/versions/9.9.9`).expect(404);
      const bad = await request(t.url).get(`${api()}/cookbooks/test/versions/1.0.1-beta`);
      expect(bad.status).toBe(400);
      expect(bad.body.error_messages[0]).toMatch(/invalid cookbook version/);
    });

    it('downloads the tarball (what share sent), counting each GET', async () => {
      const res = await request(t.url)
        .get(`${api()}/cookbooks/test/versions/1.0.1/download`)
        .buffer(true)
        .parse((r, cb) => {
          const chunks: Buffer[] = [];
          r.on('data', (c: Buffer) => chunks.push(c));
          r.on('end', () => cb(null, Buffer.concat(chunks)));
        })
        .expect(200);
      expect(gunzipSync(res.body as Buffer).includes(Buffer.from('test/metadata.json'))).toBe(true);
      const em = t.app.get(Database).manager;
      const version = await em.findOneByOrFail(PackageVersionEntity, { version: '1.0.1' });
      expect(await downloadCount(t, version.id)).toBe(1);
      await request(t.url).get(`${api()}/cookbooks/test/versions/1.0.9/download`).expect(404);
    });
  });

  describe('signed requests', () => {
    beforeAll(async () => {
      const { body, contentType } = shareBody(
        knifeCookbook({ name: 'secret', version: '0.1' }),
        'x',
      );
      await request(t.url)
        .post(`${api('acme')}/cookbooks`)
        .auth('alice', PASSWORD)
        .set('Content-Type', contentType)
        .send(body)
        .expect(201);
    });

    it.each(['1.0', '1.1', '1.2', '1.3'] as const)(
      'sign a reader in with version %s on a private owner',
      async (version) => {
        await request(t.url)
          .get(`${api('acme')}/universe`)
          .expect(401);
        const res = await signed('get', `${api('acme')}/universe`, {
          user: 'bob',
          key: bobKey,
          version,
        }).expect(200);
        expect(Object.keys(res.body)).toEqual(['secret']);
      },
    );

    it.each([
      ['a stale timestamp', { timestamp: chefTimestamp(new Date(Date.now() - 3600_000)) }],
      [
        'a timestamp from the future',
        { timestamp: chefTimestamp(new Date(Date.now() + 3600_000)) },
      ],
      ["another user's key", { key: aliceKey }],
      ['an unknown user', { user: 'nobody' }],
      ['a user without a key', { user: 'carol' }],
    ])('refuse %s with 401 and one Basic challenge', async (_label, opts) => {
      const res = await signed('get', `${api('acme')}/universe`, {
        user: 'bob',
        key: bobKey,
        ...opts,
      }).expect(401);
      expect(res.body.error_messages[0]).toMatch(/invalid Chef signature/);
      expect(res.headers['www-authenticate']).toBe('Basic realm="Wharf"');
    });

    it('refuse a signature made for another path or with headers changed', async () => {
      const headers = chefHeaders({
        method: 'GET',
        path: `${api('acme')}/cookbooks`,
        userId: 'bob',
        key: bobKey,
      });
      await request(t.url)
        .get(`${api('acme')}/universe`)
        .set(headers)
        .expect(401);
      await request(t.url)
        .get(`${api('acme')}/cookbooks`)
        .set({ ...headers, 'X-Ops-Sign': 'algorithm=sha1;version=1.4' })
        .expect(401);
      await request(t.url)
        .get(`${api('acme')}/cookbooks`)
        .set(headers)
        .expect(200);
    });

    it('sign in on Chef routes only: the management API ignores X-Ops headers', async () => {
      await signed('get', '/api/v1/user', { user: 'bob', key: bobKey }).expect(401);
      await signed('get', '/api/packages/acme/generic/x/1/f', { user: 'bob', key: bobKey }).expect(
        401,
      );
    });

    it('refuse a badly signed share, storing nothing', async () => {
      const before = await storedState(t);
      const tarball = knifeCookbook({ name: 'forged', version: '1.0.0' });
      await share(tarball, 'alice', 'alice', bobKey).expect(401);
      const path = `${api()}/cookbooks`;
      const { headers, body } = knifeShare(path, 'alice', aliceKey, tarball);
      headers['X-Ops-Timestamp'] = chefTimestamp(new Date(Date.now() - 20 * 60_000));
      await request(t.url).post(path).set(headers).send(body).expect(401);
      expect(await storedState(t)).toEqual(before);
    });
  });

  describe('refused cookbooks store nothing', () => {
    const meta = (name = 'evil') => metadataJson({ name, version: '1.0.0' });
    it.each([
      [
        'a ../ entry',
        async () =>
          craftedCookbook([
            { name: 'evil/metadata.json', body: meta() },
            { name: 'evil/../../x', body: 'x' },
          ]),
        400,
        /"\.\."/,
      ],
      [
        'a symbolic link',
        async () =>
          craftedCookbook([
            { name: 'evil/metadata.json', body: meta() },
            { name: 'evil/l', type: 'symlink', linkname: '/etc/shadow' },
          ]),
        400,
        /link/,
      ],
      [
        'no metadata.json',
        async () => craftedCookbook([{ name: 'evil/metadata.rb', body: "name 'evil'" }]),
        400,
        /metadata.json file is missing/,
      ],
      [
        'a hostile name in metadata.json',
        async () => craftedCookbook([{ name: 'evil/metadata.json', body: meta('../evil') }]),
        400,
        /invalid cookbook name/,
      ],
      ['a bomb', () => bombCookbook(600 * 1024 * 1024), 413, /unpacks to more than/],
      ['no gzip', async () => Buffer.from('plain text, no tarball'), 400, /./],
      ['an empty tarball part', async () => Buffer.alloc(0), 400, /empty/],
    ] as const)('%s', async (_label, build, status, message) => {
      const before = await storedState(t);
      const res = await share(await build());
      expect(res.status).toBe(status);
      expect(res.body.error_messages[0]).toMatch(message);
      expect(await storedState(t)).toEqual(before);
    });

    it('a form whose file part is not named tarball, or no form at all', async () => {
      const before = await storedState(t);
      const tarball = knifeCookbook({ name: 'other', version: '1.0.0' });
      const { body, contentType } = shareBody(tarball, 'x', 'Other', 'file');
      await request(t.url)
        .post(`${api()}/cookbooks`)
        .auth('alice', PASSWORD)
        .set('Content-Type', contentType)
        .send(body)
        .expect(400);
      await request(t.url)
        .post(`${api()}/cookbooks`)
        .auth('alice', PASSWORD)
        .set('Content-Type', 'application/gzip')
        .send(tarball)
        .expect(400);
      expect(await storedState(t)).toEqual(before);
    });
  });

  describe('unshare', () => {
    it('deletes one version: 401 unsigned, 403 for a reader, 200 for the owner', async () => {
      await request(t.url).delete(`${api()}/cookbooks/test/versions/1.0.2`).expect(401);
      await signed('delete', `${api('acme')}/cookbooks/secret/versions/0.1`, {
        user: 'bob',
        key: bobKey,
      }).expect(403);
      const res = await signed('delete', `${api()}/cookbooks/test/versions/1.0.2`).expect(200);
      expect(res.text).toBe('');
      await request(t.url).get(`${api()}/cookbooks/test/versions/1.0.2`).expect(404);
      await signed('delete', `${api()}/cookbooks/test/versions/1.0.2`).expect(404);
    });

    it('deletes every version of a cookbook', async () => {
      await request(t.url).delete(`${api()}/cookbooks/test`).expect(401);
      await signed('delete', `${api()}/cookbooks/test`).expect(200);
      await request(t.url).get(`${api()}/cookbooks/test`).expect(404);
      expect((await request(t.url).get(`${api()}/universe`).expect(200)).body).toEqual({});
      await signed('delete', `${api()}/cookbooks/test`).expect(404);
    });

    it('a removed key signs nothing any more', async () => {
      await request(t.url).delete('/api/v1/user/chef/key').auth('bob', PASSWORD).expect(204);
      await signed('get', `${api('acme')}/universe`, { user: 'bob', key: bobKey }).expect(401);
    });
  });
});
