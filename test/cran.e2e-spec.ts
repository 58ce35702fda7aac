import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import request from 'supertest';
import { Database, PackageFileEntity, PackageVersionEntity } from '@wharf/packages-core';
import { countQueries } from '@wharf/packages-core/testing/count-queries';
import { describeEachBackend } from './support/backends';
import { ADMIN_ENV, createOrg, createToken, createUser } from './support/clients/accounts';
import { descriptionText, rPackageArchive, rTarBomb } from './support/clients/cran';
import { composerArchive } from './support/clients/composer';
import { downloadCount } from './support/clients/inspect';
import { storedState } from './support/format-kit';
import { startTestApp, TestApp } from './support/test-app';

const FIXTURES = path.resolve(__dirname, '../libs/registries/cran/src/fixtures');
const SOURCE = readFileSync(path.join(FIXTURES, 'wharf.hello_1.0-2.tar.gz'));
const BUILT = readFileSync(path.join(FIXTURES, 'wharf.hello_1.0-2.tgz'));
const md5 = (b: Buffer) => createHash('md5').update(b).digest('hex');

/** The CRAN repository over HTTP (docs/protocols/cran.md §7, Forgejo's TestPackageCran, plus refusals). */
describeEachBackend('cran registry', (backend) => {
  let t: TestApp;
  let token: string;
  const base = (owner = 'alice') => `/api/packages/${owner}/cran`;
  const put = (p: string, body: Buffer, owner = 'alice') =>
    request(t.url)
      .put(`${base(owner)}${p}`)
      .auth('alice', token)
      .send(body);
  const get = (p: string, owner = 'alice') =>
    request(t.url)
      .get(`${base(owner)}${p}`)
      .auth('alice', token)
      .buffer(true)
      .parse((res, cb) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => cb(null, Buffer.concat(chunks)));
      });
  const text = async (p: string) => ((await get(p).expect(200)).body as Buffer).toString();
  const windowsZip = (name: string, version: string) =>
    rPackageArchive(
      name,
      descriptionText(name, version, 'Built: R 4.2.2; ; 2025-01-01; windows\n'),
      'zip',
    );

  beforeAll(async () => {
    t = await startTestApp(backend, { ...ADMIN_ENV, REGISTRY_LIMIT_SIZE_CRAN: '4 MiB' });
    await createUser(t.url, 'alice');
    await createOrg(t.url, 'alice', 'acme', 'private');
    token = await createToken(t.url, 'alice');
  });
  afterAll(() => t?.close());

  it('takes a source package built by R CMD build, 409 for the same file again', async () => {
    await request(t.url).put(`${base()}/src`).send(SOURCE).expect(401);
    const res = await put('/src', SOURCE).expect(201);
    expect(res.text).toBe('Uploaded wharf.hello_1.0-2.tar.gz\n');
    const again = await put('/src', SOURCE).expect(409);
    expect(again.headers['content-type']).toMatch(/text\/plain/);
  });

  it('takes binaries per platform and R version: Windows zip, macOS tgz under a two-segment platform', async () => {
    await put('/bin', windowsZip('wharf.hello', '1.0-2')).expect(400);
    await put('/bin?platform=&rversion=', windowsZip('wharf.hello', '1.0-2')).expect(400);
    const patch = await put(
      '/bin?platform=windows&rversion=4.2.1',
      windowsZip('wharf.hello', '1.0-2'),
    );
    expect([patch.status, patch.text]).toEqual([400, expect.stringMatching(/major\.minor/)]);
    await put('/bin?platform=Windows&rversion=4.2', windowsZip('wharf.hello', '1.0-2')).expect(400);
    await put('/bin?platform=a/b/c&rversion=4.2', windowsZip('wharf.hello', '1.0-2')).expect(400);
    await put('/bin?platform=windows&rversion=4.2', windowsZip('wharf.hello', '1.0-2')).expect(201);
    await put('/bin?platform=windows&rversion=4.2', windowsZip('wharf.hello', '1.0-2')).expect(409);
    const mac = await put('/bin?platform=macosx/big-sur-arm64&rversion=4.2', BUILT).expect(201);
    expect(mac.text).toBe('Uploaded wharf.hello_1.0-2.tgz\n');
    const version = await t.app
      .get(Database)
      .manager.findOneByOrFail(PackageVersionEntity, { version: '1.0-2' });
    const files = await t.app
      .get(Database)
      .manager.findBy(PackageFileEntity, { versionId: version.id });
    expect(files.map((f) => [f.name, f.compositeKey]).sort()).toEqual([
      ['wharf.hello_1.0-2.tar.gz', ''],
      ['wharf.hello_1.0-2.tgz', 'macosx/big-sur-arm64|4.2'],
      ['wharf.hello_1.0-2.zip', 'windows|4.2'],
    ]);
  });

  it('serves PACKAGES, PACKAGES.gz and PACKAGES.rds as R reads them', async () => {
    const index = await get('/src/contrib/PACKAGES').expect(200);
    expect(index.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect((index.body as Buffer).toString()).toBe(
      'Package: wharf.hello\nVersion: 1.0-2\nDepends: R (>= 3.5.0)\nImports: utils, stats\n' +
        'Suggests: testthat (>= 3.0.0)\nLicense: MIT + file LICENSE\n' +
        `MD5sum: ${md5(SOURCE)}\nNeedsCompilation: no\n`,
    );
    const gz = await get('/src/contrib/PACKAGES.gz').expect(200);
    expect(gz.headers['content-type']).toBe('application/x-gzip');
    expect(gunzipSync(gz.body as Buffer).toString()).toBe((index.body as Buffer).toString());
    await get('/src/contrib/PACKAGES').set('If-None-Match', index.headers.etag).expect(304);
    const rds = await get('/src/contrib/PACKAGES.rds').expect(200);
    expect(gunzipSync(rds.body as Buffer).subarray(0, 6)).toEqual(Buffer.from('X\n\0\0\0\x02'));
    await get('/src/contrib/constructor').expect(404);
    await get('/src/contrib/PACKAGES.bz2').expect(404);

    const win = await text('/bin/windows/contrib/4.2/PACKAGES');
    expect(win).toContain('Package: wharf.hello\nVersion: 1.0-2\n');
    expect(win).toMatch(/\nMD5sum: [0-9a-f]{32}\nNeedsCompilation: no\n$/);
    const mac = await text('/bin/macosx/big-sur-arm64/contrib/4.2/PACKAGES');
    expect(mac).toContain(`MD5sum: ${md5(BUILT)}\n`);
    await get('/bin/windows/contrib/4.2/PACKAGES.gz').expect(200);
    await get('/bin/windows/contrib/4.1/PACKAGES').expect(404);
    await get('/bin/macosx/contrib/4.2/PACKAGES').expect(404);
    await get('/src/contrib/PACKAGES', 'acme').expect(404);
  });

  it('serves package files where R looks for them, counting downloads', async () => {
    const src = await get('/src/contrib/wharf.hello_1.0-2.tar.gz').expect(200);
    expect(Buffer.compare(src.body as Buffer, SOURCE)).toBe(0);
    expect(src.headers['content-disposition']).toMatch(/wharf\.hello_1\.0-2\.tar\.gz/);
    await get('/src/contrib/Archive/wharf.hello/wharf.hello_1.0-2.tar.gz').expect(200);
    await get('/src/contrib/Archive/other/wharf.hello_1.0-2.tar.gz').expect(404);
    await get('/src/contrib/WHARF.HELLO_1.0-2.tar.gz').expect(200);
    await get('/src/contrib/wharf.hello_9.9.tar.gz').expect(404);
    await get('/src/contrib/wharf.hello_1.0-2.zip').expect(404);
    await get('/bin/windows/contrib/4.2/wharf.hello_1.0-2.zip').expect(200);
    await get('/bin/windows/contrib/4.1/wharf.hello_1.0-2.zip').expect(404);
    await get('/bin/osx/contrib/4.2/wharf.hello_1.0-2.zip').expect(404);
    await get('/bin/windows/contrib/4.2/wharf.hello_1.0-2.tar.gz').expect(404);
    const mac = await get('/bin/macosx/big-sur-arm64/contrib/4.2/wharf.hello_1.0-2.tgz').expect(
      200,
    );
    expect(Buffer.compare(mac.body as Buffer, BUILT)).toBe(0);
    await get('/src/contrib/..%2fPACKAGES').expect(400);
    await get('/bin/..%2f..%2fsrc/contrib/4.2/PACKAGES').expect(400);
    const version = await t.app
      .get(Database)
      .manager.findOneByOrFail(PackageVersionEntity, { version: '1.0-2' });
    expect(await downloadCount(t, version.id)).toBe(5);
  });

  it('lists the highest version in PACKAGES, keeps older ones under Archive/, refuses look-alikes', async () => {
    const pkg = (version: string, name = 'wharf.hello') =>
      rPackageArchive(name, descriptionText(name, version));
    await put('/src', pkg('1.10')).expect(201);
    await put('/src', pkg('1.9')).expect(201); // uploaded later, still not the newest
    expect(await text('/src/contrib/PACKAGES')).toMatch(/^Package: wharf\.hello\nVersion: 1\.10\n/);
    for (const v of ['1.0-2', '1.9', '1.10'])
      await get(`/src/contrib/Archive/wharf.hello/wharf.hello_${v}.tar.gz`).expect(200);
    const same = await put('/src', pkg('1.0.2')).expect(409);
    expect(same.text).toMatch(/R reads 1\.0\.2 as the same version/);
    const cased = await put('/src', pkg('2.0', 'Wharf.Hello')).expect(409);
    expect(cased.text).toMatch(/differ only in case/);
    await put('/src', pkg('0.1', 'aaa.first')).expect(201);
    expect(await text('/src/contrib/PACKAGES')).toMatch(
      /^Package: aaa\.first\nVersion: 0\.1\n[^]*\n\nPackage: wharf\.hello\nVersion: 1\.10\n/,
    );
  });

  it('builds PACKAGES in as many queries whatever the number of packages (batched read model)', async () => {
    const db = t.app.get(Database).dataSource;
    let n = 0;
    const rebuilt = async () => {
      // A new version makes the cached index stale: the GET rebuilds it.
      await put('/src', rPackageArchive('count.me', descriptionText('count.me', `0.${++n}`)));
      const { queries } = await countQueries(db, () => get('/src/contrib/PACKAGES').expect(200));
      return queries.length;
    };
    const few = await rebuilt();
    for (let i = 0; i < 6; i++)
      await put('/src', rPackageArchive(`more.pkg${i}`, descriptionText(`more.pkg${i}`, '1.0')));
    expect(await rebuilt()).toBe(few);
    expect(await text('/src/contrib/PACKAGES')).toMatch(/Package: more\.pkg5\n/);
  });

  it('refuses bad packages with a clear 4xx that stores nothing', async () => {
    const before = await storedState(t);
    const cases: [string, () => Promise<Buffer> | Buffer, string, number, RegExp][] = [
      [
        'a DESCRIPTION without Package',
        () => rPackageArchive('nopkg', 'Version: 1.0\nTitle: x\n'),
        '/src',
        400,
        /no Package field/,
      ],
      [
        'a DESCRIPTION without Version',
        () => rPackageArchive('nover', 'Package: nover\nTitle: x\n'),
        '/src',
        400,
        /no Version field/,
      ],
      [
        'a version outside R grammar',
        () => rPackageArchive('badver', descriptionText('badver', '1')),
        '/src',
        400,
        /invalid R package version/,
      ],
      [
        'a package name outside R grammar',
        () => rPackageArchive('bad_name', descriptionText('bad_name', '1.0')),
        '/src',
        400,
        /invalid R package name/,
      ],
      [
        'a DESCRIPTION that is not DCF',
        () => rPackageArchive('dcf', 'Package: dcf\nVersion: 1.0\nthis is no field\n'),
        '/src',
        400,
        /line 3 is not "Field: value"/,
      ],
      [
        'not a tar.gz',
        () => Buffer.from('hello <- function() "not a package"\n'),
        '/src',
        400,
        /not an R package/,
      ],
      ['an empty body', () => Buffer.alloc(0), '/src', 400, /empty/],
      [
        'a zip sent as source',
        () => rPackageArchive('zipsrc', descriptionText('zipsrc', '1.0'), 'zip'),
        '/src',
        400,
        /R CMD build/,
      ],
      [
        'no DESCRIPTION',
        () => composerArchive([{ name: 'nodesc/R/hello.R', text: 'hello <- 1' }], 'tar.gz'),
        '/src',
        400,
        /DESCRIPTION file is missing/,
      ],
      [
        'a DESCRIPTION in a directory not named after the package',
        () => rPackageArchive('package', descriptionText('test.package', '1.0')),
        '/src',
        400,
        /in package\/ but names package test\.package/,
      ],
      [
        'two DESCRIPTIONs',
        () =>
          rPackageArchive('twice', descriptionText('twice', '1.0'), 'tar.gz', [
            { name: 'other/DESCRIPTION', text: descriptionText('other', '1.0') },
          ]),
        '/src',
        400,
        /more than one/,
      ],
      [
        'a ../ entry',
        () =>
          rPackageArchive('escape', descriptionText('escape', '1.0'), 'tar.gz', [
            { name: '../../escape.R', text: 'x' },
          ]),
        '/src',
        400,
        /".." segment/,
      ],
      [
        'a ../ entry in a binary zip',
        () =>
          rPackageArchive('escape', descriptionText('escape', '1.0'), 'zip', [
            { name: '../escape.R', text: 'x' },
          ]),
        '/bin?platform=windows&rversion=4.2',
        400,
        /escape|invalid|refused|relative/i,
      ],
      ['a tar bomb', () => rTarBomb('bomb', '1.0'), '/src', 413, /unpacks to more than/],
      [
        'a zip bomb',
        () =>
          rPackageArchive('zbomb', descriptionText('zbomb', '1.0'), 'zip', [
            { name: 'zbomb/data/zeros', zeros: 1100 * 1024 * 1024 },
          ]),
        '/bin?platform=windows&rversion=4.2',
        413,
        /more than/,
      ],
    ];
    for (const [label, body, p, status, message] of cases) {
      const res = await put(p, await body());
      expect([label, res.status]).toEqual([label, status]);
      expect([label, res.text]).toEqual([label, expect.stringMatching(message)]);
    }
    // Over the size limit: 413 before anything is kept.
    await put('/src', Buffer.concat([SOURCE, Buffer.alloc(5 << 20)])).expect(413);
    expect(await storedState(t)).toEqual(before);
  });

  it('answers the access model: anonymous 401 with one challenge, invisible owner 404', async () => {
    const anon = await request(t.url)
      .get(`${base('acme')}/src/contrib/PACKAGES`)
      .expect(401);
    expect(anon.headers['www-authenticate']).toBe('Basic realm="Wharf"');
    await createUser(t.url, 'carol');
    const outsider = await createToken(t.url, 'carol');
    await request(t.url)
      .get(`${base('acme')}/src/contrib/PACKAGES`)
      .auth('carol', outsider)
      .expect(404);
  });
});
