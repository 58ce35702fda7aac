import request from 'supertest';
import jwt from 'jsonwebtoken';
import { describeEachBackend } from './support/backends';
import { startTestApp, TestApp } from './support/test-app';
import {
  ADMIN_ENV,
  createOrg,
  createToken,
  createUser,
  PASSWORD,
} from './support/clients/accounts';
import {
  bearer,
  binary,
  challengeFor,
  DOCKER_LIST,
  DOCKER_MANIFEST,
  OCI_EMPTY,
  OCI_INDEX,
  OCI_MANIFEST,
  pushBlob,
  pushImage,
  rawRequest,
  registryToken,
  sha256,
} from './support/clients/container';
import { startReplica } from './support/clients/container-replica';
import { LOGIN_MAX_FAILURES, UserService } from '@wharf/auth';
import {
  BLOB_STORAGE,
  BlobDigestService,
  BlobStorage,
  CleanupService,
  PackageQueryService,
  PackageType,
} from '@wharf/packages-core';
import { createHash, randomBytes } from 'node:crypto';
import http from 'node:http';
import { Readable } from 'node:stream';

/** PATCH of one chunk of an upload session, `range` as Content-Range says it. */
function patchChunk(url: string, location: string, token: string, range: string, chunk: Buffer) {
  return request(url)
    .patch(location)
    .set(bearer(token))
    .set('Content-Range', range)
    .set('Content-Type', 'application/octet-stream')
    .send(chunk);
}

const UNAUTHORIZED_BODY = '{"errors":[{"code":"UNAUTHORIZED","message":""}]}';

