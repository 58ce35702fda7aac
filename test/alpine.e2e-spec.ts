import { createHash, createPublicKey, createVerify, randomBytes } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import request from 'supertest';
import { describeEachBackend } from './support/backends';
import { ADMIN_ENV, createToken, createUser, PASSWORD } from './support/clients/accounts';
import {
  ApkSpec,
  buildApk,
  BuiltApk,
  opensslVerifies,
  parseApkIndex,
  ParsedIndex,
  pkgInfoOf,
  tarBytes,
} from './support/clients/alpine';
import { binary } from './support/clients/container';
import { downloadCount, storedCounts } from './support/clients/inspect';
import { startTestApp, TestApp } from './support/test-app';

/*
 * apk repositories over HTTP (docs/protocols/alpine.md §8: Forgejo's TestPackageAlpine for
 * two branches × two repositories, its noarch cases, plus what apk-tools reads). No apk
 * client installs on Debian, so the client side is done as apk does it: the key saved
 * under the name its Content-Disposition gives, `{arch}/APKINDEX.tar.gz` split into its
 * gzip members, the signature member's key name matched against the saved key and its
 * RSA/SHA-1 signature verified (with openssl) over the index member's bytes, the records
 * read, and `{arch}/{name}-{version}.apk` fetched and checked against `C:` and `S:`.
 */
