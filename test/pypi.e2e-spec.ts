import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
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
import { buildDistributions } from './support/clients/pypi';
import { startTestApp, TestApp } from './support/test-app';

const sha256 = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

/** The PyPI registry over HTTP (docs/protocols/pypi.md §7, Forgejo's TestPackagePyPI, plus PEP 503/691/658 and refusals). */
describeEachBackend('pypi registry', (backend) => {
  let t: TestApp;
  let token: string;
  let work: string;
  const base = (owner = 'alice') => `/api/packages/${owner}/pypi`;

  const upload = (
    fields: Record<string, string | string[]>,
    filename: string,
    content: Buffer,
    opts: { owner?: string; auth?: [string, string] } = {},
  ) => {
    const req = request(t.url)
      .post(base(opts.owner))
      .auth(...(opts.auth ?? ['alice', token]));
    for (const [k, v] of Object.entries(fields))
      for (const value of Array.isArray(v) ? v : [v]) req.field(k, value);
    return req.attach('content', content, filename);
  };
  const forgejoFields = (name: string, extra: Record<string, string | string[]> = {}) => ({
    ':action': 'file_upload',
    protocol_version: '1',
    name,
    version: '1!1.0.1+r1234',
    filetype: 'sdist',
    metadata_version: '2.1',
    summary: 'Test Description',
    description: 'Test Description',
    author: 'KN4CK3R',
    sha256_digest: sha256('test'),
    requires_python: '3.6',
    ...extra,
  });

  beforeAll(async () => {
    t = await startTestApp(backend, { ...ADMIN_ENV, REGISTRY_LIMIT_SIZE_PYPI: '64 KiB' });
    await createUser(t.url, 'alice');
    await createUser(t.url, 'bob');
    await createOrg(t.url, 'alice', 'acme', 'private', { bob: 'read' });
    token = await createToken(t.url, 'alice');
    work = mkdtempSync(path.join(os.tmpdir(), 'wharf-pypi-e2e-'));
  });
  afterAll(async () => {
    await t?.close();
    rmSync(work, { recursive: true, force: true });
  });

  it('takes uploads as Forgejo does: several files per version, 409 for the same file, homepage from project_urls', async () => {
    const fields = forgejoFields('test-package', {
      project_urls: ['DOCUMENTATION , https://readthedocs.org', 'Home-page, https://example.com'],
    });
    // Forgejo's own test names its files `test.tar.gz`: no sdist of test-package, refused
    // (issue 11: the file name must be a distribution of the form's project and version).
    const named = await upload(fields, 'test.tar.gz', Buffer.from('test')).expect(400);
    expect(named.text).toMatch(/invalid sdist file name test.tar.gz: expected test_package-/);
    const sdist = 'test_package-1!1.0.1+r1234.tar.gz';
    expect((await upload(fields, sdist, Buffer.from('test')).expect(201)).text).toBe('');
    await upload(fields, 'test-package-1!1.0.1+r1234.zip', Buffer.from('test')).expect(201);
    const dup = await upload(fields, sdist, Buffer.from('test')).expect(409);
    expect(dup.headers['content-type']).toMatch(/^text\/plain/);
    // PEP 503: Test_Package is test-package; the same file under that spelling is the same file.
    await upload(
      { ...fields, name: 'Test_Package' },
      'TEST_PACKAGE-1!1.0.1+r1234.tar.gz',
      Buffer.from('test'),
    ).expect(409);
    await upload(
      { ...fields, name: 'Test_Package' },
      'test.package-1!1.0.1+r1234.tar.gz',
      Buffer.from('test'),
    ).expect(201);
    const v = await request(t.url)
      .get(`/api/v1/packages/alice/pypi/test-package/${encodeURIComponent('1!1.0.1+r1234')}`)
      .auth('alice', PASSWORD)
      .expect(200);
    expect(v.body).toMatchObject({ name: 'test-package', version: '1!1.0.1+r1234' });

    const files = `${base()}/files/test-package/1!1.0.1+r1234`;
    expect((await request(t.url).get(`${files}/${sdist}`).expect(200)).body.toString()).toBe(
      'test',
    );
    expect(
      (
        await request(t.url).get(`${files}/test-package-1!1.0.1+r1234.zip`).expect(200)
      ).body.toString(),
    ).toBe('test');
    await request(t.url).get(`${files}/missing.whl`).expect(404);
  });

  it('refuses bad uploads with a clear 4xx that stores nothing', async () => {
    const before = await storedCounts(t);
    let res = await upload(forgejoFields('hashpkg'), 'test2.tar.gz', Buffer.from('dummy')).expect(
      400,
    );
    expect(res.text).toMatch(/hash mismatch/);
    res = await upload(
      forgejoFields('hashpkg', { sha256_digest: '' }),
      'x.tar.gz',
      Buffer.from('test'),
    ).expect(400);
    res = await upload(forgejoFields('-bad-name'), 'x.tar.gz', Buffer.from('test')).expect(400);
    expect(res.text).toMatch(/invalid project name/);
    res = await upload(
      forgejoFields('okname', { version: '1.0.0-alpha.beta' }),
      'x.tar.gz',
      Buffer.from('test'),
    ).expect(400);
    expect(res.text).toMatch(/PEP 440/);
    // A wheel whose METADATA is for another project, or without one.
    const { wheel } = buildDistributions('other-project', '1.0', work);
    const bytes = readFileSync(wheel);
    res = await upload(
      { ...forgejoFields('mine', { version: '1.0', sha256_digest: sha256(bytes) }) },
      'mine-1.0-py3-none-any.whl',
      bytes,
    ).expect(400);
    expect(res.text).toMatch(/names project other-project/);
    res = await upload(
      { ...forgejoFields('other-project', { version: '2.0', sha256_digest: sha256(bytes) }) },
      'other_project-2.0-py3-none-any.whl',
      bytes,
    ).expect(400);
    expect(res.text).toMatch(/version 1\.0, but the upload is for 2\.0/);
    res = await upload(
      forgejoFields('nometa', { version: '1.0' }),
      'nometa-1.0-py3-none-any.whl',
      Buffer.from('test'),
    ).expect(400);
    expect(res.text).toMatch(/not a zip/);
    res = await upload(
      forgejoFields('big', { sha256_digest: sha256(Buffer.alloc(80 * 1024)) }),
      'big.tar.gz',
      Buffer.alloc(80 * 1024),
    ).expect(413);
    res = await request(t.url)
      .post(base())
      .auth('alice', token)
      .field('name', 'nofile')
      .field('version', '1.0')
      .expect(400);
    expect(res.text).toMatch(/no file/);
    await request(t.url)
      .post(base())
      .auth('alice', token)
      .set('Content-Type', 'multipart/form-data; boundary=x')
      .send('garbage')
      .expect(400);
    expect(await storedCounts(t)).toEqual(before);
  });

  it('checks access: 401 Basic challenge for anonymous, 403 for a reader, private owner hidden', async () => {
    const anon = await request(t.url)
      .post(base('acme'))
      .attach('content', Buffer.from('test'), 'a.tar.gz')
      .expect(401);
    expect(anon.headers['www-authenticate']).toBe('Basic realm="Wharf"');
    const orgSdist = 'orgpkg-1!1.0.1+r1234.tar.gz';
    await upload(forgejoFields('orgpkg'), orgSdist, Buffer.from('test'), {
      owner: 'acme',
      auth: ['bob', PASSWORD],
    }).expect(403);
    await upload(forgejoFields('orgpkg'), orgSdist, Buffer.from('test'), {
      owner: 'acme',
      auth: ['alice', PASSWORD],
    }).expect(201);
    await request(t.url)
      .get(`${base('acme')}/simple/orgpkg/`)
      .expect(401);
    await request(t.url)
      .get(`${base('acme')}/simple/orgpkg/`)
      .auth('bob', PASSWORD)
      .expect(200);
    await request(t.url)
      .get(`${base('acme')}/files/orgpkg/1!1.0.1+r1234/${orgSdist}`)
      .expect(401);
  });

  it('serves the Simple API as PEP 503 HTML and PEP 691 JSON, negotiated on Accept, with PEP 658 metadata for wheels', async () => {
    const { wheel, sdist } = buildDistributions('Demo.Pkg', '2.0rc1', work);
    for (const file of [wheel, sdist]) {
      const bytes = readFileSync(file);
      await upload(
        {
          name: 'Demo.Pkg',
          version: '2.0RC1',
          sha256_digest: sha256(bytes),
          requires_python: '>=3.7',
          filetype: file.endsWith('.whl') ? 'bdist_wheel' : 'sdist',
        },
        path.basename(file),
        bytes,
      ).expect(201);
    }
    const wheelSha = sha256(readFileSync(wheel));
    const html = await request(t.url)
      .get(`${base()}/simple/demo-pkg/`)
      .set('Accept', 'application/vnd.pypi.simple.v1+html')
      .expect(200);
    expect(html.headers['content-type']).toBe('application/vnd.pypi.simple.v1+html; charset=utf-8');
    const anchors = [...html.text.matchAll(/<a ([^>]*)>([^<]*)<\/a>/g)];
    expect(anchors.map((a) => a[2])).toEqual([
      'Demo_Pkg-2.0rc1-py3-none-any.whl',
      'Demo_Pkg-2.0rc1.tar.gz',
    ]);
    const fileBase = `${t.url}${base()}/files/demo-pkg/2.0rc1`;
    const metaSha = sha256(
      (
        await request(t.url)
          .get(`${base()}/files/demo-pkg/2.0rc1/Demo_Pkg-2.0rc1-py3-none-any.whl.metadata`)
          .buffer(true)
          .expect(200)
      ).body,
    );
    expect(anchors[0][1]).toBe(
      `href="${fileBase}/Demo_Pkg-2.0rc1-py3-none-any.whl#sha256=${wheelSha}" data-requires-python="&gt;=3.7" data-dist-info-metadata="sha256=${metaSha}" data-core-metadata="sha256=${metaSha}"`,
    );
    expect(anchors[1][1]).toMatch(
      /^href="[^"]+\.tar\.gz#sha256=[0-9a-f]{64}" data-requires-python="&gt;=3\.7"$/,
    );

    const json = await request(t.url)
      .get(`${base()}/simple/Demo_Pkg`)
      .set(
        'Accept',
        'application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html; q=0.1, text/html; q=0.01',
      )
      .expect(200)
      .expect('Content-Type', /^application\/vnd\.pypi\.simple\.v1\+json(; charset=utf-8)?$/);
    const doc = JSON.parse(json.text);
    expect(doc).toMatchObject({
      meta: { 'api-version': '1.1' },
      name: 'demo-pkg',
      versions: ['2.0rc1'],
    });
    expect(doc.files[0]).toEqual({
      filename: 'Demo_Pkg-2.0rc1-py3-none-any.whl',
      url: `${fileBase}/Demo_Pkg-2.0rc1-py3-none-any.whl`,
      hashes: { sha256: wheelSha },
      'requires-python': '>=3.7',
      size: readFileSync(wheel).length,
      'upload-time': expect.stringMatching(/^\d{4}-\d\d-\d\dT.*Z$/),
      yanked: false,
      'core-metadata': { sha256: metaSha },
      'dist-info-metadata': { sha256: metaSha },
    });
    expect(doc.files[1]['core-metadata']).toBe(false);
    // The metadata file is the wheel's METADATA, byte for byte.
    const meta = await request(t.url)
      .get(`${base()}/files/demo-pkg/2.0rc1/Demo_Pkg-2.0rc1-py3-none-any.whl.metadata`)
      .buffer(true)
      .expect(200);
    expect(meta.body.toString()).toMatch(
      /^Metadata-Version: 2\.1\nName: Demo\.Pkg\nVersion: 2\.0rc1\n/,
    );

    expect(
      (await request(t.url).get(`${base()}/simple/demo-pkg/`).expect(200)).headers['content-type'],
    ).toBe('text/html; charset=utf-8');
    await request(t.url)
      .get(`${base()}/simple/demo-pkg/`)
      .set('Accept', 'application/json')
      .expect(400);
    await request(t.url).get(`${base()}/simple/does-not-exist/`).expect(404);
    const root = await request(t.url)
      .get(`${base()}/simple/`)
      .set('Accept', 'application/vnd.pypi.simple.v1+json')
      .expect(200);
    expect(JSON.parse(root.text).projects).toEqual([
      { name: 'demo-pkg' },
      { name: 'test-package' },
    ]);
    expect((await request(t.url).get(`${base()}/simple/`).expect(200)).text).toContain(
      `<a href="${t.url}${base()}/simple/demo-pkg/">demo-pkg</a>`,
    );
  });
});
