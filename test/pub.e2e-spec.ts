import { createHash } from 'node:crypto';
import request from 'supertest';
import { describeEachBackend } from './support/backends';
import { ADMIN_ENV, createToken, createUser, PASSWORD } from './support/clients/accounts';
import { binary } from './support/clients/container';
import { downloadCount, storedCounts } from './support/clients/inspect';
import { buildPubArchive, pubPackage } from './support/clients/pub';
import { gzipTarBomb } from './support/clients/vagrant';
import { startTestApp, TestApp } from './support/test-app';

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const PUB_JSON = 'application/vnd.pub.v2+json';

/**
 * The hosted pub repository v2 over HTTP, played as `dart pub` plays it
 * (docs/protocols/pub.md §7). The requests and the reading of the answers follow
 * dart-lang/pub lib/src/command/lish.dart (`_publish`: GET versions/new with
 * `Accept: application/vnd.pub.v2+json`, `url` a string and `fields` a map of strings, a
 * multipart POST of `file` named package.tar.gz without following redirects, the
 * `Location` header fetched with the same headers and its `success.message` shown;
 * errors' `error.message` shown) and lib/src/source/hosted.dart (the version listing:
 * `versions[].version`, `archive_url`, `archive_sha256`, `pubspec`). lish.dart was read at
 * dart-lang/pub 003f111c; that old revision resolves `/api/packages/versions/new` against
 * the server root, the Dart 2.15+ clients that hosted URLs with a path need resolve it
 * under the hosted URL, as played here. The token is sent as `dart pub token add` stores
 * it, `Authorization: Bearer`.
 */
