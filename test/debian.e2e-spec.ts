import { createHash } from 'node:crypto';
import { gunzipSync, gzipSync } from 'node:zlib';
import { execFileSync } from 'node:child_process';
import * as openpgp from 'openpgp';
import request from 'supertest';
import {
  Database,
  DocumentCache,
  PackageFileEntity,
  PackagePropertyEntity,
  PackageQueryService,
  PackageType,
  PackageVersionEntity,
  PropertyRefType,
  UserEntity,
} from '@wharf/packages-core';
import { DebianIndexService } from '../libs/registries/debian/src/debian-index.service';
import { describeEachBackend } from './support/backends';
import { ADMIN_ENV, createToken, createUser, PASSWORD } from './support/clients/accounts';
import { arArchive, arMember, controlText, handMadeDeb, tarOf } from './support/clients/debian';
import { storedState } from './support/format-kit';
import { startTestApp, TestApp } from './support/test-app';

const sha256 = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');
const unxz = (b: Buffer) => execFileSync('xz', ['-dc'], { input: b, maxBuffer: 1 << 26 });

/**
 * The apt repository over HTTP (docs/protocols/debian.md §7): Forgejo's TestPackageDebian
 * walk (two distributions × two components × two architectures, then deletes), the signed
 * Release, bad uploads refused with nothing stored, and the indexes kept current — after
 * the management API's deletes too, and alike on a second replica.
 */
