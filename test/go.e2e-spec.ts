import { randomBytes } from 'node:crypto';
import request from 'supertest';
import { describeEachBackend } from './support/backends';
import {
  ADMIN_ENV,
  createOrg,
  createToken,
  createUser,
  PASSWORD,
} from './support/clients/accounts';
import { composerArchive } from './support/clients/composer';
import { binary } from './support/clients/container';
import { downloadCount, storedCounts } from './support/clients/inspect';
import { startTestApp, TestApp } from './support/test-app';

/** A module zip laid out as the go command lays it out: every entry under `{module}@{version}/`. */
const moduleZip = (module: string, version: string, files: Record<string, string>) =>
  composerArchive(
    Object.entries(files).map(([name, text]) => ({ name: `${module}@${version}/${name}`, text })),
  );
const goMod = (module: string) => `module ${module}\n\ngo 1.19\n`;
const library = (module: string, version: string) =>
  moduleZip(module, version, { 'go.mod': goMod(module), 'lib.go': 'package lib\n' });

/** The Go module proxy over HTTP (docs/protocols/go.md §7: Forgejo's TestPackageGo, then the GOPROXY protocol's corners and refusals). */
describeEachBackend('go module proxy', (backend) => {
  let t: TestApp;
  let token: string;
  const base = (owner = 'alice') => `/api/packages/${owner}/go`;
  const put = (
    body: Buffer,
    query = '',
    owner = 'alice',
    auth: [string, string] = ['alice', token],
  ) =>
    request(t.url)
      .put(`${base(owner)}/upload${query}`)
      .auth(...auth)
      .set('Content-Type', 'application/zip')
      .send(body);
  const get = (path: string, owner = 'alice') => request(t.url).get(`${base(owner)}/${path}`);

  beforeAll(async () => {
    t = await startTestApp(backend, { ...ADMIN_ENV, REGISTRY_LIMIT_SIZE_GO: '4 MiB' });
    await createUser(t.url, 'alice');
    await createUser(t.url, 'bob');
    await createUser(t.url, 'carol', 'private');
    await createOrg(t.url, 'alice', 'acme', 'private', { bob: 'read' });
    token = await createToken(t.url, 'alice');
  });
  afterAll(async () => t?.close());

  it("answers Forgejo's TestPackageGo: upload, 409, list, info, latest, go.mod, zip", async () => {
    const name = 'gitea.com/go-gitea/gitea';
    const forgejoMod = `module "${name}"`;
    const empty = composerArchive([]);
    await request(t.url).put(`${base()}/upload`).send(empty).expect(401);
    const refused = await put(empty).expect(400);
    expect(refused.text).toMatch(/not a zip archive|empty/);
    const v1 = moduleZip(name, 'v0.0.1', { 'go.mod': forgejoMod });
    const created = await put(v1).expect(201);
    expect(created.text).toBe('');
    const again = await put(v1).expect(409);
    expect(again.text).toMatch(/v0\.0\.1/);
    await put(moduleZip(name, 'v0.0.2', { 'go.mod': forgejoMod })).expect(201);

    const list = await get(`${name}/@v/list`).expect(200);
    expect(list.text).toBe('v0.0.1\nv0.0.2\n');
    expect(list.headers['content-type']).toBe('text/plain; charset=utf-8');
    await get(`${name}/@v/list`).set('If-None-Match', list.headers.etag).expect(304);

    const info = await get(`${name}/@v/v0.0.1.info`).expect(200);
    expect(info.body).toEqual({
      Version: 'v0.0.1',
      Time: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/),
    });
    expect((await get(`${name}/@v/latest.info`).expect(200)).body.Version).toBe('v0.0.2');
    expect((await get(`${name}/@latest`).expect(200)).body.Version).toBe('v0.0.2');
    expect((await get(`${name}/@v/v0.0.1.mod`).expect(200)).text).toBe(forgejoMod);
    expect((await get(`${name}/@v/latest.mod`).expect(200)).text).toBe(forgejoMod);

    const zip = await get(`${name}/@v/v0.0.1.zip`).buffer(true).parse(binary).expect(200);
    expect(Buffer.compare(zip.body as Buffer, v1)).toBe(0);
    expect(zip.headers['content-type']).toBe('application/zip');
    await get(`${name}/@v/latest.zip`).expect(200);
    const versionId = Number(
      (
        await request(t.url)
          .get(`/api/v1/packages/alice/go/${encodeURIComponent(name)}/v0.0.1`)
          .auth('alice', PASSWORD)
          .expect(200)
      ).body.id,
    );
    expect(await downloadCount(t, versionId)).toBe(1);
  });

  it('decodes the ! case encoding and serves only the exact spelling', async () => {
    const name = 'example.com/Azure/SDK';
    await put(library(name, 'v1.0.0-RC.1')).expect(201);
    const list = await get('example.com/!azure/!s!d!k/@v/list').expect(200);
    expect(list.text).toBe('v1.0.0-RC.1\n');
    const info = await get('example.com/!azure/!s!d!k/@v/v1.0.0-!r!c.1.info').expect(200);
    expect(info.body.Version).toBe('v1.0.0-RC.1');
    await get('example.com/!azure/!s!d!k/@v/v1.0.0-!r!c.1.zip').expect(200);
    // Upper case unescaped is not a URL the go command makes; another case is another module.
    await get('example.com/Azure/SDK/@v/list').expect(404);
    await get('example.com/azure/sdk/@v/list').expect(404);
    await get('example.com/!azure/!s!d!k/@v/v1.0.0-rc.1.info').expect(404);
    await get('example.com/!azure/!!sdk/@v/list').expect(404);
    // The same path in another case cannot be a second module of this owner.
    const other = await put(library('example.com/azure/sdk', 'v1.0.0')).expect(409);
    expect(other.text).toMatch(/differs from it only in case/);
  });

  it('keeps pseudo-versions out of @v/list but answers @latest with them; +incompatible and /vN by the major rules', async () => {
    const name = 'example.com/pseudo';
    const pseudo = 'v0.0.0-20240101120000-abcdef123456';
    await put(library(name, pseudo)).expect(201);
    expect((await get(`${name}/@v/list`).expect(200)).text).toBe('');
    expect((await get(`${name}/@latest`).expect(200)).body.Version).toBe(pseudo);
    await put(library(name, 'v0.1.0-beta.1')).expect(201);
    expect((await get(`${name}/@latest`).expect(200)).body.Version).toBe('v0.1.0-beta.1');
    await put(library(name, 'v0.0.9')).expect(201);
    // A release wins over a later pre-release; the list is in upload order.
    expect((await get(`${name}/@latest`).expect(200)).body.Version).toBe('v0.0.9');
    expect((await get(`${name}/@v/list`).expect(200)).text).toBe('v0.1.0-beta.1\nv0.0.9\n');

    const legacy = 'example.com/legacy';
    await put(moduleZip(legacy, 'v2.0.0+incompatible', { 'legacy.go': 'package legacy\n' })).expect(
      201,
    );
    const synthesized = await get(`${legacy}/@v/v2.0.0+incompatible.mod`).expect(200);
    expect(synthesized.text).toBe(`module ${legacy}\n`);
    await put(library('example.com/major/v2', 'v2.1.0')).expect(201);
    expect((await get('example.com/major/v2/@v/list').expect(200)).text).toBe('v2.1.0\n');
  });

  it('answers 404 for anything not uploaded, so GOPROXY=<wharf>,off fails at once', async () => {
    for (const path of [
      'example.com/nothing/@v/list',
      'example.com/nothing/@latest',
      'example.com/nothing/@v/v1.0.0.info',
      'example.com/nothing/@v/v1.0.0.mod',
      'example.com/nothing/@v/v1.0.0.zip',
      'gitea.com/go-gitea/gitea/@v/v9.9.9.info',
      'gitea.com/go-gitea/gitea/@v/master.info',
      'gitea.com/go-gitea/gitea/@v/v0.0.1.tar',
      'gitea.com/go-gitea/@v/list',
      'sumdb/sum.golang.org/supported',
      'nodot/x/@v/list',
      'example.com/x/v1/@v/list',
      'example.com/x',
    ]) {
      const res = await get(path);
      expect([path, res.status]).toEqual([path, 404]);
      expect(res.text).toMatch(/not found/);
    }
    // A name that is a path is refused outright.
    await get('..%2F..%2Fetc/@v/list').expect(400);
    await get(`example.com/${'a'.repeat(300)}/@v/list`).expect(400);
  });

  it('serves a private owner over plain HTTP to Basic and Bearer credentials (go itself sends them only over https)', async () => {
    const name = 'example.com/carol/secret';
    const carolToken = await createToken(t.url, 'carol');
    await put(library(name, 'v1.0.0'), '', 'carol', ['carol', carolToken]).expect(201);
    const anon = await get(`${name}/@v/list`, 'carol').expect(401);
    expect(anon.headers['www-authenticate']).toBe('Basic realm="Wharf"');
    expect((await get(`${name}/@v/list`, 'carol').auth('carol', carolToken).expect(200)).text).toBe(
      'v1.0.0\n',
    );
    await get(`${name}/@v/v1.0.0.zip`, 'carol')
      .set('Authorization', `Bearer ${carolToken}`)
      .expect(200);
    // An org member with read access reads; writing needs write.
    await put(library('example.com/acme/lib', 'v1.0.0'), '', 'acme', ['alice', token]).expect(201);
    await get('example.com/acme/lib/@latest', 'acme').auth('bob', PASSWORD).expect(200);
    await put(library('example.com/acme/lib', 'v1.0.1'), '', 'acme', ['bob', PASSWORD]).expect(403);
  });

  it('rebuilds @v/list and @latest when a version is added', async () => {
    const name = 'example.com/fresh';
    await put(library(name, 'v1.0.0')).expect(201);
    const first = await get(`${name}/@v/list`).expect(200);
    expect((await get(`${name}/@latest`).expect(200)).body.Version).toBe('v1.0.0');
    await put(library(name, 'v1.1.0')).expect(201);
    const second = await get(`${name}/@v/list`).set('If-None-Match', first.headers.etag);
    expect([second.status, second.text]).toEqual([200, 'v1.0.0\nv1.1.0\n']);
    expect((await get(`${name}/@latest`).expect(200)).body.Version).toBe('v1.1.0');
  });

  const bad = 'example.com/bad';
  const refusals: [string, () => Buffer, string, number, RegExp][] = [
    [
      "a go.mod that disagrees with the zip's module path",
      () => moduleZip(bad, 'v1.0.0', { 'go.mod': goMod('example.com/other') }),
      '',
      400,
      /go\.mod declares module example\.com\/other, but the zip's entries are under example\.com\/bad@v1\.0\.0\//,
    ],
    [
      'a zip for another module than ?module= names',
      () => library(bad, 'v1.0.0'),
      '?module=example.com/wanted',
      400,
      /holds module example\.com\/bad, not example\.com\/wanted/,
    ],
    [
      'entries not under {module}@{version}/',
      () =>
        composerArchive([
          { name: `${bad}@v1.0.0/go.mod`, text: goMod(bad) },
          { name: 'stray.go', text: 'package stray\n' },
        ]),
      '',
      400,
      /"stray\.go" is not under "example\.com\/bad@v1\.0\.0\/"/,
    ],
    [
      'a zip without any {module}@{version}/ prefix',
      () => composerArchive([{ name: 'go.mod', text: goMod(bad) }]),
      '',
      400,
      /not under \{module\}@\{version\}\//,
    ],
    [
      'a ../ entry',
      () =>
        composerArchive([
          { name: `${bad}@v1.0.0/go.mod`, text: goMod(bad) },
          { name: `${bad}@v1.0.0/../../evil.go`, text: 'package evil\n' },
        ]),
      '',
      400,
      /unsafe entry name/,
    ],
    [
      'a zip bomb',
      () =>
        composerArchive([
          { name: `${bad}@v1.0.0/go.mod`, text: goMod(bad) },
          { name: `${bad}@v1.0.0/zeros`, zeros: 600 * 1024 * 1024 },
        ]),
      '',
      413,
      /unpacks to more than/,
    ],
    ['not a zip', () => Buffer.from('package main\n'), '', 400, /not a zip archive/],
    ['an empty body', () => Buffer.alloc(0), '', 400, /upload is empty/],
    [
      'names that collide in another case',
      () => moduleZip(bad, 'v1.0.0', { 'go.mod': goMod(bad), 'a.go': 'package a\n', 'A.go': 'x' }),
      '',
      400,
      /differ only in case/,
    ],
    [
      'a nested go.mod',
      () => moduleZip(bad, 'v1.0.0', { 'go.mod': goMod(bad), 'sub/go.mod': goMod(`${bad}/sub`) }),
      '',
      400,
      /go\.mod must .* be at the module root/,
    ],
    [
      'a version that is not canonical',
      () => library(bad, 'v1.0'),
      '',
      400,
      /invalid module version: it must consist of a canonical semantic version/,
    ],
    [
      'a v2 module without /v2',
      () => library(bad, 'v2.0.0'),
      '',
      400,
      /a v2 module path must end in \/v2/,
    ],
    [
      '+incompatible with a go.mod',
      () => library(bad, 'v2.0.0+incompatible'),
      '',
      400,
      /\+incompatible but the module has a go\.mod/,
    ],
    [
      'a module path without a host',
      () => library('bad/module', 'v1.0.0'),
      '',
      400,
      /invalid module path "bad\/module": its first element "bad" has no dot/,
    ],
    [
      'an oversized zip',
      () =>
        moduleZip(bad, 'v1.0.0', {
          'go.mod': goMod(bad),
          'r.txt': randomBytes(5 << 20).toString('base64'),
        }),
      '',
      413,
      /size limit/,
    ],
  ];

  it.each(refusals)(
    'refuses %s with a clear 4xx that stores nothing',
    async (_what, build, query, status, reason) => {
      const before = await storedCounts(t);
      const res = await put(build(), query).expect(status);
      expect(res.text).toMatch(reason);
      expect(await storedCounts(t)).toEqual(before);
      await get(`${bad}/@v/list`).expect(404);
    },
  );
});