describeEachBackend('pub registry', (backend) => {
  let t: TestApp;
  let token: string;
  const hosted = (owner = 'alice') => `${t.url}/api/packages/${owner}/pub`;

  /** One request to an absolute URL as pub's http client sends it. */
  const pub = (method: 'get' | 'post', url: string, auth: string | null = `Bearer ${token}`) => {
    const u = new URL(url);
    const req = request(u.origin)
      [method](u.pathname + u.search)
      .set('Accept', PUB_JSON);
    return auth ? req.set('Authorization', auth) : req;
  };

  /** `dart pub publish`: the three steps of lish.dart; returns the last answer. */
  const publish = async (archive: Buffer, owner = 'alice') => {
    const start = await pub('get', `${hosted(owner)}/api/packages/versions/new`).expect(200);
    expect(start.headers['content-type']).toMatch(/^application\/vnd\.pub\.v2\+json/);
    expect(typeof start.body.url).toBe('string');
    const form = pub('post', start.body.url as string);
    for (const [k, v] of Object.entries(start.body.fields as Record<string, string>))
      void form.field(k, v);
    const upload = await form.attach('file', archive, 'package.tar.gz').redirects(0);
    if (upload.status !== 204) return upload;
    const location = upload.headers.location as string;
    expect(location).toBeTruthy();
    return pub('get', location);
  };

  const errorOf = (res: request.Response) => {
    expect(res.headers['content-type']).toMatch(/^application\/vnd\.pub\.v2\+json/);
    expect(Object.keys(res.body as object)).toEqual(['error']);
    expect(typeof res.body.error.code).toBe('string');
    return res.body.error.message as string;
  };

  beforeAll(async () => {
    t = await startTestApp(backend, { ...ADMIN_ENV, REGISTRY_LIMIT_SIZE_PUB: '16 MiB' });
    await createUser(t.url, 'alice');
    await createUser(t.url, 'bob');
    token = await createToken(t.url, 'alice');
  });
  afterAll(async () => t?.close());

  it('publishes in three steps (versions/new, 204 + Location, finalize), then 409 for the same version', async () => {
    const anonymous = await pub('get', `${hosted()}/api/packages/versions/new`, null).expect(401);
    expect(errorOf(anonymous)).toBeTruthy();
    expect(anonymous.headers['www-authenticate']).toMatch(/^Bearer realm="pub"/);

    const start = await pub('get', `${hosted()}/api/packages/versions/new`).expect(200);
    expect(start.body).toEqual({ url: `${hosted()}/api/packages/versions/new/upload`, fields: {} });

    const archive = pubPackage('test_package', '1.0.1');
    const upload = await pub('post', start.body.url as string)
      .attach('file', archive, 'package.tar.gz')
      .redirects(0)
      .expect(204);
    expect(upload.headers.location).toBe(
      `${hosted()}/api/packages/versions/new/finalize/test_package/1.0.1`,
    );
    const done = await pub('get', upload.headers.location as string).expect(200);
    expect(done.headers['content-type']).toMatch(/^application\/vnd\.pub\.v2\+json/);
    expect(typeof done.body.success.message).toBe('string');

    const again = await publish(archive);
    expect(again.status).toBe(409);
    expect(errorOf(again)).toMatch(/exist/);
    await pub('get', `${hosted()}/api/packages/versions/new/finalize/test_package/9.9.9`).expect(
      404,
    );
  });

  it('lists versions as dart pub get reads them: ascending, latest the highest release, archive sha256 checked, downloads counted', async () => {
    const archives: Record<string, Buffer> = {};
    for (const v of ['1.2.0', '1.10.0', '2.0.0-beta.1', '1.9.0']) {
      archives[v] = pubPackage('listed', v, 'homepage: https://example.com\n');
      expect((await publish(archives[v])).status).toBe(200);
    }
    const listing = await pub('get', `${hosted()}/api/packages/listed`).expect(200);
    expect(listing.headers['content-type']).toMatch(/^application\/vnd\.pub\.v2\+json/);
    expect(listing.body.name).toBe('listed');
    expect(listing.body.versions.map((v: { version: string }) => v.version)).toEqual([
      '1.2.0',
      '1.9.0',
      '1.10.0',
      '2.0.0-beta.1',
    ]);
    expect(listing.body.latest.version).toBe('1.10.0');
    const latest = listing.body.latest;
    expect(latest).toEqual(listing.body.versions[2]);
    expect(latest.pubspec).toEqual({
      name: 'listed',
      version: '1.10.0',
      description: 'Test Description',
      environment: { sdk: '>=3.0.0 <4.0.0' },
      homepage: 'https://example.com',
    });
    expect(new Date(latest.published as string).getTime()).not.toBeNaN();
    expect(latest.archive_url).toBe(`${hosted()}/api/packages/listed/files/1.10.0.tar.gz`);
    await pub('get', `${hosted()}/api/packages/listed`)
      .set('If-None-Match', listing.headers.etag as string)
      .expect(304);

    // hosted.dart downloads archive_url (token only under the hosted URL) and checks archive_sha256.
    const got = await pub('get', latest.archive_url as string)
      .buffer(true)
      .parse(binary)
      .expect(200);
    expect(Buffer.compare(got.body as Buffer, archives['1.10.0'])).toBe(0);
    expect(sha256(got.body as Buffer)).toBe(latest.archive_sha256);
    const id = Number(
      (
        await request(t.url)
          .get('/api/v1/packages/alice/pub/listed/1.10.0')
          .auth('alice', PASSWORD)
          .expect(200)
      ).body.id,
    );
    expect(await downloadCount(t, id)).toBe(1);

    const one = await pub('get', `${hosted()}/api/packages/listed/1.9.0`).expect(200);
    expect(one.body).toEqual(listing.body.versions[1]);
    // Anonymous reads of a public owner; names looked up without regard to case is Forgejo's, but pub names are lower case.
    await pub('get', `${hosted()}/api/packages/listed`, null).expect(200);
    expect(errorOf(await pub('get', `${hosted()}/api/packages/nothing`).expect(404))).toMatch(
      /not found/,
    );
    await pub('get', `${hosted()}/api/packages/listed/3.0.0`).expect(404);
    await pub('get', `${hosted()}/api/packages/listed/files/3.0.0.tar.gz`).expect(404);
  });

  it('refuses bad archives in pub’s error shape and stores nothing', async () => {
    const before = await storedCounts(t);
    const refusals: [Buffer, number, RegExp][] = [
      [buildPubArchive({ 'lib/a.dart': '' }), 400, /pubspec file is missing/i],
      // `dart pub publish` puts pubspec.yaml at the root; a top folder is not a package.
      [buildPubArchive({ 'pkg/pubspec.yaml': 'name: a\nversion: 1.0.0\n' }), 400, /missing/i],
      [pubPackage('Bad-Name', '1.0.0'), 400, /package name/],
      [pubPackage('class', '1.0.0'), 400, /reserved word/],
      [pubPackage('fine', '1.0'), 400, /package version/],
      [pubPackage('fine', 'v1.0.0'), 400, /package version/],
      [buildPubArchive({ 'pubspec.yaml': 'name: [unclosed\n' }), 400, /not valid YAML/],
      [buildPubArchive({ 'pubspec.yaml': `${'a: {'.repeat(100)}` }), 400, /nested|YAML/],
      [buildPubArchive({ 'pubspec.yaml': '- just\n- a list\n' }), 400, /mapping/],
      [Buffer.from('not a gzip'), 400, /./],
      [gzipTarBomb(512 * 1024 * 1024, 'lib/zeros.dart'), 413, /./],
    ];
    for (const [archive, status, message] of refusals) {
      const res = await publish(archive);
      expect([res.status, errorOf(res)]).toEqual([status, expect.stringMatching(message)]);
    }
    const noFile = await pub('post', `${hosted()}/api/packages/versions/new/upload`)
      .field('other', 'x')
      .redirects(0);
    expect(noFile.status).toBe(400);
    errorOf(noFile);
    expect(await storedCounts(t)).toEqual(before);
  });

  it('checks names and versions in every path; needs write on the owner to publish', async () => {
    for (const path of [
      'api/packages/Bad-Name',
      'api/packages/class',
      'api/packages/ok/1.0',
      'api/packages/ok/files/1.0.tar.gz',
      'api/packages/ok/files/1.0.0.zip',
      'api/packages/versions/new/finalize/ok/v1',
    ])
      expect(errorOf(await pub('get', `${hosted()}/${path}`).expect(400))).toBeTruthy();
    const bob = await createToken(t.url, 'bob');
    const denied = await pub('get', `${hosted()}/api/packages/versions/new`, `Bearer ${bob}`);
    expect(denied.status).toBe(403);
    errorOf(denied);
    // alice's token on bob's hosted URL: the first step already refuses.
    const elsewhere = await pub('get', `${hosted('bob')}/api/packages/versions/new`);
    expect(elsewhere.status).toBe(403);
  });
});
