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
import { ArchiveFormat, composerArchive, libraryEntries } from './support/clients/composer';
import { binary } from './support/clients/container';
import { downloadCount, storedCounts } from './support/clients/inspect';
import { startTestApp, TestApp } from './support/test-app';

const sha1 = (b: Buffer) => createHash('sha1').update(b).digest('hex');

/** The Composer repository over HTTP (docs/protocols/composer.md §7: Forgejo's TestPackageComposer, plus the dev split and refusals). */
describeEachBackend('composer registry', (backend) => {
  let t: TestApp;
  let token: string;
  const base = (owner = 'alice') => `/api/packages/${owner}/composer`;
  const url = (owner = 'alice') => `${t.url}${base(owner)}`;

  const put = (
    body: Buffer,
    query = '',
    owner = 'alice',
    auth: [string, string] = ['alice', token],
  ) =>
    request(t.url)
      .put(`${base(owner)}${query}`)
      .auth(...auth)
      .set('Content-Type', 'application/octet-stream')
      .send(body);

  const forgejoPackage = (extra: Record<string, unknown> = {}, format: ArchiveFormat = 'zip') =>
    composerArchive(
      [
        {
          name: 'composer.json',
          text: JSON.stringify({
            name: 'gitea/composer-package',
            description: 'Package Description',
            type: 'composer-plugin',
            authors: [{ name: 'Gitea Authors', email: 'no.reply@gitea.io' }],
            bin: ['./bin/script'],
            ...extra,
          }),
        },
      ],
      format,
    );

  beforeAll(async () => {
    t = await startTestApp(backend, { ...ADMIN_ENV, REGISTRY_LIMIT_SIZE_COMPOSER: '4 MiB' });
    await createUser(t.url, 'alice');
    await createUser(t.url, 'bob');
    await createOrg(t.url, 'alice', 'acme', 'private', { bob: 'read' });
    token = await createToken(t.url, 'alice');
  });
  afterAll(async () => t?.close());

  it("serves packages.json with Forgejo's templates", async () => {
    const res = await request(t.url).get(`${base()}/packages.json`).expect(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.body).toEqual({
      search: `${url()}/search.json?q=%query%&type=%type%`,
      'metadata-url': `${url()}/p2/%package%.json`,
      list: `${url()}/list.json`,
    });
    await request(t.url)
      .get(`${base()}/packages.json`)
      .set('If-None-Match', res.headers.etag)
      .expect(304);
  });

  it('takes a PUT as Forgejo does: version needed, 201 empty, 409 again, the archive served byte for byte and counted', async () => {
    const zip = forgejoPackage();
    const missing = await put(zip).expect(400);
    expect(missing.body).toEqual({
      errors: [{ status: 400, message: expect.stringMatching(/package version is missing/) }],
    });
    const created = await put(zip, '?version=1.0.3').expect(201);
    expect(created.text).toBe('');
    const again = await put(zip, '?version=1.0.3').expect(409);
    expect(again.body.errors[0].message).toMatch(
      /version 1.0.3 of gitea\/composer-package already exists/,
    );
    // The same version to Composer under another spelling is the same version.
    const spelled = await put(zip, '?version=v1.0.3.0').expect(409);
    expect(spelled.body.errors[0].message).toMatch(/as 1.0.3 \(Composer reads both as 1.0.3.0\)/);

    const p2 = await request(t.url).get(`${base()}/p2/gitea/composer-package.json`).expect(200);
    const entries = p2.body.packages['gitea/composer-package'];
    expect(entries).toEqual([
      {
        name: 'gitea/composer-package',
        version: '1.0.3',
        version_normalized: '1.0.3.0',
        type: 'composer-plugin',
        description: 'Package Description',
        authors: [{ name: 'Gitea Authors', email: 'no.reply@gitea.io' }],
        bin: ['./bin/script'],
        time: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00$/),
        dist: {
          type: 'zip',
          url: `${url()}/files/gitea%2Fcomposer-package/1.0.3/gitea-composer-package.1.0.3.zip`,
          shasum: sha1(zip),
        },
      },
    ]);
    expect(p2.body.minified).toBeUndefined();
    const dev = await request(t.url)
      .get(`${base()}/p2/gitea/composer-package~dev.json`)
      .expect(200);
    expect(dev.body).toEqual({ packages: { 'gitea/composer-package': [] } });

    const dist = new URL(entries[0].dist.url).pathname;
    const got = await request(t.url).get(dist).buffer(true).parse(binary).expect(200);
    expect(Buffer.compare(got.body as Buffer, zip)).toBe(0);
    // Forgejo looks names up case-insensitively: the file name in any case is the same file.
    await request(t.url)
      .get(dist.replace('gitea-composer-package.1.0.3.zip', 'GITEA-COMPOSER-PACKAGE.1.0.3.ZIP'))
      .expect(200);
    await request(t.url).head(dist).expect(200);
    const versionId = Number(
      (
        await request(t.url)
          .get('/api/v1/packages/alice/composer/gitea%2Fcomposer-package/1.0.3')
          .auth('alice', PASSWORD)
          .expect(200)
      ).body.id,
    );
    expect(await downloadCount(t, versionId)).toBe(2);
    await request(t.url)
      .get(`${base()}/files/gitea%2Fcomposer-package/1.0.3/other.zip`)
      .expect(404);
  });

  it('splits dev versions into ~dev.json and stores tar archives as dist type tar', async () => {
    const entries = (greeting: string) => libraryEntries('acme/greeter', greeting);
    await put(composerArchive(entries('a'), 'tar.gz'), '?version=v2.0.0').expect(201);
    await put(composerArchive(entries('b'), 'tar'), '?version=2.1.0-RC1').expect(201);
    await put(composerArchive(entries('c'), 'tar.bz2'), '?version=dev-main').expect(201);
    await put(composerArchive(entries('d'), 'zip'), '?version=2.x-dev').expect(201);
    const tagged = await request(t.url).get(`${base()}/p2/acme/greeter.json`).expect(200);
    const list = tagged.body.packages['acme/greeter'] as {
      version: string;
      dist: { type: string; url: string };
    }[];
    expect(list.map((e) => [e.version, e.dist.type])).toEqual([
      ['2.1.0-RC1', 'tar'],
      ['v2.0.0', 'tar'],
    ]);
    expect(list[1].dist.url).toMatch(/\/acme-greeter\.v2\.0\.0\.tar\.gz$/);
    expect(list[0].dist.url).toMatch(/\/acme-greeter\.2\.1\.0-rc1\.tar$/);
    const dev = await request(t.url).get(`${base()}/p2/acme/greeter~dev.json`).expect(200);
    expect(
      (dev.body.packages['acme/greeter'] as { version: string; dist: { type: string } }[]).map(
        (e) => [e.version, e.dist.type],
      ),
    ).toEqual([
      ['2.x-dev', 'zip'],
      ['dev-main', 'tar'],
    ]);
    // composer.json inside the archive's only directory, as GitHub's archives have it.
    const github = composerArchive(
      libraryEntries('acme/from-github', 'x', { version: '0.1.0' }, 'from-github-0.1.0/'),
    );
    await put(github).expect(201);
    await request(t.url).get(`${base()}/p2/acme/from-github.json`).expect(200);
  });

  it('answers search.json and list.json as Forgejo does', async () => {
    const list = await request(t.url).get(`${base()}/list.json`).expect(200);
    expect(list.body).toEqual({
      packageNames: ['acme/from-github', 'acme/greeter', 'gitea/composer-package'],
    });
    const search = await request(t.url)
      .get(`${base()}/search.json?q=gitea&type=composer-plugin&page=1&per_page=1`)
      .expect(200);
    expect(search.body).toEqual({
      total: 1,
      results: [
        { name: 'gitea/composer-package', description: 'Package Description', downloads: 2 },
      ],
      next: `${url()}/search.json?q=gitea&type=composer-plugin&page=2&per_page=1`,
    });
    const none = await request(t.url).get(`${base()}/search.json?q=gitea&type=dummy`).expect(200);
    expect(none.body).toEqual({ total: 0, results: [] });
    const all = await request(t.url).get(`${base()}/search.json?q=&type=`).expect(200);
    expect(all.body.total).toBe(3);
  });

  it('answers 404 for unknown packages and documents, 400 for names outside the grammar', async () => {
    for (const path of [
      'p2/nobody/nothing.json',
      'p2/nobody/nothing~dev.json',
      'p2/acme/greeter.txt',
    ])
      expect(
        (await request(t.url).get(`${base()}/${path}`).expect(404)).body.errors[0].status,
      ).toBe(404);
    for (const path of [
      'p2/Acme/greeter.json',
      'p2/acme/gr%2e%2e.json',
      'files/acme/greeter/1.0/x.zip',
    ])
      await request(t.url)
        .get(`${base()}/${path}`)
        .expect((r) => expect([400, 404]).toContain(r.status));
    await request(t.url).get(`${base()}/p2/Acme/greeter.json`).expect(400);
    await request(t.url).get(`${base()}/files/acme%2F..%2Fx/1.0/x.zip`).expect(400);
  });

  const refusals: [string, () => Buffer, string, number, RegExp][] = [
    [
      'an archive without composer.json',
      () => composerArchive([{ name: 'src/A.php', text: '<?php' }]),
      '?version=1.0.0',
      400,
      /composer.json file is missing/,
    ],
    [
      'a tar.gz without composer.json',
      () => composerArchive([{ name: 'x/y/composer.json', text: '{}' }], 'tar.gz'),
      '?version=1.0.0',
      400,
      /composer.json file is missing/,
    ],
    [
      'an invalid name',
      () => composerArchive(libraryEntries('Acme/Bad', 'x')),
      '?version=1.0.0',
      400,
      /invalid vendor name/,
    ],
    [
      'a name without vendor',
      () => composerArchive([{ name: 'composer.json', text: '{"name":"lonely"}' }]),
      '?version=1.0.0',
      400,
      /is not vendor\/project/,
    ],
    [
      'a zip slip entry',
      () =>
        composerArchive([
          ...libraryEntries('acme/slip', 'x'),
          { name: '../../evil.php', text: '<?php' },
        ]),
      '?version=1.0.0',
      400,
      /unsafe entry name/,
    ],
    [
      'a tar slip entry',
      () =>
        composerArchive(
          [...libraryEntries('acme/slip', 'x'), { name: '../evil.php', text: '<?php' }],
          'tar.gz',
        ),
      '?version=1.0.0',
      400,
      /"..\/evil.php" that is refused/,
    ],
    [
      'a zip bomb',
      () =>
        composerArchive([
          ...libraryEntries('acme/bomb', 'x'),
          { name: 'zeros', zeros: 600 * 1024 * 1024 },
        ]),
      '?version=1.0.0',
      413,
      /unpacks to more than/,
    ],
    [
      'a gzip bomb',
      () =>
        composerArchive(
          [...libraryEntries('acme/bomb', 'x'), { name: 'zeros', zeros: 600 * 1024 * 1024 }],
          'tar.gz',
        ),
      '?version=1.0.0',
      413,
      /unpacks to more than/,
    ],
    [
      'not an archive',
      () => Buffer.from('<?php echo "hi";'),
      '?version=1.0.0',
      400,
      /not a valid package file/,
    ],
    ['an empty body', () => Buffer.alloc(0), '?version=1.0.0', 400, /upload is empty/],
    [
      'an xz tar',
      () => composerArchive(libraryEntries('acme/xz', 'x'), 'tar.xz'),
      '?version=1.0.0',
      400,
      /Composer cannot unpack/,
    ],
    [
      'an invalid version',
      () => composerArchive(libraryEntries('acme/v', 'x')),
      '?version=1.0.0-gamma',
      400,
      /package version is invalid/,
    ],
    [
      'a version with a slash',
      () => composerArchive(libraryEntries('acme/v', 'x')),
      '?version=dev-feat%2Fx',
      400,
      /invalid package version/,
    ],
    [
      'disagreeing versions',
      () => composerArchive(libraryEntries('acme/v', 'x', { version: '1.0.0' })),
      '?version=2.0.0',
      400,
      /disagrees/,
    ],
    [
      'a wrongly typed field',
      () => composerArchive(libraryEntries('acme/v', 'x', { require: ['php'] })),
      '?version=1.0.0',
      400,
      /require must be an object/,
    ],
    [
      'an oversized archive',
      () =>
        composerArchive([
          ...libraryEntries('acme/big', 'x'),
          {
            name: 'r',
            text: randomBytes(5 * 1024 * 1024).toString('base64'),
          },
        ]),
      '?version=1.0.0',
      413,
      /size limit/,
    ],
  ];

  it.each(refusals)(
    'refuses %s with a clear 4xx that stores nothing',
    async (_what, build, query, status, reason) => {
      const before = await storedCounts(t);
      const res = await put(build(), query).expect(status);
      expect(res.body.errors[0]).toEqual({ status, message: expect.stringMatching(reason) });
      expect(await storedCounts(t)).toEqual(before);
    },
  );

  it('checks access: Basic challenge for anonymous, 403 for a reader, private owner hidden', async () => {
    const zip = composerArchive(libraryEntries('acme/org-lib', 'x'));
    const anon = await request(t.url)
      .put(`${base('acme')}?version=1.0.0`)
      .send(zip)
      .expect(401);
    expect(anon.headers['www-authenticate']).toBe('Basic realm="Wharf"');
    await put(zip, '?version=1.0.0', 'acme', ['bob', PASSWORD]).expect(403);
    await put(zip, '?version=1.0.0', 'acme', ['alice', PASSWORD]).expect(201);
    await request(t.url)
      .get(`${base('acme')}/packages.json`)
      .expect(401);
    await request(t.url)
      .get(`${base('acme')}/p2/acme/org-lib.json`)
      .expect(401);
    const read = await request(t.url)
      .get(`${base('acme')}/p2/acme/org-lib.json`)
      .auth('bob', PASSWORD)
      .expect(200);
    const dist = new URL(read.body.packages['acme/org-lib'][0].dist.url).pathname;
    await request(t.url).get(dist).expect(401);
    await request(t.url).get(dist).auth('bob', PASSWORD).expect(200);
    await request(t.url)
      .get(`${base('nobody')}/packages.json`)
      .expect(404);
  });

  it('rebuilds a p2 document after a publish to its package, and only then', async () => {
    const first = await request(t.url).get(`${base()}/p2/acme/greeter.json`).expect(200);
    await request(t.url)
      .get(`${base()}/p2/acme/greeter.json`)
      .set('If-None-Match', first.headers.etag)
      .expect(304);
    await put(composerArchive(libraryEntries('acme/greeter', 'e')), '?version=2.2.0').expect(201);
    const next = await request(t.url)
      .get(`${base()}/p2/acme/greeter.json`)
      .set('If-None-Match', first.headers.etag)
      .expect(200);
    expect(next.body.packages['acme/greeter'][0].version).toBe('2.2.0');
  });
});
