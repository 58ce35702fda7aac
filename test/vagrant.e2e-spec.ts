import { createHash, randomBytes } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import request from 'supertest';
import { Database, PackageVersionEntity } from '@wharf/packages-core';
import { describeEachBackend } from './support/backends';
import { ADMIN_ENV, createToken, createUser, PASSWORD } from './support/clients/accounts';
import { binary } from './support/clients/container';
import { downloadCount, storedCounts } from './support/clients/inspect';
import { HOSTILE_ZIPS } from './support/format-kit/hostile-archives';
import { buildBox, gzipTarBomb } from './support/clients/vagrant';
import { startTestApp, TestApp } from './support/test-app';

const sha512 = (b: Buffer) => createHash('sha512').update(b).digest('hex');

/** Vagrant boxes over HTTP (docs/protocols/vagrant.md §7: Forgejo's TestPackageVagrant, plus archive kinds, deletes and refusals). */
describeEachBackend('vagrant registry', (backend) => {
  let t: TestApp;
  let token: string;
  const base = (owner = 'alice') => `/api/packages/${owner}/vagrant`;
  const url = (owner = 'alice') => `${t.url}${base(owner)}`;

  const put = (path: string, body: Buffer, auth = `Bearer ${token}`) =>
    request(t.url)
      .put(`${base()}/${path}`)
      .set('Authorization', auth)
      .set('Content-Type', 'application/octet-stream')
      .send(body);

  beforeAll(async () => {
    t = await startTestApp(backend, { ...ADMIN_ENV, REGISTRY_LIMIT_SIZE_VAGRANT: '16 MiB' });
    await createUser(t.url, 'alice');
    await createUser(t.url, 'bob');
    token = await createToken(t.url, 'alice');
  });
  afterAll(async () => t?.close());

  it('answers /authenticate 200 for a token (Bearer or Basic) and 401 otherwise, in Vagrant Cloud’s error body', async () => {
    const anonymous = await request(t.url).get(`${base()}/authenticate`).expect(401);
    expect(anonymous.body).toEqual({ errors: ['Invalid access token'] });
    expect(anonymous.headers['www-authenticate']).toBe('Basic realm="Wharf"');
    await request(t.url)
      .get(`${base()}/authenticate`)
      .set('Authorization', 'Bearer not-a-token')
      .expect(401);
    await request(t.url)
      .get(`${base()}/authenticate`)
      .set('Authorization', `Bearer ${token}`)
      .expect(200);
    await request(t.url).get(`${base()}/authenticate`).auth('alice', token).expect(200);
    await request(t.url).get(`${base()}/authenticate?access_token=${token}`).expect(200);
    // Any signed-in user passes, as on Forgejo: the check is of the token, not of rights.
    await request(t.url).get(`${base()}/authenticate`).auth('bob', PASSWORD).expect(200);
  });

  it("takes Forgejo's upload: 401 anonymous, 201 empty, 409 again; HEAD says application/json; the box served byte for byte and counted", async () => {
    const box = buildBox({ info: { description: 'Test Description' } });
    await request(t.url).head(`${base()}/test_package`).expect(404);
    await request(t.url).put(`${base()}/test_package/1.0.1/virtualbox.box`).send(box).expect(401);
    const created = await put('test_package/1.0.1/virtualbox.box', box).expect(201);
    expect(created.text).toBe('');
    const again = await put('test_package/1.0.1/virtualbox.box', box).expect(409);
    expect(again.body.errors[0]).toMatch(/already exists/);

    const head = await request(t.url).head(`${base()}/test_package`).expect(200);
    expect(head.headers['content-type']).toMatch(/^application\/json/);

    const catalog = await request(t.url).get(`${base()}/test_package`).expect(200);
    expect(catalog.headers['x-content-type-options']).toBe('nosniff');
    expect(catalog.body).toEqual({
      name: 'test_package',
      description: 'Test Description',
      versions: [
        {
          version: '1.0.1',
          status: 'active',
          providers: [
            {
              name: 'virtualbox',
              url: `${url()}/test_package/1.0.1/virtualbox.box`,
              checksum: sha512(box),
              checksum_type: 'sha512',
            },
          ],
        },
      ],
    });
    await request(t.url)
      .get(`${base()}/test_package`)
      .set('If-None-Match', catalog.headers.etag)
      .expect(304);
    // Names and versions are looked up without regard to case.
    await request(t.url).get(`${base()}/TEST_PACKAGE`).expect(200);

    const got = await request(t.url)
      .get(`${base()}/test_package/1.0.1/virtualbox.box`)
      .buffer(true)
      .parse(binary)
      .expect(200);
    expect(Buffer.compare(got.body as Buffer, box)).toBe(0);
    const versionId = Number(
      (
        await request(t.url)
          .get('/api/v1/packages/alice/vagrant/test_package/1.0.1')
          .auth('alice', PASSWORD)
          .expect(200)
      ).body.id,
    );
    expect(await downloadCount(t, versionId)).toBe(1);
    await request(t.url).get(`${base()}/test_package/1.0.1/libvirt.box`).expect(404);
    await request(t.url).get(`${base()}/test_package/9.9.9/virtualbox.box`).expect(404);
    await request(t.url).get(`${base()}/nothing`).expect(404);
  });

  it('takes boxes as tar, tar.gz, tar.bz2, tar.xz and zip, one file per provider; versions in Vagrant order, the description the newest one’s', async () => {
    const boxes = {
      '1.2.0/virtualbox.box': buildBox({ format: 'tar', info: { description: 'one-two' } }),
      '1.2.0/libvirt.box': buildBox({ provider: 'libvirt', format: 'tar.xz' }),
      '1.10.0/virtualbox.box': buildBox({
        format: 'zip',
        info: { Description: 'ten', homepage: 'https://example.com', author: 'Ann' },
      }),
      '1.10.0-rc.1/virtualbox.box': buildBox({ format: 'tar.bz2' }),
      // A metadata.json naming no provider: accepted, as Forgejo does (Vagrant 2.3 wants one).
      '1.9.0/hyperv.box': buildBox({ provider: 'hyperv', files: { 'metadata.json': '{}' } }),
    };
    for (const [path, body] of Object.entries(boxes)) await put(`multi/${path}`, body).expect(201);
    const catalog = (await request(t.url).get(`${base()}/multi`).expect(200)).body;
    expect(catalog.description).toBe('ten');
    expect(
      catalog.versions.map((v: { version: string; providers: { name: string }[] }) => [
        v.version,
        v.providers.map((p) => p.name),
      ]),
    ).toEqual([
      ['1.2.0', ['libvirt', 'virtualbox']],
      ['1.9.0', ['hyperv']],
      ['1.10.0-rc.1', ['virtualbox']],
      ['1.10.0', ['virtualbox']],
    ]);
    const zip = catalog.versions[3].providers[0];
    expect(zip.checksum).toBe(sha512(boxes['1.10.0/virtualbox.box']));
    const versionId = (
      await request(t.url)
        .get('/api/v1/packages/alice/vagrant/multi/1.10.0')
        .auth('alice', PASSWORD)
        .expect(200)
    ).body.id as number;
    const row = await t.app
      .get(Database)
      .manager.findOneByOrFail(PackageVersionEntity, { id: versionId });
    expect(JSON.parse(row.metadataJson!)).toEqual({
      description: 'ten',
      projectUrl: 'https://example.com',
      author: 'Ann',
    });
    // Vagrant reads 1.2 as 1.2.0: another spelling of a version is the same version.
    const spelled = await put('multi/1.2/docker.box', buildBox({ provider: 'docker' })).expect(409);
    expect(spelled.body.errors[0]).toMatch(/already exists as 1\.2\.0/);
  });

  it('deletes one provider’s box, then the version with its last box; the catalog follows', async () => {
    await put('gone/1.0.0/virtualbox.box', buildBox()).expect(201);
    await put('gone/1.0.0/libvirt.box', buildBox({ provider: 'libvirt' })).expect(201);
    await put('gone/2.0.0/virtualbox.box', buildBox()).expect(201);
    await request(t.url).get(`${base()}/gone`).expect(200);

    await request(t.url).delete(`${base()}/gone/1.0.0/libvirt.box`).expect(401);
    await request(t.url)
      .delete(`${base()}/gone/1.0.0/libvirt.box`)
      .auth('bob', PASSWORD)
      .expect(403);
    await request(t.url)
      .delete(`${base()}/gone/1.0.0/libvirt.box`)
      .set('Authorization', `Bearer ${token}`)
      .expect(204);
    let catalog = (await request(t.url).get(`${base()}/gone`).expect(200)).body;
    expect(catalog.versions[0].providers.map((p: { name: string }) => p.name)).toEqual([
      'virtualbox',
    ]);
    await request(t.url).get(`${base()}/gone/1.0.0/libvirt.box`).expect(404);

    await request(t.url)
      .delete(`${base()}/gone/1.0.0`)
      .set('Authorization', `Bearer ${token}`)
      .expect(204);
    catalog = (await request(t.url).get(`${base()}/gone`).expect(200)).body;
    expect(catalog.versions.map((v: { version: string }) => v.version)).toEqual(['2.0.0']);
    await request(t.url)
      .delete(`${base()}/gone/2.0.0/virtualbox.box`)
      .set('Authorization', `Bearer ${token}`)
      .expect(204);
    await request(t.url).get(`${base()}/gone`).expect(404);
    await request(t.url)
      .delete(`${base()}/gone/2.0.0`)
      .set('Authorization', `Bearer ${token}`)
      .expect(404);
  });

  describe('refuses, storing nothing', () => {
    const refused: [string, string, () => Buffer, number, RegExp][] = [
      [
        'a box that is no archive',
        'bad/1.0.0/virtualbox.box',
        () => randomBytes(4096),
        400,
        /not a box/,
      ],
      [
        'a text file',
        'bad/1.0.0/virtualbox.box',
        () => Buffer.from('hello\n'.repeat(200)),
        400,
        /not a box/,
      ],
      [
        'a gzip that holds no tar',
        'bad/1.0.0/virtualbox.box',
        () => gzipSync(randomBytes(4096)),
        400,
        /the box/,
      ],
      ['an empty body', 'bad/1.0.0/virtualbox.box', () => Buffer.alloc(0), 400, /empty/],
      [
        'a tar bomb',
        'bad/1.0.0/virtualbox.box',
        () => gzipTarBomb(1100 * 1024 * 1024),
        413,
        /unpacks to more than/,
      ],
      [
        'a "../" entry',
        'bad/1.0.0/virtualbox.box',
        () => buildBox({ rename: ',^box-disk,../box-disk,' }),
        400,
        /"\.\.\/box-disk001\.vmdk".*"\.\." segment/,
      ],
      [
        'an absolute entry',
        'bad/1.0.0/virtualbox.box',
        () => buildBox({ rename: ',^box-disk,/tmp/box-disk,', format: 'zip' }),
        400,
        /absolute/i,
      ],
      [
        'a symbolic link',
        'bad/1.0.0/virtualbox.box',
        () => buildBox({ symlinks: { passwd: '/etc/passwd' } }),
        400,
        /symbolic link/,
      ],
      [
        'metadata.json naming another provider',
        'bad/1.0.0/virtualbox.box',
        () => buildBox({ provider: 'libvirt' }),
        400,
        /provider "libvirt", but it is uploaded as virtualbox\.box/,
      ],
      [
        'an info.json that is no JSON object',
        'bad/1.0.0/virtualbox.box',
        () => buildBox({ files: { 'info.json': '["x"]' } }),
        400,
        /info\.json in the box must be a JSON object/,
      ],
      ['a bad box name', '..bad/1.0.0/virtualbox.box', () => buildBox(), 400, /invalid box name/],
      [
        'a reserved box name',
        'authenticate/1.0.0/virtualbox.box',
        () => buildBox(),
        400,
        /own paths/,
      ],
      ['a bad version', 'bad/v1.0/virtualbox.box', () => buildBox(), 400, /invalid box version/],
      [
        'a build-metadata version',
        'bad/1.0.0+b1/virtualbox.box',
        () => buildBox(),
        400,
        /invalid box version/,
      ],
      [
        'a bad provider',
        'bad/1.0.0/Virtual%20Box.box',
        () => buildBox(),
        400,
        /invalid box provider/,
      ],
      [
        'a file that is no .box',
        'bad/1.0.0/virtualbox.tar',
        () => buildBox(),
        400,
        /\{provider\}\.box/,
      ],
      ['a bare .box', 'bad/1.0.0/.box', () => buildBox(), 400, /\{provider\}\.box/],
      ['an encoded path', 'bad/1.0.0/..%252fx.box', () => buildBox(), 400, /invalid box provider/],
      [
        'a box over the size limit',
        'bad/1.0.0/virtualbox.box',
        () => randomBytes(17 * 1024 * 1024),
        413,
        /size limit/,
      ],
    ];
    it.each(refused)('%s', async (_what, path, body, status, message) => {
      const before = await storedCounts(t);
      const res = await put(path, body()).expect(status);
      expect(res.body.errors[0]).toMatch(message);
      expect(await storedCounts(t)).toEqual(before);
      await request(t.url).get(`${base()}/bad`).expect(404);
    });
  });

  // The corpus test runs the hostile tars; a zip is a box too, so the zip set runs here
  // (but for its "gzip where a zip is due", which is a valid box).
  const zips = HOSTILE_ZIPS.filter((a) => !a.label.startsWith('wrong magic'));
  it.each(zips.map((a) => [a.label, a] as const))('refuses a zip box: %s', async (_label, a) => {
    const before = await storedCounts(t);
    const body = await a.build({ name: 'metadata.json', body: '{"provider":"virtualbox"}' });
    const res = await put('zipbad/1.0.0/virtualbox.box', body);
    expect([res.status >= 400 && res.status < 500, res.body.errors?.[0]]).toEqual([
      true,
      expect.any(String),
    ]);
    expect(await storedCounts(t)).toEqual(before);
  });

  it('checks the names of download and delete paths too', async () => {
    await request(t.url).get(`${base()}/bad/1.0.0/VirtualBox.box`).expect(400);
    await request(t.url).get(`${base()}/bad/not-a-version/virtualbox.box`).expect(400);
    await request(t.url).get(`${base()}/bad%2e%2e`).expect(400);
    await request(t.url)
      .delete(`${base()}/bad/1.0.0/x.tar`)
      .set('Authorization', `Bearer ${token}`)
      .expect(400);
  });
});
