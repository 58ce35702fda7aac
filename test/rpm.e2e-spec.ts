import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { XMLParser } from 'fast-xml-parser';
import * as openpgp from 'openpgp';
import request from 'supertest';
import { describeIf } from '@wharf/packages-core/testing/test-env';
import { describeEachBackend } from './support/backends';
import { ADMIN_ENV, createToken, createUser, PASSWORD } from './support/clients/accounts';
import { binary } from './support/clients/container';
import { downloadCount, storedCounts } from './support/clients/inspect';
import {
  corruptHeader,
  hasRpmbuild,
  rpmBytes,
  scratch,
  withBombPayload,
  withPayloadEntry,
} from './support/clients/rpm';
import { startTestApp, TestApp } from './support/test-app';

const sha256 = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');
const xml = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@',
  removeNSPrefix: true,
  isArray: (name) => ['package', 'data', 'entry', 'file', 'changelog'].includes(name),
});

type Doc = Record<string, any>;

/*
 * rpm repositories over HTTP (docs/protocols/rpm.md §8: Forgejo's TestPackageRpm for the
 * groups "", "el9" and "el9/stable", plus what dnf reads). The client side is dnf 4's
 * (librepo): GET `{group}/repodata/repomd.xml` (and `.asc` with repo_gpgcheck), each
 * `<data>`'s location checked against its checksum, then `<location href>` joined to the
 * group's URL for the download; rpm checks the package's signature with the gpgkey= key.
 */
