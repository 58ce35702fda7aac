import request from 'supertest';
import { describeEachBackend } from './support/backends';
import { ADMIN_ENV, createToken, createUser, PASSWORD } from './support/clients/accounts';
import { binary } from './support/clients/container';
import {
  conanfile,
  conanTgz,
  manifest,
  md5,
  packageFiles,
  recipeFiles,
  sha1,
} from './support/clients/conan';
import { storedCounts } from './support/clients/inspect';
import { startTestApp, TestApp } from './support/test-app';

interface Ref {
  name: string;
  version: string;
  user?: string;
  channel?: string;
}

/**
 * The Conan remote over HTTP, driven as Conan 2 drives it (conans/client/rest/rest_client_v2.py:
 * `v1/ping`, `users/authenticate` with Basic, then Bearer; upload checks the revision list,
 * then PUTs the files sorted by name with `X-Checksum-Sha1`; install reads `latest`, the
 * file list and each file), plus the v1 API of Conan 1 and Forgejo's TestPackageConan.
 */
describeEachBackend('conan remote', (backend) => {
  let t: TestApp;
  let jwt: string;
  const api = (owner = 'alice') => `/api/packages/${owner}/conan`;
  const refPath = (r: Ref, owner = 'alice') =>
    `${api(owner)}/v2/conans/${r.name}/${r.version}/${r.user ?? '_'}/${r.channel ?? '_'}`;
  const bearer = (token = jwt) => ({ Authorization: `Bearer ${token}` });

  const putFile = (url: string, body: Buffer, token = jwt) =>
    request(t.url)
      .put(url)
      .set(bearer(token))
      .set('X-Checksum-Sha1', sha1(body))
      .set('Content-Type', 'application/octet-stream')
      .send(body);

  /** `conan upload`: ask whether the revision is there, then PUT each file, sorted by name. */
  async function uploadRecipe(
    r: Ref,
    files: Record<string, Buffer>,
    rrev: string,
    owner = 'alice',
  ) {
    await request(t.url)
      .get(`${refPath(r, owner)}/revisions`)
      .set(bearer())
      .expect(404);
    for (const name of Object.keys(files).sort())
      await putFile(`${refPath(r, owner)}/revisions/${rrev}/files/${name}`, files[name]).expect(
        201,
      );
  }

  async function uploadPackage(
    r: Ref,
    rrev: string,
    pkg: { files: Record<string, Buffer>; revision: string; packageId: string },
  ) {
    const base = `${refPath(r)}/revisions/${rrev}/packages/${pkg.packageId}`;
    await request(t.url).get(`${base}/revisions`).set(bearer()).expect(404);
    for (const name of Object.keys(pkg.files).sort())
      await putFile(`${base}/revisions/${pkg.revision}/files/${name}`, pkg.files[name]).expect(201);
  }

  const getJson = async (path: string, status = 200) => {
    const res = await request(t.url).get(path).set(bearer()).expect(status);
    // Conan 2 refuses any other content type (RestV2Methods._get_json), errors included.
    expect(res.headers['content-type']).toMatch(/^application\/json(; charset=utf-8)?$/);
    return res.body as Record<string, unknown>;
  };

  beforeAll(async () => {
    t = await startTestApp(backend, { ...ADMIN_ENV, REGISTRY_LIMIT_SIZE_CONAN: '8 MiB' });
    await createUser(t.url, 'alice');
    await createUser(t.url, 'bob');
    const res = await request(t.url)
      .get(`${api()}/v2/users/authenticate`)
      .auth('alice', PASSWORD)
      .expect(200);
    jwt = res.text;
  });
  afterAll(async () => t?.close());

  it('answers ping on v1 and v2 with the revisions capability', async () => {
    for (const v of ['v1', 'v2']) {
      const res = await request(t.url).get(`${api()}/${v}/ping`).expect(200);
      expect(res.headers['x-conan-server-capabilities']).toBe('revisions');
    }
  });

  it('exchanges Basic credentials for a token Conan sends as Bearer, and checks it', async () => {
    const res = await request(t.url)
      .get(`${api()}/v1/users/authenticate`)
      .auth('alice', PASSWORD)
      .expect(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain/);
    expect(res.text).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
    const check = await request(t.url)
      .get(`${api()}/v2/users/check_credentials`)
      .set(bearer(res.text))
      .expect(200);
    expect(check.text).toBe('alice');
    // An access token as the password works as well, and Conan's token carries its scope.
    const pat = await createToken(t.url, 'alice', ['read:package']);
    const readOnly = await request(t.url)
      .get(`${api()}/v2/users/authenticate`)
      .auth('alice', pat)
      .expect(200);
    const denied = await putFile(
      `${refPath({ name: 'scoped', version: '1.0' })}/revisions/abc/files/conanfile.py`,
      Buffer.from(conanfile('scoped', '1.0')),
      readOnly.text,
    ).expect(403);
    expect(denied.body.message).toMatch(/write:package/);
  });

  it('refuses anonymous sign-in, wrong passwords, forged and revoked tokens, and the token off the Conan routes', async () => {
    const anon = await request(t.url).get(`${api()}/v2/users/authenticate`).expect(401);
    expect(anon.headers['www-authenticate']).toBe('Basic realm="Wharf"');
    expect(anon.body).toEqual({ message: expect.any(String) });
    await request(t.url).get(`${api()}/v2/users/check_credentials`).expect(401);
    await request(t.url).get(`${api()}/v2/users/authenticate`).auth('alice', 'wrong').expect(401);
    const [h, p] = jwt.split('.');
    await request(t.url)
      .get(`${api()}/v2/users/check_credentials`)
      .set(bearer(`${h}.${p}.AAAA`))
      .expect(401);
    // Elsewhere in Wharf the Conan token is no credential.
    await request(t.url).get('/api/packages/alice/generic/x/1.0/x.bin').set(bearer()).expect(401);
    // A token exchanged for an access token dies with it.
    const pat = await createToken(t.url, 'alice');
    const derived = (
      await request(t.url).get(`${api()}/v2/users/authenticate`).auth('alice', pat).expect(200)
    ).text;
    await request(t.url)
      .get(`${api()}/v2/users/check_credentials`)
      .set(bearer(derived))
      .expect(200);
    const tokens = await request(t.url).get('/api/v1/users/alice/tokens').auth('alice', PASSWORD);
    const id = (tokens.body as { id: number; token_last_eight: string }[]).find(
      (tk) => tk.token_last_eight === pat.slice(-8),
    )!.id;
    await request(t.url)
      .delete(`/api/v1/users/alice/tokens/${id}`)
      .auth('alice', PASSWORD)
      .expect(204);
    await request(t.url)
      .get(`${api()}/v2/users/check_credentials`)
      .set(bearer(derived))
      .expect(401);
  });

  it('takes a recipe and a package as conan upload sends them, and serves them as conan install reads them', async () => {
    const ref = { name: 'hello', version: '1.0', user: 'gitea', channel: 'final' };
    const recipe = await recipeFiles('hello', '1.0');
    await uploadRecipe(ref, recipe.files, recipe.revision);
    const pkg = await packageFiles('hello');
    await uploadPackage(ref, recipe.revision, pkg);

    // conan install: latest recipe revision, its file list, each file.
    const latest = await getJson(`${refPath(ref)}/latest`);
    expect(latest).toEqual({
      revision: recipe.revision,
      time: expect.stringMatching(/^\d{4}-.*\+00:00$/),
    });
    const rrevBase = `${refPath(ref)}/revisions/${recipe.revision}`;
    expect(await getJson(`${rrevBase}/files`)).toEqual({
      files: { 'conan_export.tgz': {}, 'conanfile.py': {}, 'conanmanifest.txt': {} },
    });
    for (const [name, bytes] of Object.entries(recipe.files)) {
      const res = await request(t.url)
        .get(`${rrevBase}/files/${name}`)
        .set(bearer())
        .buffer(true)
        .parse(binary)
        .expect(200);
      expect(Buffer.compare(res.body as Buffer, bytes)).toBe(0);
    }
    const pkgBase = `${rrevBase}/packages/${pkg.packageId}`;
    expect(await getJson(`${pkgBase}/latest`)).toEqual({
      revision: pkg.revision,
      time: expect.any(String),
    });
    expect(await getJson(`${pkgBase}/revisions`)).toEqual({
      revisions: [{ revision: pkg.revision, time: expect.any(String) }],
    });
    expect(
      Object.keys(
        (await getJson(`${pkgBase}/revisions/${pkg.revision}/files`)).files as object,
      ).sort(),
    ).toEqual(['conan_package.tgz', 'conaninfo.txt', 'conanmanifest.txt']);
    const tgz = await request(t.url)
      .get(`${pkgBase}/revisions/${pkg.revision}/files/conan_package.tgz`)
      .buffer(true)
      .parse(binary)
      .expect(200);
    expect(Buffer.compare(tgz.body as Buffer, pkg.files['conan_package.tgz'])).toBe(0);
    expect(tgz.headers['x-checksum-sha1']).toBe(sha1(pkg.files['conan_package.tgz']));

    // Package search, with the latest and with a named recipe revision: the raw conaninfo for Conan 2.
    for (const path of [`${refPath(ref)}/search`, `${rrevBase}/search`]) {
      const found = await getJson(path);
      expect(Object.keys(found)).toEqual([pkg.packageId]);
      expect(found[pkg.packageId]).toMatchObject({
        content: pkg.files['conaninfo.txt'].toString(),
        settings: { arch: 'x86_64', os: 'Linux' },
        options: { shared: 'False' },
        recipe_hash: '',
      });
    }
    // conan upload again: both revisions are found, so nothing is sent.
    expect(await getJson(`${refPath(ref)}/revisions`)).toEqual({
      revisions: [{ revision: recipe.revision, time: latest.time }],
    });
  });

  it('lists revisions newest first and names the last uploaded one latest', async () => {
    const ref = { name: 'revs', version: '2.0' };
    const first = await recipeFiles('revs', '2.0');
    await uploadRecipe(ref, first.files, first.revision);
    const second = await recipeFiles('revs', '2.0', '    # changed');
    for (const name of Object.keys(second.files).sort())
      await putFile(
        `${refPath(ref)}/revisions/${second.revision}/files/${name}`,
        second.files[name],
      ).expect(201);
    const revisions = (await getJson(`${refPath(ref)}/revisions`)).revisions as {
      revision: string;
    }[];
    expect(revisions.map((r) => r.revision)).toEqual([second.revision, first.revision]);
    expect((await getJson(`${refPath(ref)}/latest`)).revision).toBe(second.revision);
    // The same file again is no change: 201 and still one file.
    await putFile(
      `${refPath(ref)}/revisions/${first.revision}/files/conanfile.py`,
      first.files['conanfile.py'],
    ).expect(201);
    expect((await getJson(`${refPath(ref)}/revisions`)).revisions).toHaveLength(2);
  });

  it("searches recipes with Forgejo's patterns (name, version, user and channel, * wildcards)", async () => {
    const refs: Ref[] = [
      { name: 'ConanPackage', version: '1.2', user: 'dummy', channel: 'test' },
      { name: 'ConanPackage', version: '1.2', user: 'dummy', channel: 'final' },
      { name: 'ConanPackage', version: '1.2', user: 'gitea', channel: 'test' },
      { name: 'ConanPackage', version: '1.2', user: 'gitea', channel: 'final' },
      { name: 'ConanPackage', version: '1.3', user: 'dummy', channel: 'final' },
    ];
    for (const r of refs) {
      const rec = await recipeFiles(r.name, r.version, `    # ${r.user}/${r.channel}`);
      for (const name of Object.keys(rec.files).sort())
        await putFile(
          `${refPath(r)}/revisions/${rec.revision}/files/${name}`,
          rec.files[name],
        ).expect(201);
    }
    const search = async (q: string) =>
      (
        (await getJson(`${api()}/v2/conans/search?q=${encodeURIComponent(q)}`)).results as string[]
      ).filter((r) => r.startsWith('ConanPackage/'));
    const all = refs.map((r) => `${r.name}/${r.version}@${r.user}/${r.channel}`).sort();
    for (const q of [
      'ConanPackage',
      'Conan*',
      'ConanPackage/',
      'ConanPackage/*',
      'ConanPackage/1*',
      'conanpackage',
    ])
      expect(await search(q)).toEqual(all);
    for (const q of [
      'ConanPackage/1.2',
      'ConanPackage/*2',
      'ConanPackage/1*2',
      'ConanPackage/1.2@',
    ])
      expect(await search(q)).toEqual(all.filter((r) => r.includes('/1.2@')));
    expect(await search('ConanPackage/1.1')).toEqual([]);
    expect(await search('ConanPackage/1.2@du*')).toEqual([
      'ConanPackage/1.2@dummy/final',
      'ConanPackage/1.2@dummy/test',
    ]);
    expect(await search('ConanPackage/1.2@du*/*test')).toEqual(['ConanPackage/1.2@dummy/test']);
    expect(await search('*/*@dummy')).toHaveLength(3);
    expect(await search('*/*@*/final')).toHaveLength(3);
    // Version ranges: Conan searches `name/*` and filters itself.
    const v1 = await getJson(`${api()}/v1/conans/search?q=hello/*`);
    expect(v1.results).toEqual(['hello/1.0@gitea/final']);
  });

  it('serves the v1 API of Conan 1: upload URLs, revision 0, snapshots, digests, search and deletes', async () => {
    const v1 = `${api()}/v1/conans/legacy/1.0/_/_`;
    await request(t.url).get(v1).set(bearer()).expect(404);
    await request(t.url).get(`${v1}/digest`).set(bearer()).expect(404);
    const py = Buffer.from(conanfile('legacy', '1.0'));
    await request(t.url).post(`${v1}/upload_urls`).send({ 'conanfile.py': py.length }).expect(401);
    const urls = await request(t.url)
      .post(`${v1}/upload_urls`)
      .set(bearer())
      .send({ 'conanfile.py': py.length, 'removed.txt': 0 })
      .expect(200);
    const fileUrl = `${t.url}${api()}/v1/files/legacy/1.0/_/_/0/recipe/conanfile.py`;
    expect(urls.body).toEqual({ 'conanfile.py': fileUrl });
    await putFile(new URL(fileUrl).pathname, py).expect(201);
    expect(await getJson(v1)).toEqual({ 'conanfile.py': md5(py) });
    expect(await getJson(`${v1}/digest`)).toEqual({ 'conanfile.py': fileUrl });
    expect(await getJson(`${v1}/download_urls`)).toEqual({ 'conanfile.py': fileUrl });
    const info = Buffer.from('[settings]\n    os=Windows\n');
    const pkgUrls = await request(t.url)
      .post(`${v1}/packages/dummyreference/upload_urls`)
      .set(bearer())
      .send({ 'conaninfo.txt': info.length })
      .expect(200);
    await putFile(new URL(pkgUrls.body['conaninfo.txt'] as string).pathname, info).expect(201);
    expect(await getJson(`${v1}/packages/dummyreference`)).toEqual({ 'conaninfo.txt': md5(info) });
    const found = await getJson(`${v1}/search`);
    expect(found.dummyreference).toMatchObject({ settings: { os: 'Windows' } });
    const dl = await request(t.url)
      .get(new URL(fileUrl).pathname)
      .buffer(true)
      .parse(binary)
      .expect(200);
    expect((dl.body as Buffer).toString()).toBe(py.toString());

    await request(t.url).post(`${v1}/packages/delete`).send({ package_ids: [] }).expect(401);
    await request(t.url)
      .post(`${v1}/packages/delete`)
      .set(bearer())
      .send({ package_ids: ['nosuchpackage'] })
      .expect(404);
    await request(t.url)
      .post(`${v1}/packages/delete`)
      .set(bearer())
      .send({ package_ids: [] })
      .expect(200);
    await request(t.url).get(`${v1}/packages/dummyreference`).set(bearer()).expect(404);
    await request(t.url).delete(v1).expect(401);
    await request(t.url).delete(v1).set(bearer()).expect(200);
    await request(t.url).get(v1).set(bearer()).expect(404);
  });

  it('deletes a package revision, a package, the packages of a revision, a recipe revision and the recipe', async () => {
    const ref = { name: 'gone', version: '1.0', user: 'dummy', channel: 'test' };
    const r1 = await recipeFiles('gone', '1.0');
    await uploadRecipe(ref, r1.files, r1.revision);
    const linux = await packageFiles('gone', 'Linux');
    const windows = await packageFiles('gone', 'Windows');
    await uploadPackage(ref, r1.revision, linux);
    await uploadPackage(ref, r1.revision, windows);
    const r2 = await recipeFiles('gone', '1.0', '    # two');
    for (const name of Object.keys(r2.files).sort())
      await putFile(
        `${refPath(ref)}/revisions/${r2.revision}/files/${name}`,
        r2.files[name],
      ).expect(201);
    await uploadPackage(ref, r2.revision, linux);
    const rrev1 = `${refPath(ref)}/revisions/${r1.revision}`;

    await request(t.url)
      .delete(`${rrev1}/packages/${linux.packageId}/revisions/${linux.revision}`)
      .expect(401);
    await request(t.url)
      .delete(`${rrev1}/packages/${linux.packageId}/revisions/${linux.revision}`)
      .set(bearer())
      .expect(200);
    await getJson(`${rrev1}/packages/${linux.packageId}/latest`, 404);
    await request(t.url).delete(`${rrev1}/packages/${windows.packageId}`).set(bearer()).expect(200);
    expect(await getJson(`${rrev1}/search`)).toEqual({});
    await request(t.url).delete(`${rrev1}/packages`).set(bearer()).expect(404);
    await request(t.url)
      .delete(`${refPath(ref)}/revisions/${r2.revision}/packages`)
      .set(bearer())
      .expect(200);
    await request(t.url).delete(rrev1).set(bearer()).expect(200);
    expect(((await getJson(`${refPath(ref)}/revisions`)).revisions as unknown[]).length).toBe(1);
    await request(t.url).delete(refPath(ref)).set(bearer()).expect(200);
    await getJson(`${refPath(ref)}/revisions`, 404);
    await request(t.url).delete(refPath(ref)).set(bearer()).expect(404);
  });

  it('refuses bad coordinates, unknown files, unsafe archives and missing revisions, storing nothing', async () => {
    const rrev = 'a'.repeat(32);
    const py = Buffer.from(conanfile('bad', '1.0'));
    const base = refPath({ name: 'fine', version: '1.0' });
    const safeTgz = await conanTgz([{ name: 'CMakeLists.txt', body: 'x' }]);
    const cases: [string, string, Buffer, RegExp][] = [
      [
        'name of one character',
        `${refPath({ name: 'x', version: '1.0' })}/revisions/${rrev}/files/conanfile.py`,
        py,
        /invalid recipe name/,
      ],
      [
        'name with a space',
        `${refPath({ name: 'my%20lib', version: '1.0' })}/revisions/${rrev}/files/conanfile.py`,
        py,
        /invalid recipe name/,
      ],
      [
        'version with ..',
        `${refPath({ name: 'fine', version: '..' })}/revisions/${rrev}/files/conanfile.py`,
        py,
        /invalid recipe version/,
      ],
      [
        'version with %2F',
        `${refPath({ name: 'fine', version: '1%2F0' })}/revisions/${rrev}/files/conanfile.py`,
        py,
        /invalid recipe version/,
      ],
      [
        'user without channel',
        `${refPath({ name: 'fine', version: '1.0', user: 'gitea' })}/revisions/${rrev}/files/conanfile.py`,
        py,
        /both user and channel/,
      ],
      [
        'bad channel',
        `${refPath({ name: 'fine', version: '1.0', user: 'gitea', channel: '-x' })}/revisions/${rrev}/files/conanfile.py`,
        py,
        /invalid recipe channel/,
      ],
      [
        'bad revision',
        `${base}/revisions/not-a-hash/files/conanfile.py`,
        py,
        /invalid recipe revision/,
      ],
      [
        'file outside the set',
        `${base}/revisions/${rrev}/files/install.sh`,
        py,
        /a recipe holds only/,
      ],
      [
        'package file in a recipe',
        `${base}/revisions/${rrev}/files/conaninfo.txt`,
        py,
        /a recipe holds only/,
      ],
      [
        'metadata file',
        `${base}/revisions/${rrev}/files/metadata/sign/x.sig`,
        py,
        /metadata files/,
      ],
      [
        'tgz with ../',
        `${base}/revisions/${rrev}/files/conan_export.tgz`,
        await conanTgz([{ name: '../../etc/evil', body: 'x' }]),
        /\.\./,
      ],
      [
        'tgz with an absolute name',
        `${base}/revisions/${rrev}/files/conan_sources.tgz`,
        await conanTgz([{ name: '/etc/evil', body: 'x' }]),
        /absolute|\//,
      ],
      [
        'tgz with a link out',
        `${base}/revisions/${rrev}/files/conan_export.tgz`,
        await conanTgz([{ name: 'lib/x.so', link: '../../../etc/passwd' }]),
        /link|outside|\.\./,
      ],
      [
        'tgz that is no gzip',
        `${base}/revisions/${rrev}/files/conan_export.tgz`,
        Buffer.from('plain text'),
        /conan_export\.tgz/,
      ],
      [
        'manifest with ../',
        `${base}/revisions/${rrev}/files/conanmanifest.txt`,
        Buffer.from(manifest({ '../x': 'y' })),
        /not a path inside/,
      ],
      [
        'manifest without timestamp',
        `${base}/revisions/${rrev}/files/conanmanifest.txt`,
        Buffer.from('conanfile.py: 0123\n'),
        /timestamp/,
      ],
    ];
    await putFile(`${base}/revisions/${rrev}/files/conan_export.tgz`, safeTgz).expect(201);
    const before = await storedCounts(t);
    for (const [label, path, body, message] of cases) {
      const res = await putFile(path, body);
      expect([label, res.status]).toEqual([label, 400]);
      expect([label, res.body.message]).toEqual([label, expect.stringMatching(message)]);
      expect(res.headers['content-type']).toMatch(/^application\/json/);
    }
    // A body that is not what its X-Checksum-Sha1 says.
    const cut = await request(t.url)
      .put(`${base}/revisions/${rrev}/files/conanfile.py`)
      .set(bearer())
      .set('X-Checksum-Sha1', sha1('something else'))
      .send(py)
      .expect(400);
    expect(cut.body.message).toMatch(/X-Checksum-Sha1/);
    // conaninfo.txt with text before its first section.
    const pkgBase = `${base}/revisions/${rrev}/packages/${'b'.repeat(40)}/revisions/${'c'.repeat(32)}/files`;
    const info = await putFile(
      `${pkgBase}/conaninfo.txt`,
      Buffer.from('os=Linux\n[settings]\n'),
    ).expect(400);
    expect(info.body.message).toMatch(/before the first \[section\]/);
    // Revisions that do not exist: a package of a recipe revision never uploaded, reads and deletes.
    const missing = `${base}/revisions/${'d'.repeat(32)}`;
    const orphan = await putFile(
      `${missing}/packages/${'b'.repeat(40)}/revisions/${'c'.repeat(32)}/files/conaninfo.txt`,
      Buffer.from('[settings]\n'),
    ).expect(404);
    expect(orphan.body.message).toMatch(/upload the recipe before its packages/);
    await getJson(`${missing}/files`, 404);
    await getJson(`${missing}/search`, 404);
    await getJson(`${missing}/packages/${'b'.repeat(40)}/latest`, 404);
    await request(t.url).get(`${missing}/files/conanfile.py`).set(bearer()).expect(404);
    await request(t.url).delete(missing).set(bearer()).expect(404);
    await request(t.url).delete(`${missing}/packages`).set(bearer()).expect(404);
    expect(await storedCounts(t)).toEqual(before);
  });

  it('keeps each owner apart and lets a reader read but not write', async () => {
    const bobJwt = (
      await request(t.url)
        .get(`${api('bob')}/v2/users/authenticate`)
        .auth('bob', PASSWORD)
        .expect(200)
    ).text;
    const ref = { name: 'hello', version: '1.0', user: 'gitea', channel: 'final' };
    await request(t.url)
      .get(`${refPath(ref, 'bob')}/latest`)
      .set(bearer(bobJwt))
      .expect(404);
    await request(t.url)
      .get(`${refPath(ref)}/latest`)
      .set(bearer(bobJwt))
      .expect(200);
    const res = await putFile(
      `${refPath(ref)}/revisions/${'e'.repeat(32)}/files/conanfile.py`,
      Buffer.from(conanfile('hello', '1.0')),
      bobJwt,
    ).expect(403);
    expect(res.body).toEqual({ message: expect.any(String) });
  });
});
