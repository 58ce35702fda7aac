import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import request from 'supertest';
import { describeEachBackend } from './support/backends';
import { ADMIN_ENV, createToken, createUser, PASSWORD } from './support/clients/accounts';
import {
  buildConda,
  buildTarBz2,
  bz2Bomb,
  condaFileName,
  condaIndex,
} from './support/clients/conda';
import { binary } from './support/clients/container';
import { downloadCount, storedCounts } from './support/clients/inspect';
import { startTestApp, TestApp } from './support/test-app';

const hash = (algo: string, b: Buffer) => createHash(algo).update(b).digest('hex');

/*
 * conda channels over HTTP (docs/protocols/conda.md §7: Forgejo's TestPackageConda, plus
 * conda's own reading). The client side follows conda 24.x, conda/gateways/repodata/__init__.py
 * (conda/conda at 009b4d2a): CondaRepoInterface GETs `{channel}/{subdir}/repodata.json`
 * with If-None-Match, takes 304 as "unchanged", and conda_http_errors makes a 404 for
 * `noarch` an UnavailableInvalidChannel (another subdir's 404 is only "empty"); the
 * ZstdRepoInterface first tries `repodata.json.zst` and falls back on a 404. Then
 * conda/core/subdir_data.py reads `info.subdir`, `packages` and `packages.conda` keyed by
 * file name, and the fetch joins channel URL, subdir and file name for the download,
 * checked against the record's sha256/md5 and size.
 */