describeEachBackend('container registry (/v2)', (backend) => {
  let t: TestApp;
  let alice: string; // write token for alice
  let bob: string;
  let anon: string;

  beforeAll(async () => {
    t = await startTestApp(backend, ADMIN_ENV);
    await createUser(t.url, 'alice');
    await createUser(t.url, 'bob');
    await createUser(t.url, 'carol', 'private');
    await createOrg(t.url, 'alice', 'acme', 'private', { bob: 'read' });
    alice = await registryToken(t.url, ['alice', PASSWORD]);
    bob = await registryToken(t.url, ['bob', PASSWORD]);
    anon = await registryToken(t.url);
  });
  afterAll(() => t?.close());

  describe('the challenge and the token service', () => {
    it.each(['/v2', '/v2/', '/v2/alice/app/tags/list', '/v2/_catalog', '/v2/nothing/here'])(
      'answers %s without credentials with exactly one Bearer challenge',
      async (path) => {
        const res = await rawRequest(t.url, 'GET', path);
        expect(res.status).toBe(401);
        const www = res.headers.filter(([k]) => k === 'www-authenticate');
        expect(www).toEqual([['www-authenticate', challengeFor(t.url)]]);
        expect(res.headers).toContainEqual(['docker-distribution-api-version', 'registry/2.0']);
        expect(res.headers).toContainEqual(['content-type', 'application/json']);
        expect(res.body).toBe(UNAUTHORIZED_BODY);
      },
    );

    it('answers a push without credentials with the same 401', async () => {
      const res = await rawRequest(t.url, 'POST', '/v2/alice/app/blobs/uploads/');
      expect(res.status).toBe(401);
      expect(res.headers.filter(([k]) => k === 'www-authenticate')).toEqual([
        ['www-authenticate', challengeFor(t.url)],
      ]);
      expect(res.body).toBe(UNAUTHORIZED_BODY);
    });

    it('hands out tokens: anonymous, by password, by access token; refuses a wrong password with the challenge', async () => {
      const res = await request(t.url).get('/v2/token').expect(200);
      expect(res.headers['docker-distribution-api-version']).toBe('registry/2.0');
      expect(res.body).toEqual({
        token: expect.any(String),
        access_token: res.body.token,
        expires_in: 300,
        issued_at: expect.any(String),
      });
      await request(t.url).get('/v2').set(bearer(res.body.token)).expect(200);
      const token = await createToken(t.url, 'alice', ['read:package']);
      const viaToken = await request(t.url).get('/v2/token').auth('alice', token).expect(200);
      expect((jwt.decode(viaToken.body.token) as { scp: string }).scp).toBe('read:package');
      const wrong = await rawRequest(t.url, 'GET', '/v2/token', {
        Authorization: `Basic ${Buffer.from('alice:nope-nope-nope').toString('base64')}`,
      });
      expect(wrong.status).toBe(401);
      expect(wrong.headers.filter(([k]) => k === 'www-authenticate')).toEqual([
        ['www-authenticate', challengeFor(t.url)],
      ]);
    });

    it('accepts Basic directly on /v2 without a challenge, and refuses unknown users with it', async () => {
      const ok = await request(t.url).get('/v2/').auth('alice', PASSWORD).expect(200);
      expect(ok.headers['www-authenticate']).toBeUndefined();
      const bad = await request(t.url).get('/v2/').auth('nobody', 'whatever-123').expect(401);
      expect(bad.headers['www-authenticate']).toBe(challengeFor(t.url));
    });

    it('answers POST /v2/token with 404 so containerd falls back to GET', async () => {
      const post = await request(t.url).post('/v2/token').type('form').send({
        grant_type: 'password',
        username: 'alice',
        password: PASSWORD,
        service: 'container_registry',
      });
      expect(post.status).toBe(404);
      // containerd's fallback: the same credentials through GET.
      const get = await request(t.url).get('/v2/token').auth('alice', PASSWORD).expect(200);
      await request(t.url).get('/v2/').set(bearer(get.body.token)).expect(200);
    });

    it('answers a rate-limited /v2/token with 429 and Retry-After, as every other route does', async () => {
      const signIn = (password: string) =>
        request(t.url)
          .get('/v2/token')
          .auth('bob', password)
          .set('X-Forwarded-For', '198.51.100.9');
      for (let i = 0; i < LOGIN_MAX_FAILURES; i++) await signIn(`guess-${i}`).expect(401);
      const blocked = await signIn(PASSWORD).expect(429);
      expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(0);
      expect(blocked.headers['www-authenticate']).toBeUndefined();
      expect(blocked.headers['docker-distribution-api-version']).toBe('registry/2.0');
      expect(blocked.body.errors[0].code).toBe('TOOMANYREQUESTS');
    });

    it('refuses forged and expired tokens with the challenge', async () => {
      const forged = jwt.sign(
        { sub: '1', nam: 'root', adm: true, scp: 'read:package,write:package' },
        'not-the-key',
        { issuer: 'wharf', audience: 'container_registry' },
      );
      const res = await request(t.url).get('/v2/').set(bearer(forged)).expect(401);
      expect(res.headers['www-authenticate']).toBe(challengeFor(t.url));
      expect(res.text).toBe(UNAUTHORIZED_BODY);
      const [h, p] = alice.split('.');
      const payload = JSON.parse(Buffer.from(p, 'base64url').toString());
      const tampered = `${h}.${Buffer.from(JSON.stringify({ ...payload, exp: payload.exp + 3600 })).toString('base64url')}.${alice.split('.')[2]}`;
      await request(t.url).get('/v2/').set(bearer(tampered)).expect(401);
      const expired = jwt.sign({ ...payload, exp: Math.floor(Date.now() / 1000) - 10 }, 'x');
      await request(t.url).get('/v2/').set(bearer(expired)).expect(401);
    });

    it('lets a client fetch the challenge then a token (Renovate): tags of a public image anonymously, of a private one with credentials', async () => {
      await pushImage(t.url, 'alice/renovate', alice, 'v1', [Buffer.from('layer-r')]);
      await pushImage(t.url, 'acme/private-app', alice, 'v2', [Buffer.from('layer-p')]);
      for (const [name, auth, tags] of [
        ['alice/renovate', undefined, ['v1']],
        ['acme/private-app', ['bob', PASSWORD], ['v2']],
      ] as const) {
        const first = await request(t.url).get(`/v2/${name}/tags/list`).expect(401);
        const realm = /realm="([^"]+)"/.exec(first.headers['www-authenticate'])![1];
        const service = /service="([^"]+)"/.exec(first.headers['www-authenticate'])![1];
        const tokenReq = request(realm)
          .get('')
          .query({ service, scope: `repository:${name}:pull` });
        const token = (await (auth ? tokenReq.auth(auth[0], auth[1]) : tokenReq).expect(200)).body
          .token;
        const list = await request(t.url)
          .get(`/v2/${name}/tags/list`)
          .set(bearer(token))
          .expect(200);
        expect(list.body).toEqual({ name, tags });
      }
      // The anonymous token does not open a private organization's images.
      await request(t.url).get('/v2/acme/private-app/tags/list').set(bearer(anon)).expect(401);
    });

    it('refuses pushes: anonymous token 401, read-only token and other owners 403 DENIED', async () => {
      await request(t.url).post('/v2/alice/app/blobs/uploads/').set(bearer(anon)).expect(401);
      const readOnly = await registryToken(t.url, [
        'alice',
        await createToken(t.url, 'alice', ['read:package']),
      ]);
      const denied = await request(t.url)
        .post('/v2/alice/app/blobs/uploads/')
        .set(bearer(readOnly))
        .expect(403);
      expect(denied.body.errors[0].code).toBe('DENIED');
      expect(
        (await request(t.url).post('/v2/alice/app/blobs/uploads/').set(bearer(bob)).expect(403))
          .body.errors[0].code,
      ).toBe('DENIED');
      // bob reads acme (member with read) but may not write it
      await request(t.url).post('/v2/acme/app/blobs/uploads/').set(bearer(bob)).expect(403);
      // carol is private: hidden from bob
      expect(
        (await request(t.url).post('/v2/carol/app/blobs/uploads/').set(bearer(bob)).expect(404))
          .body.errors[0].code,
      ).toBe('NAME_UNKNOWN');
    });
  });

  describe('blobs and uploads', () => {
    const name = 'alice/team/app';

    it('takes a monolithic upload, checks its digest, and serves it with HEAD, GET and Range', async () => {
      const data = Buffer.from('hello container registry');
      const bad = await request(t.url)
        .post(`/v2/${name}/blobs/uploads/`)
        .query({ digest: sha256('other') })
        .set(bearer(alice))
        .send(data)
        .expect(400);
      expect(bad.body.errors[0].code).toBe('DIGEST_INVALID');
      const res = await request(t.url)
        .post(`/v2/${name}/blobs/uploads/`)
        .query({ digest: sha256(data) })
        .set(bearer(alice))
        .send(data)
        .expect(201);
      expect(res.headers.location).toBe(`/v2/${name}/blobs/${sha256(data)}`);
      expect(res.headers['docker-content-digest']).toBe(sha256(data));
      const head = await request(t.url)
        .head(`/v2/${name}/blobs/${sha256(data)}`)
        .set(bearer(anon))
        .expect(200);
      expect(head.headers['content-length']).toBe(String(data.length));
      expect(head.headers['docker-content-digest']).toBe(sha256(data));
      const get = await request(t.url)
        .get(`/v2/${name}/blobs/${sha256(data)}`)
        .set(bearer(alice))
        .buffer(true)
        .parse(binary)
        .expect(200);
      expect(get.body).toEqual(data);
      const part = await request(t.url)
        .get(`/v2/${name}/blobs/${sha256(data)}`)
        .set(bearer(alice))
        .set('Range', 'bytes=6-14')
        .buffer(true)
        .parse(binary)
        .expect(206);
      expect(part.body.toString()).toBe('container');
      expect(part.headers['content-range']).toBe(`bytes 6-14/${data.length}`);
      const unknown = await request(t.url)
        .get(`/v2/${name}/blobs/${sha256('nope')}`)
        .set(bearer(alice))
        .expect(404);
      expect(unknown.body.errors[0].code).toBe('BLOB_UNKNOWN');
      expect(
        (
          await request(t.url)
            .head(`/v2/alice/elsewhere/blobs/${sha256(data)}`)
            .set(bearer(alice))
        ).status,
      ).toBe(404);
      await request(t.url)
        .delete(`/v2/${name}/blobs/${sha256(data)}`)
        .set(bearer(alice))
        .expect(202);
      await request(t.url)
        .head(`/v2/${name}/blobs/${sha256(data)}`)
        .set(bearer(alice))
        .expect(404);
      expect(
        (
          await request(t.url)
            .delete(`/v2/${name}/blobs/${sha256(data)}`)
            .set(bearer(alice))
            .expect(404)
        ).body.errors[0].code,
      ).toBe('BLOB_UNKNOWN');
    });

    it('takes a chunked upload: order enforced (416), status, digest checked, then the blob', async () => {
      const data = Buffer.from('0123456789abcdefghij'.repeat(50));
      const start = await request(t.url)
        .post(`/v2/${name}/blobs/uploads/`)
        .set(bearer(alice))
        .expect(202);
      const location = start.headers.location as string;
      expect(location).toMatch(new RegExp(`^/v2/${name}/blobs/uploads/[0-9a-f]{32}$`));
      expect(start.headers.range).toBe('0-0');
      const uuid = start.headers['docker-upload-uuid'];
      expect(
        (await request(t.url).patch(`${location}000`).set(bearer(alice)).send(data).expect(404))
          .body.errors[0].code,
      ).toBe('BLOB_UPLOAD_UNKNOWN');
      const early = await request(t.url)
        .patch(location)
        .set(bearer(alice))
        .set('Content-Range', '1-10')
        .send(data.subarray(1, 11))
        .expect(416);
      expect(early.body.errors[0].code).toBe('BLOB_UPLOAD_INVALID');
      const first = await patchChunk(t.url, location, alice, '0-599', data.subarray(0, 600)).expect(
        202,
      );
      expect(first.headers.range).toBe('0-599');
      expect(first.headers['docker-upload-uuid']).toBe(uuid);
      const status = await request(t.url).get(location).set(bearer(alice)).expect(204);
      expect(status.headers.range).toBe('0-599');
      await request(t.url)
        .patch(location)
        .set(bearer(alice))
        .set('Content-Range', '0-99')
        .send(data.subarray(0, 100))
        .expect(416);
      await patchChunk(t.url, location, alice, '600-999', data.subarray(600)).expect(202);
      const wrong = await request(t.url)
        .put(location)
        .query({ digest: sha256('x') })
        .set(bearer(alice))
        .expect(400);
      expect(wrong.body.errors[0].code).toBe('DIGEST_INVALID');
      const done = await request(t.url)
        .put(location)
        .query({ digest: sha256(data) })
        .set(bearer(alice))
        .expect(201);
      expect(done.headers.location).toBe(`/v2/${name}/blobs/${sha256(data)}`);
      const get = await request(t.url)
        .get(done.headers.location)
        .set(bearer(alice))
        .buffer(true)
        .parse(binary)
        .expect(200);
      expect(get.body).toEqual(data);
      await request(t.url).get(location).set(bearer(alice)).expect(404);
    });

    it('a chunk cut off mid-body leaves the session where it was; on fs the chunks grow one object in place', async () => {
      const data = randomBytes(3 * 65536);
      const start = await request(t.url)
        .post(`/v2/${name}/blobs/uploads/`)
        .set(bearer(alice))
        .expect(202);
      const location = start.headers.location as string;
      const sessionId = location.split('/').pop()!;
      await patchChunk(t.url, location, alice, '0-65535', data.subarray(0, 65536)).expect(202);
      // the client announces 128 KiB, sends 40 KiB and goes away
      await new Promise<void>((resolve) => {
        const req = http.request(new URL(location, t.url), {
          method: 'PATCH',
          headers: {
            ...bearer(alice),
            'Content-Type': 'application/octet-stream',
            'Content-Range': `65536-${3 * 65536 - 1}`,
            'Content-Length': String(2 * 65536),
          },
        });
        req.on('error', () => resolve());
        req.write(data.subarray(65536, 65536 + 40960), () =>
          setTimeout(() => {
            req.destroy();
            resolve();
          }, 300),
        );
      });
      expect((await request(t.url).get(location).set(bearer(alice))).headers.range).toBe('0-65535');
      // Until the server has seen the abort and undone the chunk, the session is busy
      // (416); then the client resumes at 65536, as a real one would.
      let resumed = 0;
      for (let i = 0; i < 50 && resumed !== 202; i++) {
        await new Promise((r) => setTimeout(r, 100));
        resumed = (
          await patchChunk(t.url, location, alice, `65536-${3 * 65536 - 1}`, data.subarray(65536))
        ).status;
      }
      expect(resumed).toBe(202);
      const storage = t.app.get<BlobStorage>(BLOB_STORAGE);
      const parts = [];
      for await (const entry of storage.list(`uploads/${sessionId}/`)) parts.push(entry.key);
      // fs: the second chunk went onto the first part; S3: it is an object of its own
      expect(parts).toHaveLength(backend.name.endsWith('s3') ? 1 : 0);
      if (storage.appendable) {
        // a process killed mid-chunk leaves bytes past the session's end: the close cuts them
        const firstPart = `blobs/${sessionId.slice(0, 2)}/${sessionId.slice(2, 4)}/${sessionId}`;
        await storage.append(firstPart, data.length, Readable.from([Buffer.from('junk')]));
      }
      await request(t.url)
        .put(location)
        .query({ digest: sha256(data) })
        .set(bearer(alice))
        .expect(201);
      const get = await request(t.url)
        .get(`/v2/${name}/blobs/${sha256(data)}`)
        .set(bearer(alice))
        .buffer(true)
        .parse(binary)
        .expect(200);
      expect(get.body.equals(data)).toBe(true);
      const left = [];
      for await (const entry of storage.list(`uploads/${sessionId}`)) left.push(entry.key);
      expect(left).toEqual([]);
    });

    it('closes a session of large chunks without copying them: fs grew one object, S3 joined the parts on the server', async () => {
      const data = randomBytes(6 * 1024 * 1024 + 4321);
      const cut = 5 * 1024 * 1024 + 7; // S3 joins parts of ≥ 5 MiB (but the last)
      const start = await request(t.url)
        .post(`/v2/${name}/blobs/uploads/`)
        .set(bearer(alice))
        .expect(202);
      const location = start.headers.location as string;
      const sessionId = location.split('/').pop()!;
      for (const [from, to] of [
        [0, cut],
        [cut, data.length],
      ])
        await patchChunk(
          t.url,
          location,
          alice,
          `${from}-${to - 1}`,
          data.subarray(from, to),
        ).expect(202);
      await request(t.url)
        .put(location)
        .query({ digest: sha256(data) })
        .set(bearer(alice))
        .expect(201);
      // the committed blob is the session's own first object, not a copy of the parts
      const blob = await t.app.get(PackageQueryService).findBlobBySha256(sha256(data).slice(7));
      expect(blob).toMatchObject({ storageId: sessionId, size: data.length });
      const storage = t.app.get<BlobStorage>(BLOB_STORAGE);
      const left = [];
      for await (const entry of storage.list(`uploads/${sessionId}`)) left.push(entry.key);
      expect(left).toEqual([]);
      const get = await request(t.url)
        .get(`/v2/${name}/blobs/${sha256(data)}`)
        .set(bearer(alice))
        .buffer(true)
        .parse(binary)
        .expect(200);
      expect(get.body.equals(data)).toBe(true);
    });

    it('stores layers with sha256 only; md5/sha1/sha512 are computed once for whoever serves them, or taken from the upload of another format', async () => {
      const digestRow = async (content: Buffer) =>
        (await t.app.get(PackageQueryService).findBlobBySha256(sha256(content).slice(7)))!;
      const hex = (algorithm: string, content: Buffer) =>
        createHash(algorithm).update(content).digest('hex');
      // A monolithic layer past the size where the other digests would go to workers.
      const layer = randomBytes(1536 * 1024);
      await request(t.url)
        .post(`/v2/${name}/blobs/uploads/`)
        .query({ digest: sha256(layer) })
        .set(bearer(alice))
        .send(layer)
        .expect(201);
      const stored = await digestRow(layer);
      expect([stored.hashMd5, stored.hashSha1, stored.hashSha512]).toEqual([null, null, null]);
      const pulled = await request(t.url)
        .get(`/v2/${name}/blobs/${sha256(layer)}`)
        .set(bearer(alice))
        .buffer(true)
        .parse(binary)
        .expect(200);
      expect(Buffer.compare(pulled.body, layer)).toBe(0); // toEqual walks a large buffer slowly
      expect(pulled.headers['x-checksum-md5']).toBeUndefined(); // never a wrong or empty value
      expect(pulled.headers['x-checksum-sha256']).toBe(hex('sha256', layer));
      const completed = await t.app.get(BlobDigestService).completeOne(stored);
      const expected = {
        hashMd5: hex('md5', layer),
        hashSha1: hex('sha1', layer),
        hashSha512: hex('sha512', layer),
      };
      expect(completed).toMatchObject(expected);
      expect(await digestRow(layer)).toMatchObject(expected); // stored: computed once

      // A chunked upload in two parts: joined with sha256 only as well.
      const chunked = randomBytes(3000);
      const start = await request(t.url).post(`/v2/${name}/blobs/uploads/`).set(bearer(alice));
      const location = start.headers.location as string;
      await request(t.url)
        .patch(location)
        .set(bearer(alice))
        .set('Content-Range', '0-999')
        .send(chunked.subarray(0, 1000))
        .expect(202);
      await request(t.url)
        .patch(location)
        .set(bearer(alice))
        .set('Content-Range', `1000-${chunked.length - 1}`)
        .send(chunked.subarray(1000))
        .expect(202);
      await request(t.url)
        .put(location)
        .query({ digest: sha256(chunked) })
        .set(bearer(alice))
        .expect(201);
      expect((await digestRow(chunked)).hashMd5).toBeNull();
      // The same bytes through a format that serves md5 (generic): its digests fill the row.
      await request(t.url)
        .put('/api/packages/alice/generic/lazy-digests/1.0/layer.bin')
        .auth('alice', PASSWORD)
        .send(chunked)
        .expect(201);
      expect(await digestRow(chunked)).toMatchObject({
        hashMd5: hex('md5', chunked),
        hashSha1: hex('sha1', chunked),
        hashSha512: hex('sha512', chunked),
      });
      const download = await request(t.url)
        .get('/api/packages/alice/generic/lazy-digests/1.0/layer.bin')
        .auth('alice', PASSWORD)
        .expect(200);
      expect(download.headers['x-checksum-md5']).toBe(hex('md5', chunked));
    });

    it('takes a stream PATCH then a PUT with the last chunk, and an empty blob', async () => {
      const start = await request(t.url)
        .post(`/v2/${name}/blobs/uploads`)
        .set(bearer(alice))
        .expect(202);
      await request(t.url)
        .patch(start.headers.location)
        .set(bearer(alice))
        .set('Content-Type', 'application/octet-stream')
        .send(Buffer.from('abc'))
        .expect(202);
      const noRange = await request(t.url)
        .patch(start.headers.location)
        .set(bearer(alice))
        .set('Content-Type', 'application/octet-stream')
        .send(Buffer.from('def'))
        .expect(400);
      expect(noRange.body.errors[0]).toEqual({
        code: 'BLOB_UPLOAD_INVALID',
        message: 'Stream uploads after first write are not allowed',
      });
      await request(t.url)
        .put(start.headers.location)
        .query({ digest: sha256('abcdef') })
        .set(bearer(alice))
        .set('Content-Type', 'application/octet-stream')
        .send(Buffer.from('def'))
        .expect(201);
      const empty = await request(t.url)
        .post(`/v2/${name}/blobs/uploads/`)
        .set(bearer(alice))
        .expect(202);
      await request(t.url)
        .put(empty.headers.location)
        .query({ digest: sha256('') })
        .set(bearer(alice))
        .expect(201);
      const head = await request(t.url)
        .head(`/v2/${name}/blobs/${sha256('')}`)
        .set(bearer(alice))
        .expect(200);
      expect(head.headers['content-length']).toBe('0');
    });

    it('cancels a session', async () => {
      const start = await request(t.url)
        .post(`/v2/${name}/blobs/uploads/`)
        .set(bearer(alice))
        .expect(202);
      await request(t.url).get(start.headers.location).set(bearer(alice)).expect(204);
      await request(t.url).delete(start.headers.location).set(bearer(alice)).expect(204);
      await request(t.url).get(start.headers.location).set(bearer(alice)).expect(404);
    });

    it('mounts from an image the caller may read, else opens a session', async () => {
      const data = Buffer.from('mount me');
      const digest = await pushBlob(t.url, 'alice/source', alice, data);
      const carolToken = await registryToken(t.url, ['carol', PASSWORD]);
      const hidden = await pushBlob(t.url, 'carol/secret', carolToken, Buffer.from('carol only'));
      const mounted = await request(t.url)
        .post('/v2/alice/target/blobs/uploads/')
        .query({ mount: digest, from: 'alice/source' })
        .set(bearer(alice))
        .expect(201);
      expect(mounted.headers.location).toBe(`/v2/alice/target/blobs/${digest}`);
      await request(t.url).head(`/v2/alice/target/blobs/${digest}`).set(bearer(alice)).expect(200);
      await request(t.url)
        .post('/v2/alice/target/blobs/uploads/')
        .query({ mount: hidden, from: 'carol/secret' })
        .set(bearer(alice))
        .expect(202);
      await request(t.url)
        .post('/v2/alice/target/blobs/uploads/')
        .query({ mount: sha256('unknown'), from: 'nobody/image' })
        .set(bearer(alice))
        .expect(202);
      await request(t.url)
        .post('/v2/alice/target/blobs/uploads/')
        .query({ mount: digest })
        .set(bearer(alice))
        .expect(201);
    });

    it('mounts without `from` from any image of the same owner the caller may read, else opens a session', async () => {
      const data = Buffer.from('mount me without from');
      const digest = await pushBlob(t.url, 'acme/base', alice, data);
      const mounted = await request(t.url)
        .post('/v2/acme/app/blobs/uploads/')
        .query({ mount: digest })
        .set(bearer(alice))
        .expect(201);
      expect(mounted.headers.location).toBe(`/v2/acme/app/blobs/${digest}`);
      expect(mounted.headers['docker-content-digest']).toBe(digest);
      const got = await request(t.url)
        .get(`/v2/acme/app/blobs/${digest}`)
        .set(bearer(alice))
        .buffer(true)
        .parse(binary)
        .expect(200);
      expect(got.body).toEqual(data);
      // bob may read acme/base, but a mount without `from` looks only in the target's owner
      const fromOtherOwner = await request(t.url)
        .post('/v2/bob/app/blobs/uploads/')
        .query({ mount: digest })
        .set(bearer(bob))
        .expect(202);
      expect(fromOtherOwner.headers['docker-upload-uuid']).toMatch(/^[0-9a-f]{32}$/);
      await request(t.url).head(`/v2/bob/app/blobs/${digest}`).set(bearer(bob)).expect(404);
      // a blob only carol's private image holds stays hers
      const carolToken = await registryToken(t.url, ['carol', PASSWORD]);
      const hidden = await pushBlob(t.url, 'carol/vault', carolToken, Buffer.from('carol vault'));
      await request(t.url)
        .post('/v2/alice/app2/blobs/uploads/')
        .query({ mount: hidden })
        .set(bearer(alice))
        .expect(202);
      await request(t.url).head(`/v2/alice/app2/blobs/${hidden}`).set(bearer(alice)).expect(404);
      // an invalid digest is no mount either
      await request(t.url)
        .post('/v2/alice/app2/blobs/uploads/')
        .query({ mount: 'sha256:nope' })
        .set(bearer(alice))
        .expect(202);
    });

    it('continues a chunked upload on another server process over the same database and storage', async () => {
      const replica = await startReplica(t);
      try {
        const data = Buffer.alloc(3 * 65536 + 17, 7);
        const token = await registryToken(replica.url, ['alice', PASSWORD]); // any replica verifies any replica's token
        const start = await request(t.url)
          .post('/v2/alice/replicated/blobs/uploads/')
          .set(bearer(token))
          .expect(202);
        const loc = start.headers.location as string;
        await patchChunk(t.url, loc, alice, '0-65535', data.subarray(0, 65536)).expect(202);
        await patchChunk(
          replica.url,
          loc,
          token,
          '65536-131071',
          data.subarray(65536, 131072),
        ).expect(202);
        expect(
          (await request(replica.url).get(loc).set(bearer(token)).expect(204)).headers.range,
        ).toBe('0-131071');
        await patchChunk(
          t.url,
          loc,
          alice,
          `131072-${data.length - 1}`,
          data.subarray(131072),
        ).expect(202);
        await request(replica.url)
          .put(loc)
          .query({ digest: sha256(data) })
          .set(bearer(token))
          .expect(201);
        const get = await request(t.url)
          .get(`/v2/alice/replicated/blobs/${sha256(data)}`)
          .set(bearer(alice))
          .buffer(true)
          .parse(binary)
          .expect(200);
        expect(get.body.equals(data)).toBe(true);
      } finally {
        await replica.close();
      }
    });

    it('takes 10 parallel monolithic uploads to a new image without losing one', async () => {
      const blobs = Array.from({ length: 10 }, (_, i) => Buffer.from(`parallel ${i}`));
      await Promise.all(blobs.map((b) => pushBlob(t.url, 'alice/parallel', alice, b)));
      for (const b of blobs)
        await request(t.url)
          .head(`/v2/alice/parallel/blobs/${sha256(b)}`)
          .set(bearer(alice))
          .expect(200);
    });

    it('rejects invalid names', async () => {
      const res = await request(t.url)
        .post('/v2/alice/Bad_Name/blobs/uploads/')
        .set(bearer(alice))
        .expect(400);
      expect(res.body.errors[0].code).toBe('NAME_INVALID');
      expect(
        (await request(t.url).get('/v2/nobody/app/tags/list').set(bearer(alice)).expect(404)).body
          .errors[0].code,
      ).toBe('NAME_UNKNOWN');
    });
  });

  describe('manifests, tags, referrers, catalog', () => {
    const name = 'alice/web';
    let image: Awaited<ReturnType<typeof pushImage>>;

    beforeAll(async () => {
      image = await pushImage(t.url, name, alice, 'latest', [
        Buffer.from('layer one'),
        Buffer.from('layer two'),
      ]);
    });

    it('serves a manifest by tag and by digest, byte for byte, with its media type', async () => {
      for (const ref of ['latest', 'LATEST', image.digest]) {
        const head = await request(t.url)
          .head(`/v2/${name}/manifests/${ref}`)
          .set(bearer(anon))
          .expect(200);
        expect(head.headers['docker-content-digest']).toBe(image.digest);
        expect(head.headers['content-length']).toBe(String(image.manifest.length));
        const get = await request(t.url)
          .get(`/v2/${name}/manifests/${ref}`)
          .set(bearer(anon))
          .buffer(true)
          .parse(binary)
          .expect(200);
        expect(get.headers['content-type']).toBe(OCI_MANIFEST);
        expect(get.body).toEqual(image.manifest);
      }
      const unknown = await request(t.url)
        .head(`/v2/${name}/manifests/nope`)
        .set(bearer(alice))
        .expect(404);
      expect(unknown.headers['docker-distribution-api-version']).toBe('registry/2.0');
      expect(
        (await request(t.url).get(`/v2/${name}/manifests/nope`).set(bearer(alice)).expect(404)).body
          .errors[0].code,
      ).toBe('MANIFEST_UNKNOWN');
    });

    it('refuses manifests that reference unknown blobs or children, or are not manifests', async () => {
      const put = (ref: string, body: object | string, type = OCI_MANIFEST) =>
        request(t.url)
          .put(`/v2/${name}/manifests/${ref}`)
          .set(bearer(alice))
          .set('Content-Type', type)
          .send(typeof body === 'string' ? body : JSON.stringify(body));
      const missing = await put('bad', {
        schemaVersion: 2,
        mediaType: OCI_MANIFEST,
        config: {
          mediaType: 'application/vnd.oci.image.config.v1+json',
          digest: sha256('nope'),
          size: 4,
        },
        layers: [],
      }).expect(400);
      expect(missing.body.errors[0].code).toBe('MANIFEST_BLOB_UNKNOWN');
      expect((await put('bad', '{not json').expect(400)).body.errors[0].code).toBe(
        'MANIFEST_INVALID',
      );
      expect((await put('bad', { schemaVersion: 1 }).expect(400)).body.errors[0].code).toBe(
        'MANIFEST_INVALID',
      );
      expect((await put('bad!tag', { schemaVersion: 2 }).expect(400)).body.errors[0]).toMatchObject(
        {
          code: 'MANIFEST_INVALID',
          message: expect.stringMatching(/^invalid tag: it must consist/),
        },
      );
      const child = await put(
        'bad',
        {
          schemaVersion: 2,
          mediaType: OCI_INDEX,
          manifests: [{ mediaType: OCI_MANIFEST, digest: sha256('x'), size: 3 }],
        },
        OCI_INDEX,
      ).expect(400);
      expect(child.body.errors[0].code).toBe('MANIFEST_BLOB_UNKNOWN');
      const wrongSize = await put('bad', {
        schemaVersion: 2,
        mediaType: OCI_MANIFEST,
        config: { mediaType: 'x/y', digest: image.layers[0], size: 1 },
        layers: [],
      }).expect(400);
      expect(wrongSize.body.errors[0].code).toBe('SIZE_INVALID');
      expect(
        (await put(sha256('other'), JSON.parse(image.manifest.toString())).expect(400)).body
          .errors[0].code,
      ).toBe('DIGEST_INVALID');
    });

    it('stores Docker manifests and lists, and OCI indexes of child manifests', async () => {
      const docker = await pushImage(t.url, name, alice, 'docker', [Buffer.from('d1')], {
        mediaType: DOCKER_MANIFEST,
      });
      const arm = await pushImage(t.url, name, alice, undefined, [Buffer.from('arm layer')], {
        platform: 'arm64',
      });
      const children = [
        {
          mediaType: DOCKER_MANIFEST,
          digest: docker.digest,
          size: docker.manifest.length,
          platform: { os: 'linux', architecture: 'amd64' },
        },
        {
          mediaType: OCI_MANIFEST,
          digest: arm.digest,
          size: arm.manifest.length,
          platform: { os: 'linux', architecture: 'arm64', variant: 'v8' },
        },
      ];
      for (const [tag, mediaType] of [
        ['multi', OCI_INDEX],
        ['dlist', DOCKER_LIST],
      ]) {
        const body = JSON.stringify({ schemaVersion: 2, mediaType, manifests: children });
        const res = await request(t.url)
          .put(`/v2/${name}/manifests/${tag}`)
          .set(bearer(alice))
          .set('Content-Type', mediaType)
          .send(body)
          .expect(201);
        expect(res.headers['docker-content-digest']).toBe(sha256(body));
        const get = await request(t.url)
          .get(`/v2/${name}/manifests/${tag}`)
          .set(bearer(alice))
          .buffer(true)
          .parse(binary)
          .expect(200);
        expect(get.headers['content-type']).toBe(mediaType);
        expect(get.body.toString()).toBe(body);
      }
      const byDigest = await request(t.url)
        .get(`/v2/${name}/manifests/${arm.digest}`)
        .set(bearer(alice))
        .expect(200);
      expect(byDigest.headers['docker-content-digest']).toBe(arm.digest);
    });

    it('takes OCI artifacts with a subject, answers OCI-Subject, and lists referrers with artifactType filtering', async () => {
      const empty = await pushBlob(t.url, name, alice, Buffer.from('{}'));
      const sig = Buffer.from('signature');
      const sigDigest = await pushBlob(t.url, name, alice, sig);
      const subject = {
        mediaType: OCI_MANIFEST,
        digest: image.digest,
        size: image.manifest.length,
      };
      const artifact = (type: string) =>
        JSON.stringify({
          schemaVersion: 2,
          mediaType: OCI_MANIFEST,
          artifactType: type,
          config: { mediaType: OCI_EMPTY, digest: empty, size: 2 },
          layers: [
            { mediaType: 'application/vnd.example.sig', digest: sigDigest, size: sig.length },
          ],
          subject,
          annotations: { 'org.example.kind': type },
        });
      const a = artifact('application/vnd.example.signature');
      const res = await request(t.url)
        .put(`/v2/${name}/manifests/${sha256(a)}`)
        .set(bearer(alice))
        .set('Content-Type', OCI_MANIFEST)
        .send(a)
        .expect(201);
      expect(res.headers['oci-subject']).toBe(image.digest);
      const b = artifact('application/vnd.example.sbom');
      await request(t.url)
        .put(`/v2/${name}/manifests/${sha256(b)}`)
        .set(bearer(alice))
        .set('Content-Type', OCI_MANIFEST)
        .send(b)
        .expect(201);
      const all = await request(t.url)
        .get(`/v2/${name}/referrers/${image.digest}`)
        .set(bearer(anon))
        .expect(200);
      expect(all.headers['content-type']).toMatch(OCI_INDEX);
      expect(all.headers['oci-filters-applied']).toBeUndefined();
      expect(all.body.manifests).toHaveLength(2);
      const filtered = await request(t.url)
        .get(`/v2/${name}/referrers/${image.digest}`)
        .query({ artifactType: 'application/vnd.example.sbom' })
        .set(bearer(anon))
        .expect(200);
      expect(filtered.headers['oci-filters-applied']).toBe('artifactType');
      expect(filtered.body).toEqual({
        schemaVersion: 2,
        mediaType: OCI_INDEX,
        manifests: [
          {
            mediaType: OCI_MANIFEST,
            digest: sha256(b),
            size: b.length,
            artifactType: 'application/vnd.example.sbom',
            annotations: { 'org.example.kind': 'application/vnd.example.sbom' },
          },
        ],
      });
      expect(
        (
          await request(t.url)
            .get(`/v2/${name}/referrers/${sha256('none')}`)
            .set(bearer(anon))
            .expect(200)
        ).body.manifests,
      ).toEqual([]);
    });

    it('lists tags in pages with a Link while more exist', async () => {
      const tagsName = 'alice/tagged';
      for (const tag of ['main', 'latest', 'multi'])
        await pushImage(t.url, tagsName, alice, tag, [Buffer.from('same')]);
      const all = await request(t.url)
        .get(`/v2/${tagsName}/tags/list`)
        .set(bearer(anon))
        .expect(200);
      expect(all.body).toEqual({ name: tagsName, tags: ['latest', 'main', 'multi'] });
      expect(all.headers.link).toBeUndefined();
      const none = await request(t.url)
        .get(`/v2/${tagsName}/tags/list?n=0`)
        .set(bearer(anon))
        .expect(200);
      expect(none.body.tags).toEqual([]);
      expect(none.headers.link).toBeUndefined();
      const two = await request(t.url)
        .get(`/v2/${tagsName}/tags/list?n=2`)
        .set(bearer(anon))
        .expect(200);
      expect(two.body.tags).toEqual(['latest', 'main']);
      expect(two.headers.link).toBe(`</v2/${tagsName}/tags/list?last=main&n=2>; rel="next"`);
      expect(
        (
          await request(t.url)
            .get(`/v2/${tagsName}/tags/list?last=main`)
            .set(bearer(anon))
            .expect(200)
        ).body.tags,
      ).toEqual(['multi']);
      const one = await request(t.url)
        .get(`/v2/${tagsName}/tags/list?n=1&last=latest`)
        .set(bearer(anon))
        .expect(200);
      expect(one.body.tags).toEqual(['main']);
      expect(one.headers.link).toBe(`</v2/${tagsName}/tags/list?last=main&n=1>; rel="next"`);
    });

    it('deletes a tag but keeps the manifest; deleting by digest removes it and its tags', async () => {
      const n = 'alice/deletes';
      const img = await pushImage(t.url, n, alice, 'one', [Buffer.from('del')]);
      await request(t.url)
        .put(`/v2/${n}/manifests/two`)
        .set(bearer(alice))
        .set('Content-Type', OCI_MANIFEST)
        .send(img.manifest.toString())
        .expect(201);
      await request(t.url).delete(`/v2/${n}/manifests/one`).set(bearer(alice)).expect(202);
      await request(t.url).head(`/v2/${n}/manifests/one`).set(bearer(alice)).expect(404);
      await request(t.url).head(`/v2/${n}/manifests/${img.digest}`).set(bearer(alice)).expect(200);
      await request(t.url).head(`/v2/${n}/manifests/two`).set(bearer(alice)).expect(200);
      await request(t.url)
        .delete(`/v2/${n}/manifests/${img.digest}`)
        .set(bearer(alice))
        .expect(202);
      await request(t.url).head(`/v2/${n}/manifests/${img.digest}`).set(bearer(alice)).expect(404);
      await request(t.url).head(`/v2/${n}/manifests/two`).set(bearer(alice)).expect(404);
      expect(
        (await request(t.url).delete(`/v2/${n}/manifests/two`).set(bearer(alice)).expect(404)).body
          .errors[0].code,
      ).toBe('MANIFEST_UNKNOWN');
      expect(
        (await request(t.url).get(`/v2/${n}/tags/list`).set(bearer(alice)).expect(200)).body.tags,
      ).toEqual([]);
    });

    it('appears in the management API as container packages', async () => {
      const res = await request(t.url)
        .get('/api/v1/packages/alice')
        .query({ type: 'container' })
        .auth('alice', PASSWORD)
        .expect(200);
      const names = res.body.map(
        (p: { name: string; version: string }) => `${p.name}:${p.version}`,
      );
      expect(names).toContain('web:latest');
      expect(names).toContain(`web:${image.digest}`);
    });

    it('counts blob and manifest GETs as downloads, HEADs not', async () => {
      const n = 'alice/counted';
      const img = await pushImage(t.url, n, alice, 'v1', [Buffer.from('counted layer')]);
      const counts = async () => {
        const owner = (await t.app.get(UserService).findOwner('alice'))!;
        const query = t.app.get(PackageQueryService);
        const count = async (version: string) =>
          (await query.findVersionByName(owner.id, PackageType.Container, 'counted', version))!
            .version.downloadCount;
        return {
          tag: await count('v1'),
          digest: await count(img.digest),
          blobs: await count('_blobs'),
        };
      };
      for (const path of ['manifests/v1', `manifests/${img.digest}`, `blobs/${img.layers[0]}`])
        await request(t.url).head(`/v2/${n}/${path}`).set(bearer(alice)).expect(200);
      expect(await counts()).toEqual({ tag: 0, digest: 0, blobs: 0 });
      await request(t.url).get(`/v2/${n}/manifests/v1`).set(bearer(anon)).expect(200);
      expect(await counts()).toEqual({ tag: 1, digest: 0, blobs: 0 });
      await request(t.url).get(`/v2/${n}/manifests/${img.digest}`).set(bearer(alice)).expect(200);
      expect(await counts()).toEqual({ tag: 1, digest: 1, blobs: 0 });
      for (const layer of [img.layers[0], sha256(img.config)])
        await request(t.url).get(`/v2/${n}/blobs/${layer}`).set(bearer(alice)).expect(200);
      expect(await counts()).toEqual({ tag: 1, digest: 1, blobs: 2 });
    });

    it('lists only visible images in the catalog, with paging', async () => {
      const anonCatalog = await request(t.url).get('/v2/_catalog').set(bearer(anon)).expect(200);
      expect(anonCatalog.body.repositories).toContain('alice/web');
      expect(anonCatalog.body.repositories).not.toContain('acme/private-app');
      expect(anonCatalog.body.repositories).not.toContain('carol/secret');
      const bobCatalog = await request(t.url).get('/v2/_catalog').set(bearer(bob)).expect(200);
      expect(bobCatalog.body.repositories).toContain('acme/private-app');
      expect(bobCatalog.body.repositories).not.toContain('carol/secret');
      expect([...bobCatalog.body.repositories].sort()).toEqual(bobCatalog.body.repositories);
      const page = await request(t.url).get('/v2/_catalog?n=1').set(bearer(bob)).expect(200);
      expect(page.body.repositories).toEqual([bobCatalog.body.repositories[0]]);
      expect(page.headers.link).toBe(
        `</v2/_catalog?last=${encodeURIComponent(bobCatalog.body.repositories[0])}&n=1>; rel="next"`,
      );
      const next = await request(t.url)
        .get(`/v2/_catalog?n=1&last=${encodeURIComponent(bobCatalog.body.repositories[0])}`)
        .set(bearer(bob))
        .expect(200);
      expect(next.body.repositories).toEqual([bobCatalog.body.repositories[1]]);
    });

    it('collects untagged manifests and unreferenced blobs, keeping what tags, indexes and subjects reach', async () => {
      const n = 'alice/gc';
      const kept = await pushImage(t.url, n, alice, 'kept', [Buffer.from('gc kept layer')]);
      const loose = await pushImage(t.url, n, alice, undefined, [Buffer.from('gc loose layer')]);
      const stray = await pushBlob(t.url, n, alice, Buffer.from('gc stray blob'));
      await t.app.get(CleanupService).run(0);
      await request(t.url).head(`/v2/${n}/manifests/kept`).set(bearer(alice)).expect(200);
      await request(t.url).head(`/v2/${n}/blobs/${kept.layers[0]}`).set(bearer(alice)).expect(200);
      await request(t.url)
        .head(`/v2/${n}/manifests/${loose.digest}`)
        .set(bearer(alice))
        .expect(404);
      await request(t.url).head(`/v2/${n}/blobs/${loose.layers[0]}`).set(bearer(alice)).expect(404);
      await request(t.url).head(`/v2/${n}/blobs/${stray}`).set(bearer(alice)).expect(404);
      // web's index children and the artifacts on web:latest survive
      await request(t.url).head(`/v2/alice/web/manifests/multi`).set(bearer(alice)).expect(200);
      const refs = await request(t.url)
        .get(`/v2/alice/web/referrers/${image.digest}`)
        .set(bearer(alice))
        .expect(200);
      expect(refs.body.manifests).toHaveLength(2);
    });
  });

  if (backend.name === 'mysql+s3') {
    it('redirects blob GETs to a presigned URL when S3 serves directly, and still streams manifests', async () => {
      const direct = await startTestApp(backend, {
        ...ADMIN_ENV,
        REGISTRY_S3_SERVE_DIRECT: 'true',
      });
      try {
        await createUser(direct.url, 'dana');
        const token = await registryToken(direct.url, ['dana', PASSWORD]);
        const img = await pushImage(direct.url, 'dana/direct', token, 'v1', [
          Buffer.from('direct layer'),
        ]);
        const res = await request(direct.url)
          .get(`/v2/dana/direct/blobs/${img.layers[0]}`)
          .set(bearer(token))
          .redirects(0)
          .expect(307);
        const fetched = await fetch(res.headers.location);
        expect(Buffer.from(await fetched.arrayBuffer()).toString()).toBe('direct layer');
        await request(direct.url)
          .head(`/v2/dana/direct/blobs/${img.layers[0]}`)
          .set(bearer(token))
          .expect(200);
        const m = await request(direct.url)
          .get('/v2/dana/direct/manifests/v1')
          .set(bearer(token))
          .buffer(true)
          .parse(binary)
          .expect(200);
        expect(m.body).toEqual(img.manifest);
      } finally {
        await direct.close();
      }
    });
  }
});
