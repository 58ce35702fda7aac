import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import request from 'supertest';
import { Database } from '@wharf/packages-core';
import { buildRpm, hasRpmbuild, RpmSpecOptions } from '@wharf/packages-core/testing/rpmbuild';
import { describeIf } from '@wharf/packages-core/testing/test-env';
import { describeEachBackend } from './support/backends';
import { ADMIN_ENV, createToken, createUser } from './support/clients/accounts';
import {
  claimPayloadSize,
  corruptMainHeader,
  findLibrpm,
  findXz,
  newcCpio,
  parseRelease,
  readPkglistWithLibrpm,
  renumberRpm,
  replacePayload,
  xzDecompress,
} from './support/clients/alt';
import { storedCounts } from './support/clients/inspect';
import { startTestApp, TestApp } from './support/test-app';

const hash = (algo: string, b: Buffer | string) => createHash(algo).update(b).digest('hex');
const tools = [
  { available: hasRpmbuild(), missing: 'rpmbuild (apt-get install rpm)' },
  findLibrpm(),
  findXz(),
];

/*
 * ALT Linux apt-rpm repositories over HTTP (docs/protocols/alt.md §7: Forgejo's
 * TestPackageAlt, groups "", el9 and el9/stable), with packages rpmbuild builds, and the
 * indexes read as apt-rpm reads them (ALT's apt 0.5.15lorg2-alt, imz/apt on GitHub):
 * apt-get update fetches `{repo}/{arch}/base/release`, parses its BLAKE2b section
 * (MD5Sum when absent: apt-pkg/repository.cc ParseRelease), fetches
 * `base/pkglist.classic.xz` when release lists it (acquire-item.cc pkgAcqIndex), pipes it
 * through `xz -d` and checks the size and BLAKE2b of the result against the
 * `base/pkglist.classic` line; then librpm's headerRead reads the records
 * (rpmhandler.cc RPMFileHandler::Skip). apt-get install fetches
 * `{repo}/{arch}/{CRPMTAG_DIRECTORY}/{CRPMTAG_FILENAME}` and checks its BLAKE2b
 * (pkgAcqArchive::QueueNext). librpm is Debian's (python3-rpm): the same headerRead.
 */
