import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { gunzipSync, gzipSync, inflateSync } from 'node:zlib';
import request from 'supertest';
import { In } from 'typeorm';
import { Database, PackageVersionEntity } from '@wharf/packages-core';
import { describeEachBackend } from './support/backends';
import { ADMIN_ENV, createOrg, createToken, createUser } from './support/clients/accounts';
import { downloadCount, storedCounts } from './support/clients/inspect';
import { gemspecYaml, gemTar, gemWith } from './support/clients/rubygems';
import { storedState } from './support/format-kit';
import { startTestApp, TestApp } from './support/test-app';

const FIXTURES = path.resolve(__dirname, '../libs/registries/rubygems/src/fixtures');
const fixture = (name: string) => readFileSync(path.join(FIXTURES, name));
const md5 = (b: string | Buffer) => createHash('md5').update(b).digest('hex');
const sha256 = (b: string | Buffer) => createHash('sha256').update(b).digest('hex');
const HELLO = 'wharf-hello-1.2.0.gem';
const HELLO_LINUX = 'wharf-hello-1.2.0-x86_64-linux.gem';
const HELLO_PRE = 'wharf-hello-2.0.0.pre1.gem';

/** The RubyGems registry over HTTP (docs/protocols/rubygems.md §7, Forgejo's TestPackageRubyGems, plus refusals). */
describeEachBackend('rubygems registry', (backend) => {
  let t: TestApp;
  let token: string;
  let readToken: string;
  const base = (owner = 'alice') => `/api/packages/${owner}/rubygems`;
  // gem push sends the key verbatim in Authorization, with no scheme (§5).
  const push = (body: Buffer, owner = 'alice', key = token) =>
    request(t.url)
      .post(`${base(owner)}/api/v1/gems`)
      .set('Authorization', key)
      .set('Content-Type', 'application/octet-stream')
      .send(body);
  const get = (p: string) =>
    request(t.url)
      .get(`${base()}${p}`)
      .buffer(true)
      .parse((res, cb) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => cb(null, Buffer.concat(chunks)));
      });

  beforeAll(async () => {
    t = await startTestApp(backend, { ...ADMIN_ENV, REGISTRY_LIMIT_SIZE_RUBYGEMS: '1 MiB' });
    await createUser(t.url, 'alice');
    await createUser(t.url, 'bob');
    await createOrg(t.url, 'alice', 'acme', 'private', { bob: 'read' });
    token = await createToken(t.url, 'alice');
    readToken = await createToken(t.url, 'bob', ['read:package']);
  });
  afterAll(() => t?.close());

  it('takes gem push with the raw key, answers 409 for the same version and platform', async () => {
    const res = await push(fixture(HELLO)).expect(201);
    expect(res.text).toBe('Successfully registered gem: wharf-hello (1.2.0)');
    expect((await push(fixture(HELLO)).expect(409)).headers['content-type']).toMatch(/text\/plain/);
    // Same version, another platform: a version of its own (Forgejo refuses it).
    await push(fixture(HELLO_LINUX)).expect(201);
    await push(fixture(HELLO_PRE)).expect(201);
    // HTTP Basic with the token as the password works too.
    await request(t.url)
      .post(`${base('acme')}/api/v1/gems`)
      .auth('alice', token)
      .send(fixture(HELLO))
      .expect(201);
  });

  it('serves the gem (counting downloads) and its quick spec (not counting)', async () => {
    const gem = await get(`/gems/${HELLO}`).expect(200);
    expect(Buffer.compare(gem.body as Buffer, fixture(HELLO))).toBe(0);
    expect(gem.headers['content-type']).toBe('application/octet-stream');
    const quick = await get('/quick/Marshal.4.8/wharf-hello-1.2.0.gemspec.rz').expect(200);
    const marshal = inflateSync(quick.body as Buffer);
    expect(marshal.subarray(0, 2)).toEqual(Buffer.from([4, 8]));
    expect(marshal.includes(Buffer.from('Gem::Specification'))).toBe(true);
    await get('/quick/Marshal.4.8/wharf-hello-1.2.0-x86_64-linux.gemspec.rz').expect(200);
    await get('/quick/Marshal.4.8/wharf-hello-9.9.gemspec.rz').expect(404);
    await get('/quick/Marshal.4.8/wharf-hello-1.2.0.gemspec').expect(404);
    await get('/gems/wharf-hello-9.9.gem').expect(404);
    const versions = await t.app
      .get(Database)
      .manager.findBy(PackageVersionEntity, { version: In(['1.2.0', '1.2.0-x86_64-linux']) });
    const counts = await Promise.all(versions.map((v) => downloadCount(t, v.id)));
    expect(counts.sort()).toEqual([0, 0, 1]); // alice's 1.2.0 once; its linux build and acme's never
  });

  it('serves the legacy specs lists, releases and prereleases apart', async () => {
    const load = async (p: string) => {
      const res = await get(p).expect(200);
      expect(res.headers['content-type']).toBe('application/octet-stream');
      return gunzipSync(res.body as Buffer);
    };
    const specs = await load('/specs.4.8.gz');
    expect(specs.includes(Buffer.from('x86_64-linux'))).toBe(true);
    expect(specs.includes(Buffer.from('2.0.0.pre1'))).toBe(false);
    expect((await load('/prerelease_specs.4.8.gz')).includes(Buffer.from('2.0.0.pre1'))).toBe(true);
    expect((await load('/latest_specs.4.8.gz')).includes(Buffer.from('1.2.0'))).toBe(true);
    const first = await get('/specs.4.8.gz').expect(200);
    await get('/specs.4.8.gz').set('If-None-Match', first.headers.etag).expect(304);
  });

  it('serves the compact index with the MD5s and ETags Bundler checks', async () => {
    const info = await request(t.url).get(`${base()}/info/wharf-hello`).expect(200);
    expect(info.headers['content-type']).toBe('text/plain; charset=utf-8');
    const sum = (f: string) => sha256(fixture(f));
    expect(info.text).toBe(
      '---\n' +
        `1.2.0 rake:>= 1.2.0&< 2.0,json:>= 0|checksum:${sum(HELLO)},ruby:>= 2.3.0\n` +
        `1.2.0-x86_64-linux rake:>= 1.2.0&< 2.0,json:>= 0|checksum:${sum(HELLO_LINUX)},ruby:>= 2.3.0\n` +
        `2.0.0.pre1 rake:>= 1.2.0&< 2.0,json:>= 0|checksum:${sum(HELLO_PRE)},ruby:>= 2.3.0,rubygems:> 1.3.1\n`,
    );
    expect(info.headers.etag).toBe(`"${md5(info.text)}"`);
    expect(info.headers['repr-digest']).toBe(
      `sha-256=:${createHash('sha256').update(info.text).digest('base64')}:`,
    );
    await request(t.url)
      .get(`${base()}/info/wharf-hello`)
      .set('If-None-Match', info.headers.etag)
      .expect(304);
    const versions = await request(t.url).get(`${base()}/versions`).expect(200);
    expect(versions.text).toMatch(/^created_at: \d{4}-\d\d-\d\dT[\d:]+Z\n---\n/);
    expect(versions.text.split('---\n')[1]).toBe(
      `wharf-hello 1.2.0,1.2.0-x86_64-linux,2.0.0.pre1 ${md5(info.text)}\n`,
    );
    expect(versions.headers.etag).toBe(`"${md5(versions.text)}"`);
    expect((await request(t.url).head(`${base()}/versions`).expect(200)).text).toBeFalsy();
    expect((await request(t.url).get(`${base()}/names`).expect(200)).text).toBe(
      '---\nwharf-hello\n',
    );
    await request(t.url).get(`${base()}/info/nothing-here`).expect(404);
    await request(t.url).get(`${base()}/info/..%2fx`).expect(400);
  });

  it('answers the dependency API older Bundlers use', async () => {
    const res = await get('/api/v1/dependencies?gems=wharf-hello,unknown').expect(200);
    const body = res.body as Buffer;
    expect(body.subarray(0, 2)).toEqual(Buffer.from([4, 8]));
    expect(body.includes(Buffer.from('rake'))).toBe(true);
    expect((await get('/api/v1/dependencies').expect(200)).body).toEqual(
      Buffer.from([4, 8, 0x5b, 0]),
    );
    await get('/api/v1/dependencies?gems=../x').expect(400);
  });

  it('refuses reads and writes by access: anonymous 401 with one challenge, reader 403, invisible 404', async () => {
    const anon = await request(t.url)
      .post(`${base()}/api/v1/gems`)
      .send(fixture(HELLO))
      .expect(401);
    expect(anon.headers['www-authenticate']).toBe('Basic realm="Wharf"');
    await request(t.url)
      .get(`${base('acme')}/versions`)
      .expect(401);
    await request(t.url)
      .get(`${base('acme')}/versions`)
      .set('Authorization', readToken)
      .expect(200);
    await push(fixture(HELLO_PRE), 'acme', readToken).expect(403);
    const stranger = await createToken(t.url, 'bob');
    await request(t.url)
      .get(`${base('acme')}/versions`)
      .auth('bob', stranger)
      .expect(200);
    await push(fixture(HELLO), 'alice', stranger).expect(403);
    await createUser(t.url, 'carol');
    const outsider = await createToken(t.url, 'carol');
    await request(t.url)
      .get(`${base('acme')}/info/wharf-hello`)
      .set('Authorization', outsider)
      .expect(404);
  });

  it('refuses hostile gems with a clear 4xx that stores nothing', async () => {
    const before = await storedState(t);
    const cases: [string, Buffer, number, RegExp][] = [
      [
        'a Gem::Installer object tag',
        await gemWith(gemspecYaml('evil', '1.0.0', 'x: !ruby/object:Gem::Installer\n  i: x\n')),
        400,
        /YAML tag !ruby\/object:Gem::Installer/,
      ],
      [
        'a !ruby/hash gadget',
        await gemWith(
          gemspecYaml(
            'evil',
            '1.0.0',
            'x: !ruby/hash:ActionController::Routing::RouteSet::NamedRouteCollection\n  a: b\n',
          ),
        ),
        400,
        /YAML tag !ruby\/hash/,
      ],
      [
        'a gzip bomb metadata.gz',
        await gemWith('', { metadataGz: gzipSync(Buffer.alloc(64 * 1024 * 1024, 0x20)) }),
        413,
        /metadata\.gz unpacks to more than/,
      ],
      [
        'a ../ entry',
        await gemTar([{ name: '../../metadata.gz', body: gzipSync(gemspecYaml('x', '1.0')) }]),
        400,
        /\.\./,
      ],
      ['not a tar', Buffer.from('this is not a gem'), 400, /gem/],
      [
        'a gem without metadata.gz',
        await gemTar([{ name: 'data.tar.gz', body: gzipSync(Buffer.alloc(1024)) }]),
        400,
        /no metadata\.gz/,
      ],
      ['an invalid name', await gemWith(gemspecYaml('-evil', '1.0.0')), 400, /invalid gem name/],
      ['an invalid version', await gemWith(gemspecYaml('evil', '"1 0"')), 400, /gem version/],
    ];
    for (const [label, body, status, message] of cases) {
      const res = await push(body);
      expect([label, res.status]).toEqual([label, status]);
      expect([label, res.text]).toEqual([label, expect.stringMatching(message)]);
    }
    // Over the size limit: 413 before anything is kept.
    await push(
      Buffer.concat([await gemWith(gemspecYaml('big', '1.0')), Buffer.alloc(2 << 20)]),
    ).expect(413);
    expect(await storedState(t)).toEqual(before);
  });

  it('yanks as gem yank sends it (urlencoded DELETE body), and as Forgejo tests it (multipart)', async () => {
    const yank = () =>
      request(t.url).delete(`${base()}/api/v1/gems/yank`).set('Authorization', token);
    await yank()
      .type('form')
      .send('gem_name=wharf-hello&version=1.2.0&platform=x86_64-linux')
      .expect(200);
    await yank()
      .type('form')
      .send('gem_name=wharf-hello&version=1.2.0&platform=x86_64-linux')
      .expect(404);
    await yank().field('gem_name', 'wharf-hello').field('version', '2.0.0.pre1').expect(200);
    await yank().query({ gem_name: 'wharf-hello', version: '1.2.0' }).expect(200);
    await yank().type('form').send('gem_name=wharf-hello').expect(400);
    await yank().type('form').send('gem_name=../x&version=1.0').expect(400);
    await request(t.url).get(`${base()}/info/wharf-hello`).expect(404);
    expect((await request(t.url).get(`${base()}/versions`).expect(200)).text).toMatch(/---\n$/);
    expect(gunzipSync((await get('/specs.4.8.gz').expect(200)).body as Buffer)).toEqual(
      Buffer.from([4, 8, 0x5b, 0]),
    );
    expect((await storedCounts(t)).versions).toBe(1); // acme's
  });
});