describeEachBackend('alpine registry', (backend) => {
  let t: TestApp;
  let token: string;
  const base = (owner = 'alice') => `/api/packages/${owner}/alpine`;
  const put = (repo: string, body: Buffer) =>
    request(t.url)
      .put(`${base()}/${repo}`)
      .auth('alice', token)
      .set('Content-Type', 'application/octet-stream')
      .send(body);
  const get = (url: string) => request(t.url).get(url).buffer(true).parse(binary);
  let key: { pem: string; fileName: string };

  /** The index of `repo`/`arch`, read and its signature checked as apk does. */
  async function index(repo: string, arch: string): Promise<ParsedIndex> {
    const res = await get(`${base()}/${repo}/${arch}/APKINDEX.tar.gz`).expect(200);
    expect(res.headers['content-type']).toBe('application/gzip');
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    const parsed = await parseApkIndex(res.body as Buffer);
    expect(parsed.keyName).toBe(key.fileName);
    expect(opensslVerifies(key.pem, parsed.signature, parsed.signed)).toBe(true);
    return parsed;
  }
  const byName = (parsed: ParsedIndex) => Object.fromEntries(parsed.records.map((r) => [r.P, r]));

  beforeAll(async () => {
    t = await startTestApp(backend, { ...ADMIN_ENV, REGISTRY_LIMIT_SIZE_ALPINE: '4 MiB' });
    await createUser(t.url, 'alice');
    token = await createToken(t.url, 'alice');
  });
  afterAll(async () => {
    await t?.close();
  });

  it('serves the owner key under the name apk looks it up by (anonymous on a public owner)', async () => {
    const res = await request(t.url).get(`${base()}/key`).expect(200);
    expect(res.headers['content-type']).toMatch(/^application\/x-pem-file/);
    expect(res.text).toMatch(/^-----BEGIN PUBLIC KEY-----\n/);
    const der = createPublicKey(res.text).export({ type: 'spki', format: 'der' });
    expect((createPublicKey(res.text).asymmetricKeyDetails ?? {}).modulusLength).toBe(4096);
    const fileName = `alice@${createHash('sha256').update(der).digest('hex')}.rsa.pub`;
    expect(res.headers['content-disposition']).toBe(`attachment; filename="${fileName}"`);
    key = { pem: res.text, fileName };
    // The same key on every request: it is made once and stored.
    expect((await request(t.url).get(`${base()}/key`)).text).toBe(res.text);
  });

  describe.each(['v3.16/main', 'v3.17/testing'])('repository %s', (repo) => {
    const spec: ApkSpec = {
      name: 'wharf-test',
      version: '1.4.1-r3',
      arch: 'x86_64',
      description: 'Wharf Test Package',
      url: 'https://example.com/wharf',
      license: 'MIT',
      maintainer: 'Someone <someone@example.com>',
      builddate: 1679498030,
      size: 4096,
      depends: ['musl', 'so:libc.musl-x86_64.so.1'],
      provides: ['cmd:wharf-test=1.4.1-r3'],
      signed: true,
    };
    let apk: BuiltApk;
    beforeAll(async () => {
      apk = await buildApk(spec);
    });

    it('takes an upload (401 anonymous, 400 empty, 201, 409 again)', async () => {
      const anonymous = await request(t.url).put(`${base()}/${repo}`).send(apk.bytes).expect(401);
      expect(anonymous.headers['www-authenticate']).toMatch(/^Basic /);
      await put(repo, Buffer.alloc(0)).expect(400);
      const created = await put(repo, apk.bytes).expect(201);
      expect(created.text).toBe('');
      const again = await put(repo, apk.bytes).expect(409);
      expect(again.text).toMatch(/exists/);
    });

    it('lists it in the signed x86_64 index, with apk checksum and sizes', async () => {
      const parsed = await index(repo, 'x86_64');
      expect(parsed.description).toBe(`alice ${repo}`);
      expect(parsed.text).toBe(
        [
          `C:${apk.checksum}`,
          'P:wharf-test',
          'V:1.4.1-r3',
          'A:x86_64',
          'T:Wharf Test Package',
          'U:https://example.com/wharf',
          'L:MIT',
          `S:${apk.bytes.length}`,
          'I:4096',
          'o:wharf-test',
          'm:Someone <someone@example.com>',
          't:1679498030',
          'D:musl so:libc.musl-x86_64.so.1',
          'p:cmd:wharf-test=1.4.1-r3',
          '',
          '',
        ].join('\n'),
      );
      // No other architecture lists it, and no noarch index exists yet.
      await request(t.url).get(`${base()}/${repo}/aarch64/APKINDEX.tar.gz`).expect(404);
      await request(t.url).get(`${base()}/${repo}/noarch/APKINDEX.tar.gz`).expect(404);
    });

    it('serves the package apk fetches (counted), matching C: and S:', async () => {
      const url = `${base()}/${repo}/x86_64/wharf-test-1.4.1-r3.apk`;
      const res = await get(url).expect(200);
      expect((res.body as Buffer).equals(apk.bytes)).toBe(true);
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      await request(t.url).head(url).expect(200);
      const version = await request(t.url)
        .get('/api/v1/packages/alice/alpine/wharf-test/1.4.1-r3')
        .auth('alice', PASSWORD)
        .expect(200);
      expect(await downloadCount(t, Number(version.body.id))).toBeGreaterThanOrEqual(1);
      await request(t.url).get(`${base()}/${repo}/aarch64/wharf-test-1.4.1-r3.apk`).expect(404);
      await request(t.url).get(`${base()}/${repo}/x86_64/wharf-test-9-r0.apk`).expect(404);
    });
  });

  describe('noarch packages', () => {
    const repo = 'edge/community';
    let arched: BuiltApk;
    let noarch: BuiltApk;
    let noarch2: BuiltApk;
    beforeAll(async () => {
      arched = await buildApk({ name: 'wharf-native', version: '2.0-r0', arch: 'x86_64' });
      noarch = await buildApk({
        name: 'wharf-noarch',
        version: '1.4-r0',
        arch: 'noarch',
        installIf: 'openrc wharf-native=2.0-r0',
      });
      noarch2 = await buildApk({
        name: 'wharf-noarch-two',
        version: '1.0-r0',
        arch: 'noarch',
        provides: ['cmd:wharf_two=1.0-r0'],
      });
    });

    it('a noarch-only repository serves its packages in any architecture and under noarch/', async () => {
      await put(repo, noarch.bytes).expect(201);
      const own = await index(repo, 'noarch');
      expect(own.records).toEqual([
        expect.objectContaining({ C: noarch.checksum, P: 'wharf-noarch', A: 'noarch' }),
      ]);
      const x86 = await index(repo, 'x86_64');
      expect(x86.records).toEqual([
        expect.objectContaining({ C: noarch.checksum, P: 'wharf-noarch', A: 'x86_64' }),
      ]);
      expect(x86.records[0].i).toBe('openrc wharf-native=2.0-r0');
    });

    it('is stored once and listed in every architecture index beside that architecture’s packages', async () => {
      await put(repo, arched.bytes).expect(201);
      await put(repo, noarch2.bytes).expect(201);
      const x86 = byName(await index(repo, 'x86_64'));
      expect(Object.keys(x86).sort()).toEqual(['wharf-native', 'wharf-noarch', 'wharf-noarch-two']);
      expect(x86['wharf-noarch-two']).toMatchObject({
        A: 'x86_64',
        C: noarch2.checksum,
        p: 'cmd:wharf_two=1.0-r0',
      });
      const arm = byName(await index(repo, 'aarch64'));
      expect(Object.keys(arm).sort()).toEqual(['wharf-noarch', 'wharf-noarch-two']);
      const own = byName(await index(repo, 'noarch'));
      expect(Object.keys(own).sort()).toEqual(['wharf-noarch', 'wharf-noarch-two']);
      const files = await request(t.url)
        .get('/api/v1/packages/alice/alpine/wharf-noarch/1.4-r0/files')
        .auth('alice', PASSWORD)
        .expect(200);
      expect(files.body).toHaveLength(1);
      for (const arch of ['noarch', 'x86_64', 'aarch64']) {
        const res = await get(`${base()}/${repo}/${arch}/wharf-noarch-1.4-r0.apk`).expect(200);
        expect((res.body as Buffer).equals(noarch.bytes)).toBe(true);
      }
    });

    it('deletes update the indexes (alpine DELETE and the management API)', async () => {
      await request(t.url).delete(`${base()}/${repo}/x86_64/wharf-native-2.0-r0.apk`).expect(401);
      // A noarch file is deleted where it is stored, not through another architecture.
      await request(t.url)
        .delete(`${base()}/${repo}/x86_64/wharf-noarch-1.4-r0.apk`)
        .auth('alice', token)
        .expect(404);
      await request(t.url)
        .delete(`${base()}/${repo}/x86_64/wharf-native-2.0-r0.apk`)
        .auth('alice', token)
        .expect(204);
      expect(Object.keys(byName(await index(repo, 'x86_64'))).sort()).toEqual([
        'wharf-noarch',
        'wharf-noarch-two',
      ]);
      await request(t.url)
        .delete(`${base()}/${repo}/noarch/wharf-noarch-1.4-r0.apk`)
        .auth('alice', token)
        .expect(204);
      expect(Object.keys(byName(await index(repo, 'aarch64')))).toEqual(['wharf-noarch-two']);
      await request(t.url)
        .delete('/api/v1/packages/alice/alpine/wharf-noarch-two/1.0-r0')
        .auth('alice', PASSWORD)
        .expect(204);
      for (const arch of ['x86_64', 'noarch'])
        await request(t.url).get(`${base()}/${repo}/${arch}/APKINDEX.tar.gz`).expect(404);
      await request(t.url).get(`${base()}/${repo}/noarch/wharf-noarch-1.4-r0.apk`).expect(404);
    });
  });

  it('keeps the index current across concurrent uploads (a snapshot cached before them)', async () => {
    const repo = 'v3.20/main';
    const seed = await buildApk({ name: 'seed', version: '1-r0', arch: 'x86_64' });
    await put(repo, seed.bytes).expect(201);
    await index(repo, 'x86_64');
    const many = await Promise.all(
      ['a', 'b', 'c'].map((n) => buildApk({ name: `race-${n}`, version: '1-r0', arch: 'x86_64' })),
    );
    await Promise.all(many.map((a) => put(repo, a.bytes).expect(201)));
    const names = Object.keys(byName(await index(repo, 'x86_64'))).sort();
    expect(names).toEqual(['race-a', 'race-b', 'race-c', 'seed']);
    // The same index is served again byte for byte while nothing changes (ETag, 304).
    const first = await get(`${base()}/${repo}/x86_64/APKINDEX.tar.gz`).expect(200);
    const second = await get(`${base()}/${repo}/x86_64/APKINDEX.tar.gz`).expect(200);
    expect((first.body as Buffer).equals(second.body as Buffer)).toBe(true);
    await request(t.url)
      .get(`${base()}/${repo}/x86_64/APKINDEX.tar.gz`)
      .set('If-None-Match', first.headers.etag as string)
      .expect(304);
  });

  it('verifies with node crypto too (RSA PKCS#1 v1.5, SHA-1)', async () => {
    const parsed = await index('v3.20/main', 'x86_64');
    const verify = createVerify('sha1');
    verify.update(parsed.signed);
    expect(verify.verify(key.pem, parsed.signature)).toBe(true);
    // …and a changed byte fails it, so the check above can fail.
    const changed = Buffer.from(parsed.signed);
    changed[20] ^= 1;
    expect(opensslVerifies(key.pem, parsed.signature, changed)).toBe(false);
  });

  describe('refuses bad uploads with a clear 4xx, storing nothing', () => {
    const spec: ApkSpec = { name: 'victim', version: '1.0-r0', arch: 'x86_64' };
    const control = async (pkginfo: string) =>
      gzipSync(await tarBytes([{ name: '.PKGINFO', body: Buffer.from(pkginfo) }], true));
    const data = async () => gzipSync(await tarBytes([{ name: 'x', body: Buffer.from('x') }]));

    it.each<[string, number, RegExp, () => Promise<Buffer>]>([
      [
        'not gzip at all',
        400,
        /not a series of gzip members/,
        async () => Buffer.from('hello world, not an apk'),
      ],
      [
        'gzip without a .PKGINFO',
        400,
        /no \.PKGINFO/,
        async () =>
          Buffer.concat([
            gzipSync(await tarBytes([{ name: 'README', body: Buffer.from('x') }], true)),
            await data(),
          ]),
      ],
      [
        'a .PKGINFO without pkgname',
        400,
        /\.PKGINFO has no pkgname/,
        async () =>
          Buffer.concat([
            await control(pkgInfoOf(spec).replace(/^pkgname = .*\n/m, '')),
            await data(),
          ]),
      ],
      [
        'a pkgname that is a path',
        400,
        /\.PKGINFO pkgname "\.\.\/etc"/,
        async () => (await buildApk({ ...spec, name: '../etc' })).bytes,
      ],
      [
        'a version with a newline trick',
        400,
        /\.PKGINFO pkgver/,
        async () => (await buildApk({ ...spec, version: '1.0 P:evil' })).bytes,
      ],
      [
        'a truncated apk',
        400,
        /ends inside a gzip member/,
        async () => (await buildApk(spec)).bytes.subarray(0, 40),
      ],
      [
        'a control segment with no data segment',
        400,
        /no data segment/,
        async () => control(pkgInfoOf(spec)),
      ],
      [
        'a control segment entry named ../x',
        400,
        /"\.\.\/x" that is refused/,
        async () =>
          Buffer.concat([
            gzipSync(
              await tarBytes(
                [
                  { name: '.PKGINFO', body: Buffer.from(pkgInfoOf(spec)) },
                  { name: '../x', body: Buffer.from('x') },
                ],
                true,
              ),
            ),
            await data(),
          ]),
      ],
      [
        'a control segment bomb',
        413,
        /unpacks to more than/,
        async () =>
          Buffer.concat([
            gzipSync(
              await tarBytes(
                [
                  { name: '.PKGINFO', body: Buffer.from(pkgInfoOf(spec)) },
                  { name: '.post-install', body: Buffer.alloc(11 * 1024 * 1024) },
                ],
                true,
              ),
            ),
            await data(),
          ]),
      ],
      [
        'over the size limit',
        413,
        /exceeds the size limit/,
        async () =>
          (
            await buildApk({
              ...spec,
              files: {
                big: randomBytes(5 << 20),
              },
            })
          ).bytes,
      ],
    ])('%s → %i', async (_what, status, message, make) => {
      const before = await storedCounts(t);
      const res = await put('v3.17/main', await make()).expect(status);
      expect(res.text).toMatch(message);
      expect(await storedCounts(t)).toEqual(before);
    });

    it.each([
      ['a branch with a dot-dot', '..%2Fx/main'],
      ['a branch starting with a dash', '-x/main'],
      ['a repository with a control character', 'v3.17/ma%01in'],
    ])('%s in the URL → 400', async (_what, repo) => {
      const before = await storedCounts(t);
      const apk = await buildApk(spec);
      const res = await request(t.url)
        .put(`${base()}/${repo}`)
        .auth('alice', token)
        .send(apk.bytes);
      expect(res.status).toBe(400);
      expect(await storedCounts(t)).toEqual(before);
    });
  });
});