describeEachBackend('debian registry', (backend) => {
  let t: TestApp;
  let token: string;
  let alice: UserEntity;
  const root = (owner = 'alice') => `/api/packages/${owner}/debian`;
  const put = (path: string, body: Buffer) =>
    request(t.url).put(`${root()}${path}`).auth('alice', token).send(body);
  const get = (path: string, owner = 'alice') =>
    request(t.url)
      .get(`${root(owner)}${path}`)
      .buffer(true)
      .parse((res, cb) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => cb(null, Buffer.concat(chunks)));
      });
  const body = async (path: string) => {
    const res = await get(path);
    if (res.status !== 200)
      throw new Error(`${path}: ${res.status} ${(res.body as Buffer).toString()}`);
    return res.body as Buffer;
  };
  const deb = (name: string, version: string, arch: string, extra = '') =>
    handMadeDeb(controlText(name, version, arch, extra));

  beforeAll(async () => {
    t = await startTestApp(backend, { ...ADMIN_ENV, REGISTRY_LIMIT_SIZE_DEBIAN: '1 MiB' });
    await createUser(t.url, 'alice');
    token = await createToken(t.url, 'alice');
    alice = await t.app.get(Database).manager.findOneByOrFail(UserEntity, { lowerName: 'alice' });
  });
  afterAll(() => t?.close());

  describe("Forgejo's walk", () => {
    const distributions = ['test', 'gitea'];
    const components = ['main', 'stable'];
    const architectures = ['all', 'amd64'];

    it('serves the repository key', async () => {
      const res = await get('/repository.key').expect(200);
      expect(res.headers['content-type']).toBe('application/pgp-keys');
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(res.body.toString()).toContain('-----BEGIN PGP PUBLIC KEY BLOCK-----');
    });

    for (const dist of distributions)
      for (const component of components)
        for (const arch of architectures)
          it(`${dist}/${component}/${arch}: upload, download, Packages in three forms, by-hash`, async () => {
            const upload = `/pool/${dist}/${component}/upload`;
            await request(t.url).put(`${root()}${upload}`).send(Buffer.alloc(0)).expect(401);
            expect((await put(upload, Buffer.alloc(0)).expect(400)).text).toMatch(/empty/);
            await put(upload, await handMadeDeb('Package: \nVersion: \nArchitecture: \n')).expect(
              400,
            );
            const file = await deb('gitea', '1.0.3', arch);
            await put(upload, file).expect(201);
            const v = await t.app
              .get(PackageQueryService)
              .findVersionByName(alice.id, PackageType.Debian, 'gitea', '1.0.3');
            expect(JSON.parse(v!.version.metadataJson!)).toMatchObject({
              maintainer: 'Wharf Tests',
              description: 'A package made by the test\n Its long description, on a second line.',
            });
            const files = await t.app
              .get(Database)
              .manager.findBy(PackageFileEntity, { versionId: v!.version.id });
            const stored = files.find(
              (f) =>
                f.name === `gitea_1.0.3_${arch}.deb` && f.compositeKey === `${dist}|${component}`,
            );
            expect(stored?.isLead).toBe(true);
            const props = await t.app.get(Database).manager.findBy(PackagePropertyEntity, {
              refType: PropertyRefType.File,
              refId: stored!.id,
            });
            expect(
              Object.fromEntries(
                props.filter((p) => p.name !== 'debian.control').map((p) => [p.name, p.value]),
              ),
            ).toEqual({
              'debian.distribution': dist,
              'debian.component': component,
              'debian.architecture': arch,
            });
            expect((await put(upload, file).expect(409)).text).toMatch(/already exists/);
            // dpkg ≥ 1.15.6 may write the member name with a trailing slash (GNU ar).
            const slashed = await handMadeDeb(controlText('gitea', '1.0.3', arch), {
              controlName: 'control.tar.gz/',
            });
            await put(upload, slashed).expect(409);

            const download = await get(`/pool/${dist}/${component}/gitea_1.0.3_${arch}.deb`).expect(
              200,
            );
            expect(download.headers['content-type']).toBe('application/vnd.debian.binary-package');
            expect(sha256(download.body)).toBe(sha256(file));

            const url = `/dists/${dist}/${component}/binary-${arch}/Packages`;
            const packages = (await body(url)).toString();
            expect(packages).toContain('Package: gitea');
            expect(packages).toContain('Version: 1.0.3');
            expect(packages).toContain(`Architecture: ${arch}`);
            expect(packages).toContain(
              `Filename: pool/${dist}/${component}/gitea_1.0.3_${arch}.deb`,
            );
            expect(packages).toContain(`Size: ${file.length}\n`);
            expect(packages).toContain(`SHA256: ${sha256(file)}\n`);
            expect(gunzipSync(await body(`${url}.gz`)).toString()).toBe(packages);
            expect(unxz(await body(`${url}.xz`)).toString()).toBe(packages);
            // Forgejo's test asks without the binary- prefix; apt with it.
            for (const a of [arch, `binary-${arch}`])
              expect(
                (
                  await body(`/dists/${dist}/${component}/${a}/by-hash/SHA256/${sha256(packages)}`)
                ).toString(),
              ).toBe(packages);
          });

    for (const dist of distributions)
      it(`${dist}: Release lists every index with four digests; InRelease and Release.gpg verify with the key`, async () => {
        const release = (await body(`/dists/${dist}/Release`)).toString();
        expect(release).toContain(`Components: ${components.join(' ')}`);
        expect(release).toContain(`Architectures: ${architectures.join(' ')}`);
        expect(release).toMatch(/^Origin: Wharf\nLabel: Wharf\n/);
        expect(release).toContain(`Suite: ${dist}\nCodename: ${dist}\n`);
        expect(release).toMatch(/^Date: \w{3}, \d\d \w{3} \d{4} \d\d:\d\d:\d\d UTC$/m);
        expect(release).toContain('Acquire-By-Hash: yes\n');
        for (const section of ['MD5Sum', 'SHA1', 'SHA256', 'SHA512'])
          expect(release).toMatch(new RegExp(`^${section}:$`, 'm'));
        for (const component of components)
          for (const arch of architectures)
            for (const variant of ['Packages', 'Packages.gz', 'Packages.xz']) {
              const indexed = await body(`/dists/${dist}/${component}/binary-${arch}/${variant}`);
              expect(release).toContain(
                ` ${sha256(indexed)} ${indexed.length} ${component}/binary-${arch}/${variant}\n`,
              );
            }
        expect((await body(`/dists/${dist}/by-hash/SHA256/${sha256(release)}`)).toString()).toBe(
          release,
        );

        const key = await openpgp.readKey({
          armoredKey: (await body('/repository.key')).toString(),
        });
        const gpg = (await body(`/dists/${dist}/Release.gpg`)).toString();
        expect(gpg).toContain('-----BEGIN PGP SIGNATURE-----');
        const detached = await openpgp.verify({
          message: await openpgp.createMessage({ binary: Buffer.from(release) }),
          signature: await openpgp.readSignature({ armoredSignature: gpg }),
          verificationKeys: key,
        });
        await expect(detached.signatures[0].verified).resolves.toBe(true);
        const inRelease = (await body(`/dists/${dist}/InRelease`)).toString();
        expect(inRelease).toContain('-----BEGIN PGP SIGNED MESSAGE-----');
        const clear = await openpgp.verify({
          message: await openpgp.readCleartextMessage({ cleartextMessage: inRelease }),
          verificationKeys: key,
        });
        await expect(clear.signatures[0].verified).resolves.toBe(true);
        expect(clear.data).toBe(release);
      });

    it('deletes: 401 without credentials, 204, the index goes, Release keeps the rest', async () => {
      for (const component of components) {
        const path = `/pool/test/${component}/gitea/1.0.3/all`;
        await request(t.url).delete(`${root()}${path}`).expect(401);
        await request(t.url).delete(`${root()}${path}`).auth('alice', token).expect(204);
        await request(t.url).delete(`${root()}${path}`).auth('alice', token).expect(404);
        await get(`/dists/test/${component}/binary-all/Packages`).expect(404);
      }
      const release = (await body('/dists/test/Release')).toString();
      expect(release).toContain(`Components: ${components.join(' ')}`);
      expect(release).toContain('Architectures: amd64\n');
      expect(release).not.toContain('binary-all');
      // The other distribution is untouched.
      expect((await body('/dists/gitea/Release')).toString()).toContain('Architectures: all amd64');
    });
  });

  describe('refused uploads: a clear 4xx, nothing stored', () => {
    const control = controlText('bad', '1.0', 'amd64');
    const controlTgz = async (entries: { name: string; body?: string | Buffer }[]) =>
      gzipSync(await tarOf(entries));
    /** A gzip'd tar whose one header declares 2 GiB for `control`, followed by 16 MiB of zeros. */
    const bomb = () => {
      const header = Buffer.alloc(512);
      header.write('./control', 0);
      header.write('0000644\0', 100);
      header.write('0000000\0', 108);
      header.write('0000000\0', 116);
      header.write(`${(2 * 1024 ** 3).toString(8).padStart(11, '0')}\0`, 124);
      header.write('00000000000\0', 136);
      header.write('        ', 148);
      header.write('0', 156);
      header.write('ustar\0', 257);
      header.write('00', 263);
      let sum = 0;
      for (const byte of header) sum += byte;
      header.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
      return gzipSync(Buffer.concat([header, Buffer.alloc(16 * 1024 ** 2)]), { level: 9 });
    };
    const cases: [string, () => Promise<Buffer>, number, RegExp][] = [
      [
        'not an archive',
        async () => Buffer.from('this is no .deb at all'),
        400,
        /not an ar archive/,
      ],
      [
        'a .deb without control',
        async () =>
          arArchive([
            arMember('debian-binary', '2.0\n'),
            arMember('data.tar.gz', gzipSync(Buffer.alloc(1024))),
          ]),
        400,
        /no control\.tar member/,
      ],
      [
        'a control.tar without the control file',
        async () =>
          handMadeDeb(control, {
            controlMember: await controlTgz([{ name: './md5sums', body: 'x' }]),
          }),
        400,
        /holds no control file/,
      ],
      [
        'a corrupt archive (cut in the middle)',
        async () => (await handMadeDeb(control)).subarray(0, 150),
        400,
        /truncated|ends early|corrupt/,
      ],
      [
        'a corrupt control.tar.gz',
        async () => handMadeDeb(control, { controlMember: Buffer.from('\x1f\x8bnot really gzip') }),
        400,
        /control\.tar\.gz/,
      ],
      [
        'an ar member named ../x',
        async () => handMadeDeb(control, { extraMembers: [arMember('../x', 'evil')] }),
        400,
        /"\.\.\/x".*refused/,
      ],
      [
        'a control.tar entry named ../x',
        async () =>
          handMadeDeb(control, {
            controlMember: await controlTgz([
              { name: './control', body: control },
              { name: '../x', body: 'evil' },
            ]),
          }),
        400,
        /"\.\.\/x".*refused/,
      ],
      [
        'a bomb (control declares 2 GiB)',
        async () => handMadeDeb(control, { controlMember: bomb() }),
        413,
        /bytes/,
      ],
      [
        'a bomb (md5sums unpacks past the budget)',
        async () =>
          handMadeDeb(control, {
            controlMember: gzipSync(
              Buffer.concat([
                await tarOf([{ name: './control', body: control }]).then((b) =>
                  b.subarray(0, b.length - 1024),
                ),
                await tarOf([{ name: './md5sums', body: Buffer.alloc(70 * 1024 ** 2) }]),
              ]),
              { level: 1 },
            ),
          }),
        413,
        /unpacks to more than/,
      ],
      [
        'control.tar compressed with bzip2',
        async () => handMadeDeb(control, { controlName: 'control.tar.bz2' }),
        400,
        /does not write/,
      ],
      [
        'a second paragraph in control',
        async () => handMadeDeb(`${control}\nPackage: libc6\nVersion: 99\nArchitecture: amd64\n`),
        400,
        /blank line/,
      ],
      [
        'a control that sets Filename',
        async () => handMadeDeb(`${control}Filename: pool/../../evil.deb\n`),
        400,
        /sets Filename/,
      ],
      [
        'an invalid package name',
        async () => deb('Bad_Name', '1.0', 'amd64'),
        400,
        /Package field/,
      ],
      ['an invalid version', async () => deb('bad', '1.0_2', 'amd64'), 400, /Version field/],
      [
        'an invalid architecture',
        async () => deb('bad', '1.0', '../amd64'),
        400,
        /Architecture field/,
      ],
      [
        'a format 3 .deb',
        async () => arArchive([arMember('debian-binary', '3.0\n')]),
        400,
        /format/,
      ],
    ];

    it.each(cases)('%s', async (_label, build, status, message) => {
      const before = await storedState(t);
      const res = await put('/pool/stable/main/upload', await build());
      expect([res.status, res.text]).toEqual([status, expect.stringMatching(message)]);
      expect(res.headers['content-type']).toMatch(/^text\/plain/);
      expect(await storedState(t)).toEqual(before);
    });

    it('refuses an upload over the size limit (413), a bad distribution or component (400)', async () => {
      const before = await storedState(t);
      const big = await handMadeDeb(control, {
        extraMembers: [arMember('padding', Buffer.alloc(2 * 1024 ** 2, 1))],
      });
      await put('/pool/stable/main/upload', big).expect(413);
      await put('/pool/sta%7Cble/main/upload', await deb('ok', '1.0', 'amd64')).expect(400);
      await put('/pool/stable/by-hash/upload', await deb('ok', '1.0', 'amd64')).expect(400);
      await put('/pool/stable/..%2Fx/upload', await deb('ok', '1.0', 'amd64')).expect(400);
      expect(await storedState(t)).toEqual(before);
    });

    it('answers 404 for what is not there, 400 for names that cannot be', async () => {
      await get('/dists/nowhere/Release').expect(404);
      await get('/dists/nowhere/InRelease').expect(404);
      await get('/dists/gitea/Packages').expect(404);
      await get('/dists/gitea/main/binary-riscv64/Packages').expect(404);
      await get('/dists/gitea/main/binary-amd64/Sources').expect(404);
      await get(`/dists/gitea/by-hash/SHA256/${'0'.repeat(64)}`).expect(404);
      await get(`/dists/gitea/by-hash/CRC32/${'0'.repeat(64)}`).expect(404);
      await get('/pool/gitea/main/gitea_9.9_amd64.deb').expect(404);
      await get('/pool/gitea/main/notadeb.txt').expect(400);
      await get('/dists/gi%7Ctea/Release').expect(400);
    });
  });

  describe('indexes kept current', () => {
    const names = Array.from({ length: 24 }, (_, i) => `pkg-${i}`);

    it('lists every package of many shards in one order, the same in all three forms', async () => {
      for (const name of names)
        await put('/pool/shards/main/upload', await deb(name, '1.0', 'amd64')).expect(201);
      const packages = (await body('/dists/shards/main/binary-amd64/Packages')).toString();
      const listed = [...packages.matchAll(/^Package: (.*)$/gm)].map((m) => m[1]);
      expect([...listed].sort()).toEqual([...names].sort());
      expect(packages.endsWith('\n\n')).toBe(true);
      expect(packages).not.toMatch(/\n\n\n/);
      expect(gunzipSync(await body('/dists/shards/main/binary-amd64/Packages.gz')).toString()).toBe(
        packages,
      );
      expect(unxz(await body('/dists/shards/main/binary-amd64/Packages.xz')).toString()).toBe(
        packages,
      );
    });

    it("rebuilds only the changed package's shard after an upload", async () => {
      await body('/dists/shards/InRelease');
      const query = t.app.get(PackageQueryService);
      const spy = jest.spyOn(query, 'loadDescriptors');
      try {
        await put('/pool/shards/main/upload', await deb('pkg-3', '1.1', 'amd64')).expect(201);
        const release = (await body('/dists/shards/Release')).toString();
        expect(spy).toHaveBeenCalledTimes(1);
        expect(spy.mock.calls[0][0]).toMatchObject({ shards: [expect.any(Number)] });
        const packages = await body('/dists/shards/main/binary-amd64/Packages');
        expect(packages.toString()).toContain('Package: pkg-3\nVersion: 1.1\n');
        expect(release).toContain(
          ` ${sha256(packages)} ${packages.length} main/binary-amd64/Packages\n`,
        );
        // Served again unchanged: no rebuild at all.
        await body('/dists/shards/InRelease');
        expect(spy).toHaveBeenCalledTimes(1);
      } finally {
        spy.mockRestore();
      }
    });

    it('follows a version deleted through the management API', async () => {
      await request(t.url)
        .delete('/api/v1/packages/alice/debian/pkg-5/1.0')
        .auth('alice', PASSWORD)
        .expect(204);
      const packages = (await body('/dists/shards/main/binary-amd64/Packages')).toString();
      expect(packages).not.toContain('Package: pkg-5\n');
      expect(packages).toContain('Package: pkg-6\n');
    });

    it('a second replica serves byte-identical indexes, and both see concurrent uploads', async () => {
      const replica = new DebianIndexService(
        t.app.get(DocumentCache),
        t.app.get(PackageQueryService),
      );
      const here = async () =>
        (await body('/dists/shards/main/binary-amd64/Packages.xz')).toString('hex');
      const there = async () => {
        const snapshot = await replica.snapshot(alice.id);
        return snapshot.file('shards', 'main', 'amd64', 'Packages.xz')!.body.toString('hex');
      };
      expect(await there()).toBe(await here());
      const fresh = Array.from({ length: 8 }, (_, i) => `concurrent-${i}`);
      const statuses = await Promise.all(
        fresh.map(
          async (name) =>
            (await put('/pool/shards/main/upload', await deb(name, '1.0', 'amd64'))).status,
        ),
      );
      expect(statuses).toEqual(fresh.map(() => 201));
      const [a, b] = [await here(), await there()];
      expect(a).toBe(b);
      const listed = unxz(Buffer.from(a, 'hex')).toString();
      for (const name of fresh) expect(listed).toContain(`Package: ${name}\n`);
      const versions = await t.app.get(Database).manager.count(PackageVersionEntity);
      expect(versions).toBeGreaterThan(fresh.length);
    });
  });
});