describeEachBackend('conda registry', (backend) => {
  let t: TestApp;
  let token: string;
  const base = (owner = 'alice') => `/api/packages/${owner}/conda`;

  const put = (path: string, body: Buffer) =>
    request(t.url)
      .put(`${base()}/${path}`)
      .auth('alice', token)
      .set('Content-Type', 'application/octet-stream')
      .send(body);

  /** What conda does for one channel URL: noarch and the platform subdir, as JSON. */
  const fetchRepodata = async (channelPath: string, subdir: string) => {
    const zst = await request(t.url).get(`${base()}${channelPath}/${subdir}/repodata.json.zst`);
    expect(zst.status).toBe(404);
    const res = await request(t.url)
      .get(`${base()}${channelPath}/${subdir}/repodata.json`)
      .expect(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    const doc = JSON.parse(res.text) as {
      info: { subdir: string };
      packages: Record<string, Record<string, unknown>>;
      'packages.conda': Record<string, Record<string, unknown>>;
    };
    expect(doc.info.subdir).toBe(subdir);
    return { doc, etag: res.headers.etag as string };
  };

  beforeAll(async () => {
    t = await startTestApp(backend, { ...ADMIN_ENV, REGISTRY_LIMIT_SIZE_CONDA: '16 MiB' });
    await createUser(t.url, 'alice');
    token = await createToken(t.url, 'alice');
  });
  afterAll(async () => t?.close());

  it('takes a .tar.bz2 and a .conda (Forgejo: 401 anonymous, 201 empty, 409 again), lists both in repodata, serves them byte for byte and counts', async () => {
    const index = condaIndex('test_package', '1.0.1', {
      depends: ['python >=3.8'],
      constrains: ['numpy >=1.20'],
    });
    const about = { summary: 'A package', home: 'https://example.com', dev_url: 'not a url' };
    const v1 = buildTarBz2({ index, about });
    const v2 = buildConda({ index, about });

    await request(t.url)
      .put(`${base()}/${condaFileName(index, '.tar.bz2')}`)
      .send(v1)
      .expect(401);
    const created = await put(condaFileName(index, '.tar.bz2'), v1).expect(201);
    expect(created.text).toBe('');
    // The URL's file name is not the stored one: index.json names the file.
    await put('whatever.conda', v2).expect(201);
    const again = await put(condaFileName(index, '.tar.bz2'), v1).expect(409);
    expect(again.body).toEqual({ reason: 'Conflict', message: expect.any(String) });

    const { doc, etag } = await fetchRepodata('', 'noarch');
    const record = (b: Buffer) => ({
      name: 'test_package',
      version: '1.0.1',
      build: 'py_0',
      build_number: 0,
      depends: ['python >=3.8'],
      constrains: ['numpy >=1.20'],
      license: 'MIT',
      noarch: 'python',
      subdir: 'noarch',
      timestamp: 1700000000000,
      md5: hash('md5', b),
      sha256: hash('sha256', b),
      size: b.length,
    });
    expect(doc.packages).toEqual({ 'test_package-1.0.1-py_0.tar.bz2': record(v1) });
    expect(doc['packages.conda']).toEqual({ 'test_package-1.0.1-py_0.conda': record(v2) });
    await request(t.url)
      .get(`${base()}/noarch/repodata.json`)
      .set('If-None-Match', etag)
      .expect(304);
    const current = await request(t.url).get(`${base()}/noarch/current_repodata.json`).expect(200);
    expect(JSON.parse(current.text)).toEqual(doc);

    for (const [name, bytes] of [
      ['test_package-1.0.1-py_0.tar.bz2', v1],
      ['test_package-1.0.1-py_0.conda', v2],
    ] as const) {
      const got = await request(t.url)
        .get(`${base()}/noarch/${name}`)
        .buffer(true)
        .parse(binary)
        .expect(200);
      expect(hash('sha256', got.body as Buffer)).toBe(
        doc.packages[name]?.sha256 ?? doc['packages.conda'][name].sha256,
      );
      expect(Buffer.compare(got.body as Buffer, bytes)).toBe(0);
    }
    const version = await request(t.url)
      .get('/api/v1/packages/alice/conda/test_package/1.0.1')
      .auth('alice', PASSWORD)
      .expect(200);
    expect(await downloadCount(t, Number(version.body.id))).toBe(2);
    await request(t.url).get(`${base()}/linux-64/test_package-1.0.1-py_0.conda`).expect(404);
    await request(t.url).get(`${base()}/noarch/test_package-9.9-py_0.conda`).expect(404);
    await request(t.url).get(`${base()}/noarch/index.html`).expect(404);
  });

  it('serves repodata.json.bz2 as rattler (pixi) reads it: found by HEAD, the same JSON once decompressed, renewed by a write', async () => {
    const subdir = 'linux-aarch64';
    const channel = `${base()}/bz/${subdir}`;
    const publish = (version: string) =>
      put(
        `bz/x.tar.bz2`,
        buildTarBz2({ index: condaIndex('zipped', version, { subdir, arch: 'aarch64' }) }),
      ).expect(201);
    /** rattler's fetch_repo_data: HEAD .zst and .bz2, then GET the .bz2 (Accept-Encoding: gzip). */
    const fetchBz2 = async (file = 'repodata.json') => {
      await request(t.url).head(`${channel}/${file}.zst`).expect(404);
      const head = await request(t.url).head(`${channel}/${file}.bz2`).expect(200);
      const res = await request(t.url)
        .get(`${channel}/${file}.bz2`)
        .set('Accept-Encoding', 'gzip')
        .buffer(true)
        .parse(binary)
        .expect(200);
      expect(res.headers['content-type']).toBe('application/x-bzip2');
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(head.headers.etag).toBe(res.headers.etag);
      expect(Number(head.headers['content-length'])).toBe((res.body as Buffer).length);
      return { body: res.body as Buffer, etag: res.headers.etag as string };
    };
    /** What bzip2 itself reads back (core's own reader is checked against it in compress-bzip2.spec.ts). */
    const bunzip = async (bz2: Buffer) => {
      const cli = spawnSync('bzip2', ['-dc'], { input: bz2 });
      expect(cli.status).toBe(0);
      return cli.stdout;
    };
    const plain = async () =>
      (await request(t.url).get(`${channel}/repodata.json`).buffer(true).parse(binary).expect(200))
        .body as Buffer;

    // An empty subdir has an empty repodata, compressed too.
    expect((await bunzip((await fetchBz2()).body)).equals(await plain())).toBe(true);
    await publish('1.0');
    const first = await fetchBz2();
    expect(first.body.subarray(0, 3).toString()).toBe('BZh');
    const json = await plain();
    expect((await bunzip(first.body)).equals(json)).toBe(true);
    expect(Object.keys(JSON.parse(json.toString()).packages)).toEqual(['zipped-1.0-py_0.tar.bz2']);
    expect(first.etag).not.toBe(
      (await request(t.url).head(`${channel}/repodata.json`)).headers.etag,
    );
    await request(t.url)
      .get(`${channel}/repodata.json.bz2`)
      .set('If-None-Match', first.etag)
      .expect(304);
    expect((await fetchBz2('current_repodata.json')).body.equals(first.body)).toBe(true);

    await publish('2.0');
    const second = await fetchBz2();
    expect(second.etag).not.toBe(first.etag);
    const json2 = await plain();
    expect((await bunzip(second.body)).equals(json2)).toBe(true);
    expect(Object.keys(JSON.parse(json2.toString()).packages)).toHaveLength(2);
    await request(t.url).get(`${channel}/repodata.json.jlap`).expect(404);
    await request(t.url).get(`${channel}/index.json.bz2`).expect(404);
  });

  it('drops a version deleted through the management API from the next repodata, though it was cached', async () => {
    const index = condaIndex('gone_pkg', '2.0.0');
    await put(condaFileName(index, '.tar.bz2'), buildTarBz2({ index })).expect(201);
    const before = await fetchRepodata('', index.subdir as string);
    expect(Object.keys(before.doc.packages)).toContain(condaFileName(index, '.tar.bz2'));
    await request(t.url)
      .delete('/api/v1/packages/alice/conda/gone_pkg/2.0.0')
      .auth('alice', PASSWORD)
      .expect(204);
    const after = await fetchRepodata('', index.subdir as string);
    expect(Object.keys(after.doc.packages)).not.toContain(condaFileName(index, '.tar.bz2'));
    expect(after.etag).not.toBe(before.etag);
  });

  it('puts a package in the subdir its index.json names; every subdir answers, noarch included, empty when nothing is there', async () => {
    const index = condaIndex('native', '2.0', {
      build: 'h1234_1',
      build_number: 1,
      noarch: undefined,
      subdir: 'linux-64',
      arch: 'x86_64',
      platform: 'linux',
    });
    await put('x.tar.bz2', buildTarBz2({ index })).expect(201);
    await put('team/nightly/x.conda', buildConda({ index })).expect(201);

    const linux = (await fetchRepodata('', 'linux-64')).doc;
    expect(Object.keys(linux.packages)).toEqual(['native-2.0-h1234_1.tar.bz2']);
    expect(linux.packages['native-2.0-h1234_1.tar.bz2']).toMatchObject({
      subdir: 'linux-64',
      arch: 'x86_64',
      platform: 'linux',
      build_number: 1,
    });
    expect(linux['packages.conda']).toEqual({});
    // A channel holding only linux-64 packages still has a noarch (conda needs it).
    const empty = (await fetchRepodata('/team/nightly', 'noarch')).doc;
    expect(empty).toEqual({
      info: { subdir: 'noarch' },
      packages: {},
      'packages.conda': {},
      removed: [],
      repodata_version: 1,
    });
    const nightly = (await fetchRepodata('/team/nightly', 'linux-64')).doc;
    expect(Object.keys(nightly['packages.conda'])).toEqual(['native-2.0-h1234_1.conda']);
    expect(nightly.packages).toEqual({});
    // Channels do not see each other's files.
    await request(t.url)
      .get(`${base()}/team/nightly/linux-64/native-2.0-h1234_1.tar.bz2`)
      .expect(404);
    await request(t.url)
      .get(`${base()}/team/nightly/linux-64/native-2.0-h1234_1.conda`)
      .expect(200);
    await request(t.url).get(`${base()}/linux-64/native-2.0-h1234_1.conda`).expect(404);
    // An invalid subdir or channel is a 400, not an empty index.
    await request(t.url).get(`${base()}/Linux_64!/repodata.json`).expect(400);
    await request(t.url).get(`${base()}/Team/noarch/repodata.json`).expect(400);
  });

  describe('refuses, storing nothing', () => {
    const cases: [string, string, () => Buffer, number, RegExp][] = [
      [
        'a .tar.bz2 without info/index.json',
        'a.tar.bz2',
        () => buildTarBz2({ index: condaIndex('a', '1'), noIndex: true }),
        400,
        /info\/index.json/,
      ],
      [
        'a .conda without info/index.json',
        'a.conda',
        () => buildConda({ index: condaIndex('a', '1'), noIndex: true }),
        400,
        /info\/index.json/,
      ],
      [
        'a .conda without info-*.tar.zst',
        'a.conda',
        () => buildConda({ index: condaIndex('a', '1'), noInfoMember: true }),
        400,
        /info-\*\.tar\.zst/,
      ],
      [
        'an upper-case name',
        'a.tar.bz2',
        () => buildTarBz2({ index: condaIndex('Bad', '1') }),
        400,
        /conda package name/,
      ],
      [
        'a name with a space',
        'a.conda',
        () => buildConda({ index: condaIndex('a b', '1') }),
        400,
        /conda package name/,
      ],
      [
        'a version with "-"',
        'a.tar.bz2',
        () => buildTarBz2({ index: condaIndex('a', '1.0-1') }),
        400,
        /conda version/,
      ],
      [
        'a build with "/"',
        'a.tar.bz2',
        () => buildTarBz2({ index: condaIndex('a', '1', { build: 'x/y' }) }),
        400,
        /build/,
      ],
      [
        'depends that is not a list',
        'a.tar.bz2',
        () => buildTarBz2({ index: condaIndex('a', '1', { depends: 'python' }) }),
        400,
        /depends/,
      ],
      [
        'another file name',
        'a.zip',
        () => buildTarBz2({ index: condaIndex('a', '1') }),
        400,
        /\.tar\.bz2 or \.conda/,
      ],
      ['not an archive', 'a.tar.bz2', () => Buffer.from('hello'), 400, /./],
      [
        'a bzip2 bomb before index.json',
        'a.tar.bz2',
        () => bz2Bomb(80, condaIndex('a', '1')),
        413,
        /./,
      ],
    ];
    it.each(cases)('%s', async (_label, path, build, status, message) => {
      const before = await storedCounts(t);
      const res = await put(path, build()).expect(status);
      expect(res.body.message).toMatch(message);
      expect(res.body.reason).toBeTruthy();
      expect(await storedCounts(t)).toEqual(before);
    });

    it('an invalid channel', async () => {
      const before = await storedCounts(t);
      await put('Bad Channel/a.conda', buildConda({ index: condaIndex('a', '1') })).expect(400);
      await put('a/../b/a.conda', buildConda({ index: condaIndex('a', '1') })).expect(400);
      expect(await storedCounts(t)).toEqual(before);
    });
  });
});
