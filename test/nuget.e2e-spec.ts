import request from 'supertest';
import { describeEachBackend } from './support/backends';
import { ADMIN_ENV, createToken, createUser, PASSWORD } from './support/clients/accounts';
import { composerArchive } from './support/clients/composer';
import { nupkg, nuspec, portablePdb, snupkg } from './support/clients/nuget';
import { storedState } from './support/format-kit';
import { startTestApp, TestApp } from './support/test-app';

const PDB_GUID = 'd910bb69-48bd-4c6c-b401-55bcf52c3c94';
const PDB_ID = PDB_GUID.replace(/-/g, '');

/**
 * The NuGet feed over HTTP on both backends (docs/protocols/nuget.md §7): push forms and
 * credentials, v3 exactly as NuGet 6 walks it (service index → registration → flat
 * container), search, the v2 OData feed, symbols, delete, and hostile uploads refused
 * with a 4xx that stores nothing.
 */
describeEachBackend('nuget feed', (backend) => {
  let t: TestApp;
  let token: string;
  const base = '/api/packages/alice/nuget';
  const push = (body: Buffer, path = '/') =>
    request(t.url)
      .put(`${base}${path}`)
      .set('X-NuGet-ApiKey', token)
      .attach('package', body, 'package.nupkg');
  const get = (path: string) => request(t.url).get(`${base}${path}`);

  beforeAll(async () => {
    t = await startTestApp(backend, ADMIN_ENV);
    await createUser(t.url, 'alice');
    await createUser(t.url, 'carol', 'private');
    token = await createToken(t.url, 'alice');
  }, 60_000);
  afterAll(async () => {
    await t?.close();
  });

  it('pushes as multipart with X-NuGet-ApiKey, raw with Basic, and answers 409 for a version again', async () => {
    const pkg = nupkg({
      id: 'Test.Package',
      version: '1.0.3',
      extra:
        '    <projectUrl>https://example.com/p</projectUrl>\n    <tags>tag_1 tag_2</tags>\n' +
        '    <dependencies><group targetFramework=".NETStandard2.0"><dependency id="Microsoft.CSharp" version="4.5.0" /></group></dependencies>\n',
    });
    await push(pkg).expect(201);
    await request(t.url)
      .put(base)
      .auth('alice', PASSWORD)
      .set('Content-Type', 'application/octet-stream')
      .send(nupkg({ id: 'Test.Package', version: '1.0.99+build.7' }))
      .expect(201);
    const again = await push(pkg).expect(409);
    expect(again.body.Message).toMatch(/already exists/);
    await request(t.url).put(base).send(pkg).expect(401);
  });

  it('walks v3 as NuGet 6 does: service index, registration, flat container, nuspec', async () => {
    const index = (await get('/index.json').expect(200)).body;
    const root = `${t.url}${base}`;
    const resource = (type: string) =>
      index.resources.find((r: { '@type': string }) => r['@type'] === type)['@id'];
    expect(index.version).toBe('3.0.0');
    expect(resource('PackagePublish/2.0.0')).toBe(root);
    expect(resource('SymbolPackagePublish/4.9.0')).toBe(`${root}/symbolpackage`);
    const registration = resource('RegistrationsBaseUrl/3.0.0-rc');
    const flat = resource('PackageBaseAddress/3.0.0');

    const reg = (await request(registration).get('/test.package/index.json').expect(200)).body;
    const page = reg.items[0];
    expect([page.lower, page.upper, page.count]).toEqual(['1.0.3', '1.0.99', 2]);
    const entry = page.items[0].catalogEntry;
    expect(entry).toMatchObject({
      id: 'Test.Package',
      version: '1.0.3',
      projectUrl: 'https://example.com/p',
      tags: ['tag_1', 'tag_2'],
      dependencyGroups: [
        {
          targetFramework: '.NETStandard2.0',
          dependencies: [{ id: 'Microsoft.CSharp', range: '4.5.0' }],
        },
      ],
    });
    const leaf = (await request(page.items[0]['@id']).get('').expect(200)).body;
    expect(leaf.packageContent).toBe(`${flat}/test.package/1.0.3/test.package.1.0.3.nupkg`);

    expect((await request(flat).get('/test.package/index.json').expect(200)).body).toEqual({
      versions: ['1.0.3', '1.0.99'],
    });
    const nupkgRes = await request(leaf.packageContent).get('').expect(200);
    expect(nupkgRes.header['content-type']).toBe('application/octet-stream');
    // build metadata and case in the path resolve to the stored version (Gitea #22178)
    await get('/package/Test.Package/1.0.99+other/test.package.1.0.99.nupkg').expect(200);
    const spec = await get('/package/test.package/1.0.3/test.package.nuspec').expect(200);
    expect(spec.text).toContain('<id>Test.Package</id>');
    const etag = spec.header.etag;
    await get('/package/test.package/1.0.3/test.package.nuspec')
      .set('If-None-Match', etag)
      .expect(304);
    await get('/registration/nope/index.json').expect(404);
  });

  it('searches v3 and v2 by id substring, paged by package, with counts', async () => {
    for (const id of ['almost.similar', 'almost.similar.dependency', 'almost.similar.dependent'])
      await push(nupkg({ id, version: '1.0.0' })).expect(201);
    await push(nupkg({ id: 'almost.similar', version: '2.0.0-rc.1' })).expect(201);
    const v3 = async (q: string) => (await get(`/query?${q}`).expect(200)).body;
    expect((await v3('q=')).totalHits).toBe(4);
    expect((await v3('q=almost.similar&take=2')).data).toHaveLength(2);
    expect((await v3('q=test&skip=1')).data).toHaveLength(0);
    const stable = (await v3('q=almost.similar&take=1')).data[0];
    expect([stable.id, stable.version]).toEqual(['almost.similar', '1.0.0']);
    const pre = (await v3('q=almost.similar&take=1&prerelease=true')).data[0];
    expect([pre.version, pre.versions.length]).toEqual(['2.0.0-rc.1', 2]);

    const count = async (path: string) => (await get(path).expect(200)).text;
    expect(await count("/Search()/$count?searchTerm='almost'")).toBe('3');
    expect(await count("/Packages()/$count?$filter=substringof('test',tolower(Id))")).toBe('1');
    // an exact id is how NuGet.exe without FindPackagesById lists one package's versions: all of them
    expect(await count("/Packages()/$count?$filter=(tolower(Id) eq 'almost.similar')")).toBe('2');
    const feed = (await get("/Search()?searchTerm='almost'&$skip=0&$top=1").expect(200)).text;
    expect(feed.match(/<entry>/g)).toHaveLength(1);
    expect(feed).toContain('<m:count>3</m:count>');
    expect(feed).toMatch(/<link rel="next" href="[^"]*\$skip=1&amp;\$top=1"/);
  });

  it('serves the v2 service document, $metadata, FindPackagesById and one entry', async () => {
    const root = (await get('').expect(200)).text;
    expect(root).toContain('<collection href="Packages">');
    expect((await get('/$metadata').expect(200)).text).toContain('Name="FindPackagesById"');
    const latest = await get(
      "/FindPackagesById()?$filter=IsLatestVersion&$orderby=Version desc&$top=1&id='Test.Package'",
    ).expect(200);
    expect(latest.text.match(/<d:Version>([^<]+)</)?.[1]).toBe('1.0.99');
    expect(await (await get("/FindPackagesById()/$count?id='Test.Package'")).text).toBe('2');
    const entry = await get("/Packages(Id='Test.Package',Version='1.0.3')").expect(200);
    expect(entry.header['content-type']).toMatch(/application\/atom\+xml/);
    expect(entry.text).toContain(
      '<d:Dependencies>Microsoft.CSharp:4.5.0:.NETStandard2.0</d:Dependencies>',
    );
    expect(entry.text).toMatch(/<content type="application\/zip" src="[^"]+\.nupkg"\/>/);
    await get("/Packages(Id='Test.Package',Version='9.9.9')").expect(404);
  });

  it('takes a symbol package of Portable PDBs and serves each PDB by its id', async () => {
    const pdb = portablePdb(PDB_GUID);
    const symbols = (type?: string) =>
      snupkg({ id: 'Test.Package', version: '1.0.3', packageType: type }, { 'lib/test.pdb': pdb });
    await push(symbols(), '/symbolpackage').expect(201);
    await push(symbols(), '/symbolpackage').expect(409);
    await push(symbols('DummyPackage'), '/symbolpackage').expect(400);
    await push(
      snupkg({ id: 'Unknown.Package', version: '1.0.0' }, { 'test.pdb': pdb }),
      '/symbolpackage',
    ).expect(404);
    await push(symbols(), '/').expect(400);

    const sym = await get(`/symbols/test.pdb/${PDB_ID}FFFFffff/test.pdb`).expect(200);
    expect(Buffer.compare(sym.body as Buffer, pdb)).toBe(0);
    await get(`/symbols/test.pdb/${PDB_ID}FFFFFFFF/other.pdb`).expect(400);
    await get(`/symbols/test.pdb/${'0'.repeat(32)}FFFFFFFF/test.pdb`).expect(404);
    await get('/package/test.package/1.0.3/test.package.1.0.3.snupkg').expect(200);
  });

  it('refuses hostile and malformed pushes with a 4xx that stores nothing', async () => {
    const cases: [string, Buffer, number, RegExp][] = [
      [
        'external entity',
        nupkg({
          id: 'Evil.Xxe',
          version: '1.0.0',
          description: '&xxe;',
          prolog: '<!DOCTYPE package [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n',
        }),
        400,
        /DOCTYPE/,
      ],
      [
        'entity expansion',
        nupkg({
          id: 'Evil.Lol',
          version: '1.0.0',
          prolog: '<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]>\n',
        }),
        400,
        /DOCTYPE/,
      ],
      [
        'no nuspec',
        composerArchive([{ name: 'lib/a.dll', text: 'x' }], 'zip'),
        400,
        /nuspec file is missing/,
      ],
      [
        'nuspec not at the root',
        composerArchive([{ name: 'sub/a.nuspec', text: nuspec({ id: 'A', version: '1.0.0' }) }]),
        400,
        /nuspec file is missing/,
      ],
      ['not a zip', Buffer.from('not a zip at all'), 400, /not a zip/],
      ['bad id', nupkg({ id: 'bad id!', version: '1.0.0' }), 400, /invalid package id/],
      ['bad version', nupkg({ id: 'Good.Id', version: '1.0.0.0.1' }), 400, /version/],
      ['symbols to /', snupkg({ id: 'Good.Id', version: '1.0.0' }, {}), 400, /symbol package/],
      [
        'zip bomb',
        nupkg({ id: 'Evil.Bomb', version: '1.0.0' }, [
          { name: 'Evil.Bomb.nuspec', text: nuspec({ id: 'Evil.Bomb', version: '1.0.0' }) },
          { name: 'lib/zeros.dll', zeros: 1100 * 1024 * 1024 },
        ]),
        413,
        /unpacks to more than/,
      ],
    ];
    for (const [what, body, status, message] of cases) {
      const before = await storedState(t);
      const res = await push(body);
      expect([what, res.status]).toEqual([what, status]);
      expect([what, res.body.Message]).toEqual([what, expect.stringMatching(message)]);
      expect([what, await storedState(t)]).toEqual([what, before]);
    }
  }, 120_000);

  it('keeps a private owner hidden and deletes a version so its downloads answer 404', async () => {
    await request(t.url).get('/api/packages/carol/nuget/index.json').expect(401);
    await request(t.url)
      .get('/api/packages/carol/nuget/index.json')
      .auth('alice', PASSWORD)
      .expect(404);
    await request(t.url)
      .delete(`${base}/Test.Package/1.0.3`)
      .set('X-NuGet-ApiKey', token)
      .expect(204);
    await get('/package/test.package/1.0.3/test.package.1.0.3.nupkg').expect(404);
    await get('/package/test.package/1.0.3/test.package.1.0.3.snupkg').expect(404);
    await get(`/symbols/test.pdb/${PDB_ID}FFFFFFFF/test.pdb`).expect(404);
    expect((await get('/package/test.package/index.json').expect(200)).body.versions).toEqual([
      '1.0.99',
    ]);
    await request(t.url)
      .delete(`${base}/Test.Package/1.0.3`)
      .set('X-NuGet-ApiKey', token)
      .expect(404);
  });
});
