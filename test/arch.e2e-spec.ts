import { createHash } from 'node:crypto';
import { rmSync } from 'node:fs';
import request from 'supertest';
import { describeIf } from '@wharf/packages-core/testing/test-env';
import { describeEachBackend } from './support/backends';
import { ADMIN_ENV, createToken, createUser } from './support/clients/accounts';
import {
  gpgvVerify,
  handMadePackage,
  hasMakepkg,
  makepkg,
  pkgInfo,
  readDatabase,
  scratch,
} from './support/clients/arch';
import { binary } from './support/clients/container';
import { storedCounts } from './support/clients/inspect';
import { startTestApp, TestApp } from './support/test-app';

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const md5 = (b: Buffer) => createHash('md5').update(b).digest('hex');

/** The packages the suite uploads, made once by makepkg for both backends. */
interface Built {
  bytes: Buffer;
  fileName: string;
}
let dir: string | undefined;
const built = new Map<string, Built>();
function pkg(key: string, spec: Parameters<typeof makepkg>[1]): Built {
  dir ??= scratch('arch-e2e');
  let made = built.get(key);
  if (!made) built.set(key, (made = makepkg(dir, spec)));
  return made;
}
const zst = () =>
  pkg('zst', {
    name: 'wharf-test',
    version: '1.0',
    ext: 'zst',
    depends: ['glibc>=2.0'],
    files: [
      { path: 'usr/share/wharf-test/a.txt', content: 'a' },
      { path: 'usr/bin/wharf-test', content: '#!/bin/sh' },
    ],
  });
const zstAsXz = () => pkg('zst-as-xz', { name: 'wharf-test', version: '1.0', ext: 'xz' });
const newer = () => pkg('newer', { name: 'wharf-test', version: '1.1', ext: 'zst' });
const xzArm = () => pkg('xz', { name: 'wharf-arm', version: '2.0', arch: 'aarch64', ext: 'xz' });
const gz = () => pkg('gz', { name: 'wharf-gz', version: '3.0', epoch: 1, ext: 'gz' });
const anyPkg = () => pkg('any', { name: 'wharf-any', version: '0.5', arch: 'any', ext: 'zst' });

/*
 * Arch (pacman) repositories over HTTP (docs/protocols/arch.md §7): Gitea's and Forgejo's
 * TestPackageArch cases — each compression, the database as pacman reads it, `any` under
 * every architecture, signatures checked by gpgv against repository.key, deletes, 409s and
 * refused packages — with packages made by makepkg.
 */