describeEachBackend('rpm registry', (backend) => {
  describeIf(hasRpmbuild(), 'rpmbuild (apt-get install rpm)', 'with rpmbuild packages', () => {
    let t: TestApp;
    let token: string;
    let dir: string;
    const base = (owner = 'alice') => `/api/packages/${owner}/rpm`;
    const groupUrl = (group: string) => (group ? `${base()}/${group}` : base());
    const put = (group: string, body: Buffer, query = '') =>
      request(t.url)
        .put(`${groupUrl(group)}/upload${query}`)
        .auth('alice', token)
        .set('Content-Type', 'application/octet-stream')
        .send(body);
    const get = (url: string) => request(t.url).get(url).buffer(true).parse(binary);

    /** repomd.xml and the three documents it lists, each checked against its checksums. */
    async function repodata(group: string) {
      const repomdRes = await request(t.url).get(`${groupUrl(group)}/repodata/repomd.xml`);
      expect(repomdRes.status).toBe(200);
      expect(repomdRes.headers['content-type']).toMatch(/^application\/xml/);
      expect(repomdRes.headers['x-content-type-options']).toBe('nosniff');
      const repomd = xml.parse(repomdRes.text).repomd as Doc;
      const docs: Record<string, Doc> = {};
      for (const data of repomd.data as Doc[]) {
        const href = data.location['@href'] as string;
        const res = await get(`${groupUrl(group)}/${href}`).expect(200);
        const gz = res.body as Buffer;
        expect(sha256(gz)).toBe(data.checksum['#text']);
        expect(gz.length).toBe(Number(data.size));
        const plain = gunzipSync(gz); // the gzip members, read on as zlib reads them
        expect(plain.length).toBe(Number(data['open-size']));
        docs[data['@type'] as string] = xml.parse(plain.toString());
      }
      expect(Object.keys(docs).sort()).toEqual(['filelists', 'other', 'primary']);
      return {
        repomd: repomdRes.text,
        primary: docs.primary.metadata as Doc,
        filelists: docs.filelists.filelists as Doc,
        other: docs.other.otherdata as Doc,
      };
    }

    beforeAll(async () => {
      dir = scratch('rpm-e2e');
      t = await startTestApp(backend, { ...ADMIN_ENV, REGISTRY_LIMIT_SIZE_RPM: '16 MiB' });
      await createUser(t.url, 'alice');
      token = await createToken(t.url, 'alice');
    });
    afterAll(async () => {
      await t?.close();
      rmSync(dir, { recursive: true, force: true });
    });

    describe.each(['', 'el9', 'el9/stable'])('group "%s"', (group) => {
      const name = `gitea-test${group.replace(/\W/g, '')}`;
      let original: Buffer;

      beforeAll(() => {
        original = rpmBytes(dir, {
          name,
          version: '1.0.2',
          release: '1',
          arch: 'x86_64',
          url: 'https://gitea.io',
          summary: 'RPM test',
          license: 'MIT',
          files: [{ path: '/usr/local/bin/hello', content: 'hello\n', mode: '755' }],
          changelog: '* Wed Mar 08 2023 KN4CK3R <dummy@gitea.io> - 1.0.2-1\n- Changelog message.',
        });
      });

      it('serves the .repo file dnf adds (gpgcheck on)', async () => {
        const url = group ? `${base()}/${group}.repo` : `${base()}.repo`;
        const res = await request(t.url).get(url).expect(200);
        expect(res.headers['content-type']).toMatch(/^text\/plain/);
        const parts = group ? group.split('/') : [];
        expect(res.text).toBe(
          [
            `[${['wharf', 'alice', ...parts].join('-')}]`,
            `name=${['alice', 'Wharf', ...parts].join(' - ')}`,
            `baseurl=${[`${t.url}${base()}`, ...parts].join('/')}`,
            'enabled=1',
            'gpgcheck=1',
            'repo_gpgcheck=1',
            `gpgkey=${t.url}${base()}/repository.key`,
            '',
          ].join('\n'),
        );
      });

      it('takes an upload (401 anonymous, 201, 409 again), signed by default, and lists it', async () => {
        await request(t.url)
          .put(`${groupUrl(group)}/upload`)
          .send(original)
          .expect(401);
        const created = await put(group, original).expect(201);
        expect(created.text).toBe('');
        const again = await put(group, original).expect(409);
        expect(again.text).toMatch(/exists/);

        const download = `${groupUrl(group)}/package/${name}/1.0.2-1/x86_64`;
        const stored = (await get(download).expect(200)).body as Buffer;
        // Signed: a new signature header, the main header and payload as uploaded.
        expect(stored.equals(original)).toBe(false);
        expect(stored.subarray(-1000).equals(original.subarray(-1000))).toBe(true);
        const named = await get(`${download}/${name}-1.0.2-1.x86_64.rpm`).expect(200);
        expect((named.body as Buffer).equals(stored)).toBe(true);
        await request(t.url).head(download).expect(200);

        const { primary, filelists, other } = await repodata(group);
        expect(primary['@packages']).toBe('1');
        const p = primary.package[0] as Doc;
        expect(p['@type']).toBe('rpm');
        expect(p.name).toBe(name);
        expect(p.arch).toBe('x86_64');
        expect(p.version).toEqual({ '@epoch': '0', '@ver': '1.0.2', '@rel': '1' });
        expect(p.checksum).toEqual({ '#text': sha256(stored), '@type': 'sha256', '@pkgid': 'YES' });
        expect(p.url).toBe('https://gitea.io');
        expect(p.size['@package']).toBe(String(stored.length));
        expect(p.location['@href']).toBe(
          `package/${name}/1.0.2-1/x86_64/${name}-1.0.2-1.x86_64.rpm`,
        );
        expect(p.format.license).toBe('MIT');
        expect(p.format.file).toEqual(['/usr/local/bin/hello']);
        const provides = (p.format.provides.entry as Doc[]).map((e) => e['@name']);
        expect(provides).toContain(name);
        // The header range points at the main header of the stored (signed) file.
        const range = p.format['header-range'];
        expect(stored.readUInt32BE(Number(range['@start']))).toBe(0x8eade801);
        expect(Number(range['@end'])).toBeLessThan(stored.length);
        expect(filelists.package[0]['@pkgid']).toBe(sha256(stored));
        expect(filelists.package[0].file).toEqual(['/usr/local/bin/hello']);
        expect(other.package[0].changelog).toEqual([
          {
            '#text': '- Changelog message.',
            '@author': 'KN4CK3R <dummy@gitea.io> - 1.0.2-1',
            '@date': '1678276800',
          },
        ]);
        await request(t.url)
          .get(`${groupUrl(group)}/repodata/dummy.xml`)
          .expect(404);
        await request(t.url)
          .head(`${groupUrl(group)}/repodata/repomd.xml`)
          .expect(200);
      });

      it('signs repomd.xml and the package with the key it serves', async () => {
        const keyRes = await request(t.url).get(`${base()}/repository.key`).expect(200);
        expect(keyRes.headers['content-type']).toMatch(/^application\/pgp-keys/);
        expect(keyRes.text).toMatch(/^-----BEGIN PGP PUBLIC KEY BLOCK-----/);
        const { repomd } = await repodata(group);
        const asc = await request(t.url)
          .get(`${groupUrl(group)}/repodata/repomd.xml.asc`)
          .expect(200);
        expect(asc.text).toMatch(/-----BEGIN PGP SIGNATURE-----/);
        const verified = await openpgp.verify({
          message: await openpgp.createMessage({ text: repomd }),
          signature: await openpgp.readSignature({ armoredSignature: asc.text }),
          verificationKeys: await openpgp.readKey({ armoredKey: keyRes.text }),
          format: 'binary',
        });
        await expect(verified.signatures[0].verified).resolves.toBe(true);

        const stored = (await get(`${groupUrl(group)}/package/${name}/1.0.2-1/x86_64`).expect(200))
          .body as Buffer;
        const db = path.join(dir, `rpmdb-${name}`);
        writeFileSync(path.join(dir, 'key.asc'), keyRes.text);
        writeFileSync(path.join(dir, 'signed.rpm'), stored);
        const rpmkeys = (...args: string[]) =>
          execFileSync('rpmkeys', ['--dbpath', db, ...args], {
            env: { ...process.env, HOME: dir },
          }).toString();
        rpmkeys('--import', path.join(dir, 'key.asc'));
        expect(rpmkeys('--checksig', path.join(dir, 'signed.rpm'))).toMatch(
          /digests signatures OK/,
        );
      });

      it('deletes at {group}/package/{name}/{version}/{arch} (401, 204, 404 again) and the repodata drops it', async () => {
        const url = `${groupUrl(group)}/package/${name}/1.0.2-1/x86_64`;
        await request(t.url).delete(url).expect(401);
        await request(t.url).delete(url).auth('alice', token).expect(204);
        await request(t.url).delete(url).auth('alice', token).expect(404);
        await request(t.url).get(url).expect(404);
        // No package left in the group: no repodata, as Forgejo.
        await request(t.url)
          .get(`${groupUrl(group)}/repodata/repomd.xml`)
          .expect(404);
      });
    });

    it('keeps a package as uploaded with ?sign=false, and counts downloads', async () => {
      const rpm = rpmBytes(dir, { name: 'unsigned-pkg', version: '2.0', release: '3', epoch: 4 });
      await put('plain', rpm, '?sign=false').expect(201);
      // The epoch goes into the stored version with a hyphen, as Forgejo stores it.
      const url = `${base()}/plain/package/unsigned-pkg/4-2.0-3/noarch`;
      const got = (await get(url).expect(200)).body as Buffer;
      expect(got.equals(rpm)).toBe(true);
      const { primary } = await repodata('plain');
      expect(primary.package[0].version).toEqual({ '@epoch': '4', '@ver': '2.0', '@rel': '3' });
      expect(primary.package[0].checksum['#text']).toBe(sha256(rpm));
      const version = await request(t.url)
        .get('/api/v1/packages/alice/rpm/unsigned-pkg/4-2.0-3')
        .auth('alice', PASSWORD)
        .expect(200);
      expect(await downloadCount(t, Number(version.body.id))).toBe(1);
      await put('plain', rpm, '?sign=maybe').expect(400);
    });

    it('lists both packages of two uploads at once, and drops one deleted through the management API', async () => {
      const a = rpmBytes(dir, { name: 'race-a', version: '1' });
      const b = rpmBytes(dir, { name: 'race-b', version: '1' });
      await repodata('plain'); // a snapshot is cached before the writes
      await Promise.all([put('plain', a).expect(201), put('plain', b).expect(201)]);
      const names = (await repodata('plain')).primary.package.map((p: Doc) => p.name);
      expect(names).toEqual(expect.arrayContaining(['race-a', 'race-b', 'unsigned-pkg']));
      await request(t.url)
        .delete('/api/v1/packages/alice/rpm/race-a/1-1')
        .auth('alice', PASSWORD)
        .expect(204);
      const after = (await repodata('plain')).primary.package.map((p: Doc) => p.name);
      expect(after).not.toContain('race-a');
      expect(after).toContain('race-b');
    });

    describe('refuses bad uploads with a clear 4xx, storing nothing', () => {
      let good: Buffer;
      beforeAll(() => {
        good = rpmBytes(dir, { name: 'victim', version: '1.0' });
      });

      it.each([
        [
          'an rpm with a corrupt header',
          400,
          /main header does not match the sha256 digest/,
          () => corruptHeader(good),
        ],
        [
          'a cpio entry named ../x',
          400,
          /"\.\.\/x" that is refused: the name has a "\.\." segment/,
          () => withPayloadEntry(dir, good, '../x'),
        ],
        [
          'a cpio entry with an absolute name',
          400,
          /"\/etc\/passwd" that is refused: the name is an absolute path/,
          () => withPayloadEntry(dir, good, '/etc/passwd'),
        ],
        [
          'a decompression bomb',
          413,
          /unpacks to more than/,
          () => withBombPayload(dir, good, 300),
        ],
        [
          'a file that is not an rpm',
          400,
          /not an rpm package/,
          async () => Buffer.from('hello world, this is not an rpm at all'.repeat(10)),
        ],
        ['a truncated rpm', 400, /truncated/, async () => good.subarray(0, 1000)],
        ['an empty body', 400, /empty/, async () => Buffer.alloc(0)],
      ])('%s', async (_what, status, message, make) => {
        const body = await make();
        const before = await storedCounts(t);
        const res = await put('bad', body).expect(status);
        expect(res.text).toMatch(message);
        expect(await storedCounts(t)).toEqual(before);
      });

      it('a group or path that is not one', async () => {
        const before = await storedCounts(t);
        await put('Bad%20Group', good).expect(400);
        await put('a/../b', good).expect(400);
        await request(t.url).put(`${base()}/el9/nope`).auth('alice', token).send(good).expect(404);
        expect(await storedCounts(t)).toEqual(before);
        await request(t.url).get(`${base()}/el9/nothing-here`).expect(404);
        await request(t.url).get(`${base()}/el9/package/a/b`).expect(404);
      });
    });
  });
});
