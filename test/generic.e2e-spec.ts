import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import request from 'supertest';
import { PackageQueryService } from '@wharf/packages-core';
import { describeEachBackend } from './support/backends';
import {
  ADMIN_ENV,
  createOrg,
  createToken,
  createUser,
  PASSWORD,
} from './support/clients/accounts';
import { downloadCount, storedCounts } from './support/clients/inspect';
import { startTestApp, TestApp } from './support/test-app';

const run = promisify(execFile);

describeEachBackend('generic registry', (backend) => {
  let t: TestApp;
  let aliceToken: string;
  const base = (owner = 'alice') => `/api/packages/${owner}/generic`;
  const content = Buffer.from([1, 2, 3]);

  beforeAll(async () => {
    t = await startTestApp(backend, { ...ADMIN_ENV, REGISTRY_LIMIT_SIZE_GENERIC: '64 KiB' });
    await createUser(t.url, 'alice');
    await createUser(t.url, 'bob');
    await createUser(t.url, 'carol', 'private');
    await createOrg(t.url, 'alice', 'acme', 'private', { bob: 'read' });
    aliceToken = await createToken(t.url, 'alice');
  });
  afterAll(async () => {
    await t?.close();
  });

  const versionOf = async (owner: string, name: string, version: string) => {
    const users = await request(t.url)
      .get(`/api/v1/packages/${owner}/generic/${name}/${encodeURIComponent(version)}`)
      .auth('alice', PASSWORD);
    return users.body as { id: number };
  };

  it('uploads a raw body (201), refuses the same file again (409), adds a second file to the version', async () => {
    const url = `${base()}/te-st_pac.kage/1.0.3-te%20st/fi-le_na.me`;
    const put = await request(t.url).put(url).auth('alice', PASSWORD).send(content).expect(201);
    expect(put.text).toBe('');
    const again = await request(t.url).put(url).auth('alice', PASSWORD).send(content).expect(409);
    expect(again.headers['content-type']).toMatch(/^text\/plain/);
    expect(again.text).toMatch(/already exists/);
    // Case-insensitive: FI-LE_NA.ME is the same file.
    await request(t.url)
      .put(`${base()}/TE-ST_PAC.KAGE/1.0.3-TE%20ST/FI-LE_NA.ME`)
      .auth('alice', PASSWORD)
      .send(content)
      .expect(409);
    await request(t.url)
      .put(`${base()}/te-st_pac.kage/1.0.3-te%20st/dummy.bin`)
      .set('Authorization', `token ${aliceToken}`)
      .send(content)
      .expect(201);

    const q = t.app.get(PackageQueryService);
    const v = await versionOf('alice', 'te-st_pac.kage', '1.0.3-te st');
    const files = await q.listFiles(v.id);
    expect(files.map((f) => [f.file.name, f.file.isLead, f.blob.size])).toEqual([
      ['fi-le_na.me', true, 3],
      ['dummy.bin', true, 3],
    ]);
    // Identical content is stored once.
    expect(files[0].blob.id).toBe(files[1].blob.id);
  });

  it('takes the first file part of a multipart form; a multipart Content-Type with a raw body is a 400', async () => {
    await request(t.url)
      .put(`${base()}/formpkg/1.0/form.bin`)
      .auth('alice', PASSWORD)
      .field('note', 'ignored')
      .attach('file', Buffer.from('from a form'), 'whatever.bin')
      .expect(201);
    const got = await request(t.url)
      .get(`${base()}/formpkg/1.0/form.bin`)
      .auth('alice', PASSWORD)
      .buffer(true)
      .parse(binary)
      .expect(200);
    expect(got.body.toString()).toBe('from a form');

    const before = await storedCounts(t);
    await request(t.url)
      .put(`${base()}/formpkg/1.0/raw.bin`)
      .auth('alice', PASSWORD)
      .set('Content-Type', 'multipart/form-data')
      .send(content)
      .expect(400);
    const bad = await request(t.url)
      .put(`${base()}/formpkg/1.0/raw.bin`)
      .auth('alice', PASSWORD)
      .set('Content-Type', 'multipart/form-data; boundary=xyz')
      .send(content)
      .expect(400);
    expect(bad.text).toMatch(/multipart/);
    await request(t.url)
      .put(`${base()}/formpkg/1.0/raw.bin`)
      .auth('alice', PASSWORD)
      .field('only', 'fields')
      .expect(400);
    expect(await storedCounts(t)).toEqual(before);
  });

  it.each([
    ['a file name with ../', '/app/1.0/..%2F..%2Fetc%2Fpasswd', /invalid file name/],
    ['a file name ..', '/app/1.0/%2E%2E', /invalid file name/],
    ['a file name with |', '/app/1.0/inva%7Cid.name', /invalid file name/],
    ['a package name with spaces', '/invalid%20package%20name/1.0/f.bin', /invalid package name/],
    ['a package name ..', '/%2E%2E/1.0/f.bin', /invalid package name/],
    ['a version with surrounding spaces', '/app/%20test%20/f.bin', /invalid package version/],
    ['a version with a slash', '/app/1.0%2F..%2F2.0/f.bin', /invalid package version/],
  ])('refuses %s with a 400 that says why, storing nothing', async (_what, suffix, reason) => {
    const before = await storedCounts(t);
    const res = await request(t.url)
      .put(`${base()}${suffix}`)
      .auth('alice', PASSWORD)
      .send(content)
      .expect(400);
    expect(res.text).toMatch(reason);
    expect(await storedCounts(t)).toEqual(before);
  });

  it('refuses a body over the size limit with 413, storing nothing', async () => {
    const before = await storedCounts(t);
    await request(t.url)
      .put(`${base()}/big/1.0/big.bin`)
      .auth('alice', PASSWORD)
      .send(Buffer.alloc(65 * 1024))
      .expect(413);
    expect(await storedCounts(t)).toEqual(before);
  });

  it('downloads with headers, ranges and conditional requests; HEAD does not count, GET does', async () => {
    await request(t.url)
      .put(`${base()}/dl/2.0/data.bin`)
      .auth('alice', PASSWORD)
      .send(Buffer.from('0123456789'))
      .expect(201);
    const v = await versionOf('alice', 'dl', '2.0');
    const url = `${base()}/dl/2.0/data.bin`;

    const head = await request(t.url).head(url).expect(200);
    expect(head.headers['content-length']).toBe('10');
    expect(head.headers['content-type']).toBe('application/octet-stream');
    expect(await downloadCount(t, v.id)).toBe(0);

    const res = await request(t.url).get(url).buffer(true).parse(binary).expect(200);
    expect(res.body.toString()).toBe('0123456789');
    expect(res.headers['content-type']).toBe('application/octet-stream');
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['content-disposition']).toBe(
      `attachment; filename="data.bin"; filename*=UTF-8''data.bin`,
    );
    expect(res.headers['x-checksum-sha256']).toBe(
      '84d89877f0d4041efb6bf91a16f0248f2fd573e6af05c19f96bedb9f882f7882',
    );
    expect(res.headers['x-checksum-sha1']).toBe('87acec17cd9dcd20a716cc2cf67417b71c8a7016');
    expect(res.headers['x-checksum-md5']).toBe('781e5e245d69b566979b86e28d23f2c7');
    expect(res.headers['last-modified']).toBeTruthy();
    expect(await downloadCount(t, v.id)).toBe(1);

    const part = await request(t.url)
      .get(url)
      .set('Range', 'bytes=2-4')
      .buffer(true)
      .parse(binary)
      .expect(206);
    expect(part.body.toString()).toBe('234');
    expect(part.headers['content-range']).toBe('bytes 2-4/10');
    await request(t.url).get(url).set('Range', 'bytes=20-30').expect(416);

    await request(t.url).get(url).set('If-None-Match', res.headers.etag).expect(304);
    await request(t.url)
      .get(url)
      .set('If-Modified-Since', res.headers['last-modified'])
      .expect(304);

    await request(t.url).head(`${base()}/dl/2.0/not.found`).expect(404);
    await request(t.url).get(`${base()}/dl/2.0/not.found`).expect(404);
    await request(t.url).get(`${base()}/dl/9.9/data.bin`).expect(404);
  });

  it('enforces access: anonymous read of a public owner, 401 + Basic challenge for private ones, 403 for a reader publishing', async () => {
    await request(t.url)
      .put(`${base('carol')}/secret/1.0/s.bin`)
      .auth('carol', PASSWORD)
      .send(content)
      .expect(201);
    await request(t.url)
      .put(`${base('acme')}/tool/1.0/t.bin`)
      .auth('alice', PASSWORD)
      .send(content)
      .expect(201);

    await request(t.url).get(`${base()}/dl/2.0/data.bin`).expect(200);
    for (const url of [`${base('carol')}/secret/1.0/s.bin`, `${base('acme')}/tool/1.0/t.bin`]) {
      const res = await request(t.url).get(url).expect(401);
      expect(res.headers['www-authenticate']).toBe('Basic realm="Wharf"');
    }
    const anonPut = await request(t.url).put(`${base()}/anon/1.0/a.bin`).send(content).expect(401);
    expect(anonPut.headers['www-authenticate']).toBe('Basic realm="Wharf"');
    const wrong = await request(t.url)
      .get(`${base('carol')}/secret/1.0/s.bin`)
      .auth('alice', 'wrong-password')
      .expect(401);
    expect(wrong.headers['www-authenticate']).toBe('Basic realm="Wharf"');

    // bob reads acme's packages but may not publish there, nor to alice's.
    await request(t.url)
      .get(`${base('acme')}/tool/1.0/t.bin`)
      .auth('bob', PASSWORD)
      .expect(200);
    const before = await storedCounts(t);
    await request(t.url)
      .put(`${base('acme')}/tool/1.0/bob.bin`)
      .auth('bob', PASSWORD)
      .send(content)
      .expect(403);
    await request(t.url)
      .put(`${base()}/dl/2.0/bob.bin`)
      .auth('bob', PASSWORD)
      .send(content)
      .expect(403);
    await request(t.url).delete(`${base()}/dl/2.0/data.bin`).auth('bob', PASSWORD).expect(403);
    expect(await storedCounts(t)).toEqual(before);
    // A read-only token cannot publish to its own user.
    const readToken = await createToken(t.url, 'alice', ['read:package']);
    await request(t.url)
      .put(`${base()}/dl/2.0/ro.bin`)
      .set('Authorization', `Bearer ${readToken}`)
      .send(content)
      .expect(403);
  });

  it('deletes a file (the version goes with its last file) and a whole version', async () => {
    const f = `${base()}/del/1.0`;
    await request(t.url)
      .put(`${f}/a.bin`)
      .auth('alice', PASSWORD)
      .send(Buffer.from('a'))
      .expect(201);
    await request(t.url)
      .put(`${f}/b.bin`)
      .auth('alice', PASSWORD)
      .send(Buffer.from('b'))
      .expect(201);
    await request(t.url).delete(`${f}/a.bin`).expect(401);
    await request(t.url).delete(`${f}/a.bin`).auth('alice', PASSWORD).expect(204);
    await request(t.url).get(`${f}/a.bin`).expect(404);
    await request(t.url).delete(`${f}/a.bin`).auth('alice', PASSWORD).expect(404);
    await request(t.url).get(`${f}/b.bin`).expect(200);
    await request(t.url).delete(`${f}/b.bin`).auth('alice', PASSWORD).expect(204);
    await request(t.url)
      .get(`/api/v1/packages/alice/generic/del/1.0`)
      .auth('alice', PASSWORD)
      .expect(404);

    await request(t.url)
      .put(`${f}/a.bin`)
      .auth('alice', PASSWORD)
      .send(Buffer.from('a'))
      .expect(201);
    await request(t.url)
      .put(`${f}/c.bin`)
      .auth('alice', PASSWORD)
      .send(Buffer.from('c'))
      .expect(201);
    await request(t.url).delete(f).expect(401);
    await request(t.url).delete(f).auth('alice', PASSWORD).expect(204);
    await request(t.url).get(`${f}/c.bin`).expect(404);
    await request(t.url).delete(f).auth('alice', PASSWORD).expect(404);
  });

  it('works with curl: --upload-file with a token, download with -fLO, 409 on re-upload', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'wharf-curl-'));
    try {
      const file = path.join(dir, 'app-linux-amd64.tar.gz');
      writeFileSync(file, Buffer.alloc(20000, 7));
      const url = `${t.url}${base()}/app/1.4.2/app-linux-amd64.tar.gz`;
      const up = await run('curl', [
        '-sS',
        '-o',
        '/dev/null',
        '-w',
        '%{http_code}',
        '--user',
        `alice:${aliceToken}`,
        '--upload-file',
        file,
        url,
      ]);
      expect(up.stdout).toBe('201');
      const again = await run('curl', [
        '-sS',
        '-o',
        '/dev/null',
        '-w',
        '%{http_code}',
        '-H',
        `Authorization: token ${aliceToken}`,
        '-T',
        file,
        url,
      ]);
      expect(again.stdout).toBe('409');
      const out = path.join(dir, 'out');
      await run('mkdir', [out]);
      await run('curl', ['-fsSLO', url], { cwd: out });
      expect(
        readFileSync(path.join(out, 'app-linux-amd64.tar.gz')).equals(readFileSync(file)),
      ).toBe(true);
      // curl normalises ../ away unless told not to: the server must still refuse it.
      const sneaky = await run('curl', [
        '-sS',
        '--path-as-is',
        '-w',
        '%{http_code}',
        '--user',
        `alice:${aliceToken}`,
        '--upload-file',
        file,
        `${t.url}${base()}/app/1.4.2/..%2F..%2Fescape`,
      ]);
      expect(sneaky.stdout).toMatch(/invalid file name.*\n?400$/s);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

/** supertest parser that keeps the body as bytes. */
function binary(res: any, cb: (err: Error | null, body: Buffer) => void): void {
  const chunks: Buffer[] = [];
  res.on('data', (c: Buffer) => chunks.push(c));
  res.on('end', () => cb(null, Buffer.concat(chunks)));
}