describeEachBackend('arch registry', (backend) => {
  describeIf(
    hasMakepkg(),
    'makepkg (apt-get install makepkg fakeroot zstd libarchive-tools)',
    'with makepkg packages',
    () => {
      let t: TestApp;
      let token: string;
      let key: string;
      const base = '/api/packages/alice/arch';
      const put = (repository: string, body: Buffer) =>
        request(t.url)
          .put(repository ? `${base}/${repository}` : base)
          .auth('alice', token)
          .set('Content-Type', 'application/octet-stream')
          .send(body);
      const get = (url: string) => request(t.url).get(url).buffer(true).parse(binary);
      const del = (url: string) => request(t.url).delete(`${base}/${url}`).auth('alice', token);
      const database = async (path: string) => {
        const res = await get(`${base}/${path}`);
        expect(res.status).toBe(200);
        return readDatabase(res.body as Buffer);
      };

      beforeAll(async () => {
        t = await startTestApp(backend, ADMIN_ENV);
        await createUser(t.url, 'alice');
        token = await createToken(t.url, 'alice');
      });
      afterAll(async () => {
        await t?.close();
      });

      it('serves repository.key, an armoured OpenPGP public key', async () => {
        const res = await request(t.url).get(`${base}/repository.key`).expect(200);
        expect(res.headers['content-type']).toMatch(/^application\/pgp-keys/);
        expect(res.headers['x-content-type-options']).toBe('nosniff');
        expect(res.text).toMatch(/^-----BEGIN PGP PUBLIC KEY BLOCK-----/);
        key = res.text;
      });

      it('takes a package of each compression: 401 without credentials, 400 for an empty body, 201', async () => {
        await request(t.url).put(`${base}/core`).send(zst().bytes).expect(401);
        const empty = await put('core', Buffer.alloc(0));
        expect(empty.status).toBe(400);
        expect((await put('core', zst().bytes)).status).toBe(201);
        expect((await put('core', xzArm().bytes)).status).toBe(201);
        expect((await put('core', gz().bytes)).status).toBe(201);
        expect((await put('core', anyPkg().bytes)).status).toBe(201);
        for (const p of [zst(), xzArm(), gz(), anyPkg()]) {
          const arch = /-([^-]+)\.pkg\.tar\./.exec(p.fileName)![1];
          const res = await get(`${base}/core/${arch}/${p.fileName}`);
          expect(res.status).toBe(200);
          expect(sha256(res.body as Buffer)).toBe(sha256(p.bytes));
          expect(res.headers['content-type']).toBe('application/octet-stream');
          expect(res.headers['x-content-type-options']).toBe('nosniff');
        }
      });

      it('lists the packages in {section}.db as pacman reads it, and their files in .files', async () => {
        const db = await database('core/x86_64/core.db');
        expect([...db.keys()].sort()).toEqual([
          'wharf-any-0.5-1/desc',
          'wharf-gz-1:3.0-1/desc',
          'wharf-test-1.0-1/desc',
        ]);
        const desc = db.get('wharf-test-1.0-1/desc')!;
        const p = zst();
        expect(desc).toContain(`%FILENAME%\n${p.fileName}\n\n`);
        expect(desc).toContain('%NAME%\nwharf-test\n\n');
        expect(desc).toContain('%BASE%\nwharf-test\n\n');
        expect(desc).toContain('%VERSION%\n1.0-1\n\n');
        expect(desc).toContain('%DESC%\nThe wharf-test test package\n\n');
        expect(desc).toContain(`%CSIZE%\n${p.bytes.length}\n\n`);
        expect(desc).toContain(`%MD5SUM%\n${md5(p.bytes)}\n\n`);
        expect(desc).toContain(`%SHA256SUM%\n${sha256(p.bytes)}\n\n`);
        expect(desc).toContain('%URL%\nhttps://example.com/wharf\n\n');
        expect(desc).toContain('%LICENSE%\nMIT\n\n');
        expect(desc).toContain('%ARCH%\nx86_64\n\n');
        expect(desc).toContain('%PACKAGER%\nWharf Tests <tests@wharf.invalid>\n\n');
        expect(desc).toContain('%DEPENDS%\nglibc>=2.0\n\n');
        expect(desc).toMatch(/%BUILDDATE%\n\d+\n\n/);
        expect(desc).toMatch(/%ISIZE%\n\d+\n\n/);
        expect(db.get('wharf-any-0.5-1/desc')).toContain('%ARCH%\nany\n\n');
        // Any name pacman asks for, and the .tar.gz forms, are the same database.
        // Forgejo's documented section name is `[{owner}.{group}.{domain}]`.
        await get(`${base}/core/x86_64/alice.core.localhost.db`).expect(200);
        const other = await get(`${base}/core/x86_64/whatever.db.tar.gz`);
        const first = await get(`${base}/core/x86_64/core.db`);
        expect(sha256(other.body as Buffer)).toBe(sha256(first.body as Buffer));
        expect(first.headers['x-content-type-options']).toBe('nosniff');

        const files = await database('core/x86_64/core.files');
        expect(files.get('wharf-test-1.0-1/desc')).toBe(desc);
        const list = files.get('wharf-test-1.0-1/files')!;
        expect(list.startsWith('%FILES%\n')).toBe(true);
        for (const f of ['usr/', 'usr/bin/', 'usr/bin/wharf-test', 'usr/share/wharf-test/a.txt'])
          expect(list.split('\n')).toContain(f);
        expect(list).not.toMatch(/\.PKGINFO|\.MTREE|\.BUILDINFO/);
      });

      it('lists any packages under every architecture, and serves them under each', async () => {
        const arm = await database('core/aarch64/core.db');
        expect([...arm.keys()].sort()).toEqual(['wharf-any-0.5-1/desc', 'wharf-arm-2.0-1/desc']);
        // An architecture with no package of its own still lists the any packages.
        const mine = await database('core/myarch/core.db');
        expect([...mine.keys()]).toEqual(['wharf-any-0.5-1/desc']);
        const a = anyPkg();
        for (const arch of ['any', 'x86_64', 'aarch64', 'myarch']) {
          const res = await get(`${base}/core/${arch}/${a.fileName}`);
          expect(res.status).toBe(200);
          expect(sha256(res.body as Buffer)).toBe(sha256(a.bytes));
        }
        // A package of one architecture is not under another.
        await get(`${base}/core/aarch64/${zst().fileName}`).expect(404);
        await get(`${base}/extra/x86_64/${zst().fileName}`).expect(404);
        await get(`${base}/extra/x86_64/extra.db`).expect(404);
      });

      it('signs packages and databases: each .sig verifies with gpgv against repository.key', async () => {
        for (const path of ['core/x86_64/core.db', 'core/x86_64/core.files', 'core/aarch64/x.db']) {
          const data = (await get(`${base}/${path}`).expect(200)).body as Buffer;
          const sig = await get(`${base}/${path}.sig`).expect(200);
          expect(sig.headers['content-type']).toBe('application/pgp-signature');
          expect(gpgvVerify(dir!, key, sig.body as Buffer, data)).toBe('');
          // A signature of other bytes does not verify.
          expect(() =>
            gpgvVerify(dir!, key, sig.body as Buffer, Buffer.concat([data, Buffer.from('x')])),
          ).toThrow();
        }
        const db = await database('core/x86_64/core.db');
        for (const p of [zst(), anyPkg()]) {
          const sig = await get(`${base}/core/x86_64/${p.fileName}.sig`).expect(200);
          expect(gpgvVerify(dir!, key, sig.body as Buffer, p.bytes)).toBe('');
          const desc = [...db.values()].find((d) => d.includes(`%FILENAME%\n${p.fileName}\n`))!;
          expect(desc).toContain(`%PGPSIG%\n${(sig.body as Buffer).toString('base64')}\n\n`);
        }
      });

      it('refuses the same package again, in any compression, with 409 and stores nothing', async () => {
        const before = await storedCounts(t);
        expect((await put('core', zst().bytes)).status).toBe(409);
        const other = await put('core', zstAsXz().bytes);
        expect(other.status).toBe(409);
        expect(other.text).toMatch(/already/);
        expect(await storedCounts(t)).toEqual(before);
        // Another repository is another database.
        expect((await put('testing/next', zstAsXz().bytes)).status).toBe(201);
        const next = await database('testing/next/x86_64/testing.db');
        expect(next.get('wharf-test-1.0-1/desc')).toContain(`%FILENAME%\n${zstAsXz().fileName}\n`);
      });

      it('lists the newest version of a package only, by pacman version order', async () => {
        expect((await put('core', newer().bytes)).status).toBe(201);
        const db = await database('core/x86_64/core.db');
        expect(db.has('wharf-test-1.1-1/desc')).toBe(true);
        expect(db.has('wharf-test-1.0-1/desc')).toBe(false);
        // The older file is still downloadable.
        await get(`${base}/core/x86_64/${zst().fileName}`).expect(200);
      });

      it('deletes a package: 401 without credentials, 404 for none, 204; the database follows', async () => {
        await request(t.url).delete(`${base}/core/wharf-test/1.1-1/x86_64`).expect(401);
        await del('core/wharf-test/9.9-1/x86_64').expect(404);
        await del('core/wharf-test/1.1-1/aarch64').expect(404);
        await del('core/wharf-test/1.1-1/x86_64').expect(204);
        let db = await database('core/x86_64/core.db');
        expect(db.has('wharf-test-1.0-1/desc')).toBe(true);
        await get(`${base}/core/x86_64/${newer().fileName}`).expect(404);
        await del('core/wharf-test/1.0-1/x86_64').expect(204);
        await del('core/wharf-gz/1:3.0-1/x86_64').expect(204);
        db = await database('core/x86_64/core.db');
        expect([...db.keys()]).toEqual(['wharf-any-0.5-1/desc']);
        await del('core/wharf-any/0.5-1/any').expect(204);
        await get(`${base}/core/x86_64/core.db`).expect(404);
        await get(`${base}/core/x86_64/core.db.sig`).expect(404);
        expect([...(await database('core/aarch64/core.db')).keys()]).toEqual([
          'wharf-arm-2.0-1/desc',
        ]);
      });

      it('takes packages without a repository at the base itself', async () => {
        expect((await put('', anyPkg().bytes)).status).toBe(201);
        const db = await database('x86_64/anything.db');
        expect([...db.keys()]).toEqual(['wharf-any-0.5-1/desc']);
        await get(`${base}/x86_64/${anyPkg().fileName}`).expect(200);
      });

      describe('refuses bad packages with 400 and stores nothing', () => {
        const info = (over: Record<string, string> = {}) =>
          pkgInfo({
            pkgname: 'bad',
            pkgver: '1.0-1',
            arch: 'x86_64',
            builddate: '1',
            size: '1',
            ...over,
          });
        const cases: [string, () => Promise<Buffer>, RegExp][] = [
          [
            'not a compressed tar',
            async () => Buffer.from('just some text, not a package\n'),
            /unsupported package container/,
          ],
          [
            'a bzip2 tar',
            async () => Buffer.concat([Buffer.from('BZh91AY&SY'), Buffer.alloc(64)]),
            /unsupported package container/,
          ],
          [
            'a truncated zst package',
            async () => zst().bytes.subarray(0, Math.floor(zst().bytes.length / 2)),
            /./,
          ],
          [
            'no .PKGINFO',
            () => handMadePackage([{ name: 'usr/bin/x', body: 'x' }]),
            /no \.PKGINFO/,
          ],
          [
            'no pkgname',
            () =>
              handMadePackage([
                { name: '.PKGINFO', body: pkgInfo({ pkgver: '1.0-1', arch: 'x86_64' }) },
              ]),
            /pkgname/,
          ],
          [
            'no arch',
            () =>
              handMadePackage([
                { name: '.PKGINFO', body: pkgInfo({ pkgname: 'bad', pkgver: '1.0-1' }) },
              ]),
            /arch/,
          ],
          [
            'a path as pkgname',
            () => handMadePackage([{ name: '.PKGINFO', body: info({ pkgname: '../etc' }) }]),
            /package name/,
          ],
          [
            'a version without pkgrel',
            () => handMadePackage([{ name: '.PKGINFO', body: info({ pkgver: '1.0' }) }]),
            /version/,
          ],
          [
            'a bad builddate',
            () => handMadePackage([{ name: '.PKGINFO', body: info({ builddate: 'yesterday' }) }]),
            /builddate/,
          ],
          [
            'a ../ entry',
            () =>
              handMadePackage([
                { name: '.PKGINFO', body: info() },
                { name: '../evil', body: 'x' },
              ]),
            /refused/,
          ],
        ];
        it.each(cases)('%s', async (_label, make, message) => {
          const before = await storedCounts(t);
          const res = await put('core', await make());
          expect(res.status).toBe(400);
          expect(res.text).toMatch(message);
          expect(await storedCounts(t)).toEqual(before);
        });

        it('a repository or names in the path that are not names', async () => {
          expect((await put('core/..%2Fx', anyPkg().bytes)).status).toBe(400);
          expect((await put('co re', anyPkg().bytes)).status).toBe(400);
          await get(`${base}/core/x86_64/..%2F..%2Fetc`).expect(400);
          await del('core/..%2Fx/1.0-1/any').expect(400);
        });
      });
    },
  );
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});