describeIf(
  tools.every((x) => x.available),
  tools
    .filter((x) => !x.available)
    .map((x) => x.missing)
    .join(', '),
  'alt (with rpmbuild, librpm and xz)',
  () => {
    describeEachBackend('alt registry', (backend) => {
      let t: TestApp;
      let token: string;
      let work: string;
      const base = (owner = 'alice') => `/api/packages/${owner}/alt`;
      const rpm = (spec: RpmSpecOptions) => readFileSync(buildRpm(work, spec));

      /** `{base}[/group]/upload` as Forgejo's test builds it; the default group's repo is `alt.repo`. */
      const urls = (group: string) => ({
        upload: group ? `${base()}/${group}/upload` : `${base()}/upload`,
        repo: group ? `${base()}/${group}.repo` : `${base()}/alt.repo`,
      });
      const upload = (group: string, body: Buffer) =>
        request(t.url)
          .put(urls(group).upload)
          .auth('alice', token)
          .set('Content-Type', 'application/x-rpm')
          .send(body);
      const get = (p: string) =>
        request(t.url)
          .get(p)
          .buffer(true)
          .parse((res, cb) => {
            const chunks: Buffer[] = [];
            res.on('data', (c: Buffer) => chunks.push(c));
            res.on('end', () => cb(null, Buffer.concat(chunks)));
          });
      const segments = async () =>
        Number(
          (await t.app.get(Database).manager.query('SELECT COUNT(*) AS n FROM index_segment'))[0].n,
        );

      /**
       * apt-get update for one `rpm {repo} {arch} classic` line: release, then the .xz list
       * checked against the plain list's sums, then the records through librpm.
       */
      async function aptUpdate(repo: string, arch: string) {
        const releaseRes = await get(`${repo}/${arch}/base/release`).expect(200);
        const release = parseRelease(releaseRes.body.toString('utf8'));
        const listed = (file: string) =>
          release.sums.BLAKE2b.find((s) => s.path === `base/${file}`);
        const plainSum = listed('pkglist.classic')!;
        expect(listed('pkglist.classic.xz')).toBeDefined();
        const xz = await get(`${repo}/${arch}/base/pkglist.classic.xz`).expect(200);
        const pkglist = await xzDecompress(xz.body);
        expect(pkglist.length).toBe(plainSum.size);
        expect(hash('blake2b512', pkglist)).toBe(plainSum.hash);
        const records = await readPkglistWithLibrpm(pkglist);
        return { release, pkglist, xz: xz.body as Buffer, records };
      }

      beforeAll(async () => {
        work = mkdtempSync(path.join(os.tmpdir(), 'wharf-alt-e2e-'));
        t = await startTestApp(backend, { ...ADMIN_ENV, REGISTRY_LIMIT_SIZE_ALT: '64 MiB' });
        await createUser(t.url, 'alice');
        token = await createToken(t.url, 'alice');
      });
      afterAll(async () => {
        await t?.close();
        rmSync(work, { recursive: true, force: true });
      });

      for (const group of ['', 'el9', 'el9/stable']) {
        it(`serves group "${group}" as Forgejo's test checks it (config, upload 401/201/409, download, release files, pkglist, delete)`, async () => {
          const pkg = rpm({
            name: 'gitea-test',
            version: '1.0.2',
            release: '1',
            arch: 'x86_64',
            summary: 'RPM package summary',
            description: 'RPM package description',
            license: 'MIT',
            url: 'https://gitea.io',
            files: [{ path: '/usr/local/bin/hello', content: '#!/bin/sh\necho hi\n', mode: '755' }],
            changelog: '* Wed Mar 08 2023 KN4CK3R <dummy@gitea.io> - 1.0.2-1\n- Changelog message.',
          });
          const { upload: uploadUrl, repo } = urls(group);
          const parts = group ? group.split('/') : ['alt'];

          const config = await request(t.url).get(repo).expect(200);
          expect(config.text).toBe(
            [
              `[wharf-${['alice', ...parts].join('-')}]`,
              `name=${['alice', 'Wharf', ...parts].join(' - ')}`,
              `baseurl=${t.url}${base()}/${parts.join('/')}`,
              'enabled=1',
            ].join('\n'),
          );
          expect(config.headers['x-content-type-options']).toBe('nosniff');

          await request(t.url).put(uploadUrl).send(pkg).expect(401);
          const created = await upload(group, pkg).expect(201);
          expect(created.text).toBe('');
          await upload(group, pkg).expect(409);

          const fileName = 'gitea-test-1.0.2-1.x86_64.rpm';
          const download = await get(`${repo}/x86_64/RPMS.classic/${fileName}`).expect(200);
          expect(Buffer.compare(download.body, pkg)).toBe(0);
          expect(download.headers['x-content-type-options']).toBe('nosniff');
          await request(t.url).get(`${repo}/noarch/RPMS.classic/${fileName}`).expect(404);

          await request(t.url).head(`${repo}/x86_64/base/dummy.xml`).expect(404);
          await request(t.url).get(`${repo}/x86_64/base/dummy.xml`).expect(404);
          await request(t.url).get(`${repo}/noarch/base/release`).expect(404);

          await request(t.url).head(`${repo}/x86_64/base/release.classic`).expect(200);
          const classic = await request(t.url)
            .get(`${repo}/x86_64/base/release.classic`)
            .expect(200);
          const classicFields = parseRelease(classic.text).fields;
          expect(classicFields).toMatchObject({
            Archive: 'Alt Linux Team',
            Component: 'classic',
            Origin: 'Alt Linux Team',
            Label: 'Wharf',
            Architecture: 'x86_64',
            NotAutomatic: 'false',
          });

          await request(t.url).head(`${repo}/x86_64/base/release`).expect(200);
          const { release, pkglist, xz, records } = await aptUpdate(repo, 'x86_64');
          expect(release.fields).toMatchObject({
            Origin: 'Wharf',
            Label: 'Wharf',
            Suite: 'Sisyphus',
            Architectures: 'x86_64',
          });
          const plain = await get(`${repo}/x86_64/base/pkglist.classic`).expect(200);
          expect(Buffer.compare(plain.body, pkglist)).toBe(0);
          const files = {
            'pkglist.classic': pkglist,
            'pkglist.classic.xz': xz,
            'release.classic': Buffer.from(classic.text),
          };
          for (const [section, algo] of [
            ['MD5Sum', 'md5'],
            ['BLAKE2b', 'blake2b512'],
          ] as const)
            expect(release.sums[section]).toEqual(
              Object.entries(files).map(([name, bytes]) => ({
                hash: hash(algo, bytes),
                size: bytes.length,
                path: `base/${name}`,
              })),
            );

          expect(records).toHaveLength(1);
          const [r] = records;
          expect(r).toMatchObject({
            name: 'gitea-test',
            version: '1.0.2',
            release: '1',
            epoch: null,
            arch: 'x86_64',
            summary: 'RPM package summary',
            description: 'RPM package description',
            filename: fileName,
            directory: 'RPMS.classic',
            filesize: pkg.length,
            md5: hash('md5', pkg),
            blake2b: hash('blake2b512', pkg),
            files: ['/usr/local/bin/hello'],
            changelog: [
              { name: 'KN4CK3R <dummy@gitea.io> - 1.0.2-1', text: '- Changelog message.' },
            ].map((c) => expect.objectContaining(c)),
          });
          expect(r.sourcerpm).toBe('gitea-test-1.0.2-1.src.rpm');
          // Unlike Forgejo (§8), dependency names are kept: apt-rpm resolves by them.
          expect(r.provides).toEqual(
            expect.arrayContaining([{ name: 'gitea-test', flags: 8, version: '1.0.2-1' }]),
          );
          expect(r.requires.map((d) => d.name)).toContain('/bin/sh');

          await request(t.url).delete(`${repo}/x86_64/RPMS.classic/${fileName}`).expect(401);
          await request(t.url)
            .delete(`${repo}/x86_64/RPMS.classic/${fileName}`)
            .auth('alice', token)
            .expect(204);
          expect((await storedCounts(t)).versions).toBe(0);
          await request(t.url)
            .delete(`${repo}/x86_64/RPMS.classic/${fileName}`)
            .auth('alice', token)
            .expect(404);
          await request(t.url).get(`${repo}/x86_64/base/release`).expect(404);
          await request(t.url).get(`${repo}/x86_64/base/pkglist.classic`).expect(404);
          expect(await segments()).toBe(0);
        });
      }

      it('lists every architecture in its own directory, keeps epochs, dependency names and file lists as apt-rpm reads them, and serves what a record points at', async () => {
        const lib = rpm({
          name: 'libwharf',
          version: '2.1',
          release: 'alt3',
          epoch: 2,
          arch: 'x86_64',
          provides: ['wharf-lib = 2.1'],
          files: [
            { path: '/usr/lib64/libwharf.so.2', content: 'ELF?' },
            { path: '/usr/share/doc/libwharf/README', content: 'read me' },
            { path: '/usr/lib64/libwharf.so', symlinkTo: 'libwharf.so.2' },
          ],
        });
        const tool = rpm({
          name: 'wharf-tool',
          version: '0.9',
          release: 'alt1',
          arch: 'x86_64',
          requires: ['libwharf >= 2:2.1', 'wharf-data'],
          conflicts: ['old-wharf-tool'],
          obsoletes: ['wharf-tool-legacy < 0.5'],
          files: [{ path: '/usr/bin/wharf-tool', content: '#!/bin/sh\n', mode: '755' }],
        });
        const data = rpm({ name: 'wharf-data', version: '1', release: 'alt1', arch: 'noarch' });
        for (const body of [lib, tool, data]) await upload('sisyphus', body).expect(201);
        const repo = `${base()}/sisyphus.repo`;

        const x86 = await aptUpdate(repo, 'x86_64');
        expect(x86.records.map((r) => r.name)).toEqual(['libwharf', 'wharf-tool']);
        const [libRecord, toolRecord] = x86.records;
        expect(libRecord).toMatchObject({ epoch: 2, version: '2.1', release: 'alt3' });
        expect(libRecord.filename).toBe('libwharf-2-2.1-alt3.x86_64.rpm');
        expect(libRecord.files.sort()).toEqual([
          '/usr/lib64/libwharf.so',
          '/usr/lib64/libwharf.so.2',
          '/usr/share/doc/libwharf/README',
        ]);
        expect(libRecord.provides).toEqual(
          expect.arrayContaining([{ name: 'wharf-lib', flags: 8, version: '2.1' }]),
        );
        expect(toolRecord.requires).toEqual(
          expect.arrayContaining([
            { name: 'libwharf', flags: 12, version: '2:2.1' },
            { name: 'wharf-data', flags: 0, version: '' },
          ]),
        );

        const noarch = await aptUpdate(repo, 'noarch');
        expect(noarch.records.map((r) => r.name)).toEqual(['wharf-data']);

        // apt-get install: {repo}/{arch}/{Directory}/{FileName}, checked by BLAKE2b.
        for (const [arch, record, body] of [
          ['x86_64', libRecord, lib],
          ['x86_64', toolRecord, tool],
          ['noarch', noarch.records[0], data],
        ] as const) {
          const got = await get(`${repo}/${arch}/${record.directory}/${record.filename}`).expect(
            200,
          );
          expect(hash('blake2b512', got.body)).toBe(record.blake2b);
          expect(got.body.length).toBe(record.filesize);
          expect(Buffer.compare(got.body, body)).toBe(0);
        }

        // The same file in another group is another file; the first group's index is unchanged.
        await upload('other', data).expect(201);
        expect((await aptUpdate(repo, 'noarch')).pkglist).toEqual(noarch.pkglist);
      });

      it('drops a deleted package from the middle of a pkglist and sums the rest anew', async () => {
        const names = ['mid-a', 'mid-b', 'mid-c'];
        for (const name of names)
          await upload(
            'middle',
            rpm({ name, version: '1', release: 'alt1', arch: 'noarch' }),
          ).expect(201);
        const repo = `${base()}/middle.repo`;
        expect((await aptUpdate(repo, 'noarch')).records.map((r) => r.name)).toEqual(names);
        await request(t.url)
          .delete(`${repo}/noarch/RPMS.classic/mid-b-1-alt1.noarch.rpm`)
          .auth('alice', token)
          .expect(204);
        expect((await aptUpdate(repo, 'noarch')).records.map((r) => r.name)).toEqual([
          'mid-a',
          'mid-c',
        ]);
        await upload(
          'middle',
          rpm({ name: 'mid-d', version: '1', release: 'alt1', arch: 'noarch' }),
        ).expect(201);
        expect((await aptUpdate(repo, 'noarch')).records.map((r) => r.name)).toEqual([
          'mid-a',
          'mid-c',
          'mid-d',
        ]);
      });

      it('keeps every package of concurrent uploads, and follows a deletion through the management API', async () => {
        const template = rpm({
          name: 'race-zq000000',
          version: '1',
          release: 'alt1',
          arch: 'noarch',
        });
        const names = Array.from(
          { length: 8 },
          (_, i) => `race-zq${String(i + 1).padStart(6, '0')}`,
        );
        const results = await Promise.all(
          names.map((name) => upload('race', renumberRpm(template, 'race-zq000000', name))),
        );
        expect(results.map((r) => r.status)).toEqual(names.map(() => 201));
        const repo = `${base()}/race.repo`;
        const listed = (await aptUpdate(repo, 'noarch')).records.map((r) => r.name);
        expect([...listed].sort()).toEqual(names);

        // Another path than this API's DELETE: the index follows all the same.
        await request(t.url)
          .delete(`/api/v1/packages/alice/alt/${names[3]}/1-alt1`)
          .auth('alice', token)
          .expect(204);
        const after = await aptUpdate(repo, 'noarch');
        expect(after.records.map((r) => r.name)).toEqual(listed.filter((n) => n !== names[3]));
      });

      describe('refuses bad uploads with a clear 4xx and stores nothing', () => {
        let good: Buffer;
        beforeAll(() => {
          good = rpm({ name: 'victim', version: '1', release: 'alt1', arch: 'noarch' });
        });

        const refused = async (body: Buffer, status: number, message: RegExp) => {
          const before = await storedCounts(t);
          const segmentsBefore = await segments();
          const res = await upload('bad', body);
          expect({ status: res.status, text: res.text }).toEqual({
            status,
            text: expect.stringMatching(message),
          });
          expect(await storedCounts(t)).toEqual(before);
          expect(await segments()).toBe(segmentsBefore);
          await request(t.url).get(`${base()}/bad.repo/noarch/base/release`).expect(404);
        };

        it('an empty body', () => refused(Buffer.alloc(0), 400, /empty/));
        it('a file that is not an rpm', () =>
          refused(Buffer.from('just some text, not a package\n'.repeat(100)), 400, /not an rpm/));
        it('an rpm whose main header was changed after the build', () =>
          refused(corruptMainHeader(good), 400, /header.*(digest|corrupt)|corrupt.*header/i));
        it('an rpm cut short inside its headers', () =>
          refused(good.subarray(0, 300), 400, /truncated|corrupt/));
        it('a payload holding an entry named ../x', () =>
          refused(
            replacePayload(good, newcCpio([{ name: '../x', data: Buffer.from('escape') }])),
            400,
            /\.\.\/x/,
          ));
        it('a payload that unpacks to more than its rpm declares (a bomb)', () => {
          const bomb = rpm({
            name: 'bomb',
            version: '1',
            release: 'alt1',
            arch: 'noarch',
            files: [{ path: '/usr/share/bomb/zeros', content: Buffer.alloc(24 * 1024 * 1024) }],
          });
          return refused(claimPayloadSize(bomb, 4096), 413, /unpacks to more than/);
        });
        it('a source package', () => {
          const src = Buffer.from(good);
          src.writeUInt16BE(1, 6); // the lead's type: 1 = source
          return refused(src, 400, /source package/);
        });
      });
    });
  },
);
