import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import request from 'supertest';
import { describeIf } from '@wharf/packages-core/testing/test-env';
import { SQLITE_FS } from './support/backends';
import { ADMIN_ENV, createToken, createUser, PASSWORD } from './support/clients/accounts';
import { pushImage, registryToken, sha256 } from './support/clients/container';
import { npmTarball, publishDocument } from './support/clients/npm';
import { accelLocation, findNginx, NginxProcess, proxyLocation, startNginx } from './support/nginx';
import { freePortBlock } from './support/private-services';
import { startTestApp, TestApp } from './support/test-app';

const nginxFound = findNginx();
const PREFIX = '/_wharf_blobs/';

/**
 * REGISTRY_FS_ACCEL_REDIRECT behind a real nginx (issue 12): Wharf answers downloads with
 * X-Accel-Redirect and an empty body, nginx sends the file from the blob directory — the
 * bytes, Range and the headers clients rely on must be what Wharf alone would send.
 */
describeIf(
  nginxFound.available,
  nginxFound.missing,
  'fs blobs sent by nginx (X-Accel-Redirect)',
  () => {
    let t: TestApp;
    let nginx: NginxProcess;
    let blobRoot: string;
    let jwt: string;
    const layer = randomBytes(300_000);
    const layerDigest = sha256(layer);
    const blobPath = `/v2/alice/app/blobs/${layerDigest}`;

    const get = (url: string, headers: Record<string, string> = {}, method = 'GET') =>
      fetch(url, { method, headers, redirect: 'manual' });
    const bytes = async (res: Response) => Buffer.from(await res.arrayBuffer());
    const auth = () => ({ Authorization: `Bearer ${jwt}` });

    beforeAll(async () => {
      const port = await freePortBlock();
      t = await startTestApp(SQLITE_FS, {
        ...ADMIN_ENV,
        REGISTRY_FS_ACCEL_REDIRECT: PREFIX,
        REGISTRY_BASE_URL: `http://127.0.0.1:${port}`,
      });
      if (t.config.storage.kind !== 'fs') throw new Error('fs storage expected');
      blobRoot = t.config.storage.root;
      nginx = await startNginx([...proxyLocation(t.url), ...accelLocation(PREFIX, blobRoot)], port);
      await createUser(nginx.url, 'alice');
      jwt = await registryToken(nginx.url, ['alice', PASSWORD]);
      await pushImage(nginx.url, 'alice/app', jwt, 'v1', [layer]);
    });
    afterAll(async () => {
      await nginx?.stop();
      await t?.close();
    });

    it('Wharf alone answers a blob GET with X-Accel-Redirect into the blob directory and no body', async () => {
      const res = await get(`${t.url}${blobPath}`, auth());
      expect(res.status).toBe(200);
      const target = res.headers.get('x-accel-redirect');
      expect(target).toMatch(/^\/_wharf_blobs\/blobs\/[0-9a-f]{2}\/[0-9a-f]{2}\/[0-9a-f]{32}$/);
      expect((await bytes(res)).length).toBe(0);
      expect(res.headers.get('content-length')).not.toBe(String(layer.length));
      expect(res.headers.get('docker-content-digest')).toBe(layerDigest);
      const file = path.join(blobRoot, target!.slice(PREFIX.length));
      expect(existsSync(file) && readFileSync(file).equals(layer)).toBe(true);
    });

    it('pulls a container blob through nginx: the bytes, its digest, nosniff, a type no browser renders', async () => {
      const res = await get(`${nginx.url}${blobPath}`, auth());
      expect(res.status).toBe(200);
      expect((await bytes(res)).equals(layer)).toBe(true);
      expect(res.headers.get('content-length')).toBe(String(layer.length));
      expect(res.headers.get('docker-content-digest')).toBe(layerDigest);
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('content-type')).toBe('application/octet-stream');
      expect(res.headers.get('etag')).toBe(`"${layerDigest}"`);
      expect(res.headers.get('x-checksum-sha256')).toBe(layerDigest.slice('sha256:'.length));
      expect(res.headers.get('cache-control')).toBe('private, max-age=31536000');
      expect(res.headers.get('accept-ranges')).toBe('bytes'); // nginx's, once
      expect(res.headers.get('x-accel-redirect')).toBeNull();
      // without a token: Wharf refuses before anything is sent
      expect((await get(`${nginx.url}${blobPath}`)).status).toBe(401);
    });

    it('answers a Range with 206 and the slice (nginx), an unsatisfiable one with 416 (Wharf)', async () => {
      const res = await get(`${nginx.url}${blobPath}`, { ...auth(), Range: 'bytes=1000-1999' });
      expect(res.status).toBe(206);
      expect(res.headers.get('content-range')).toBe(`bytes 1000-1999/${layer.length}`);
      expect((await bytes(res)).equals(layer.subarray(1000, 2000))).toBe(true);
      expect(res.headers.get('docker-content-digest')).toBe(layerDigest);
      const tail = await get(`${nginx.url}${blobPath}`, { ...auth(), Range: 'bytes=-10' });
      expect(tail.status).toBe(206);
      expect((await bytes(tail)).equals(layer.subarray(layer.length - 10))).toBe(true);
      const past = await get(`${nginx.url}${blobPath}`, { ...auth(), Range: 'bytes=999999-' });
      expect(past.status).toBe(416);
      // If-Range with the current ETag keeps the range; another ETag gets the whole blob
      const kept = await get(`${nginx.url}${blobPath}`, {
        ...auth(),
        Range: 'bytes=0-9',
        'If-Range': `"${layerDigest}"`,
      });
      expect(kept.status).toBe(206);
      const stale = await get(`${nginx.url}${blobPath}`, {
        ...auth(),
        Range: 'bytes=0-9',
        'If-Range': '"sha256:other"',
      });
      expect(stale.status).toBe(200);
      expect((await bytes(stale)).length).toBe(layer.length);
    });

    it('answers HEAD and a current If-None-Match itself, and serves manifests itself', async () => {
      const head = await get(`${nginx.url}${blobPath}`, auth(), 'HEAD');
      expect(head.status).toBe(200);
      expect(head.headers.get('content-length')).toBe(String(layer.length));
      expect(head.headers.get('docker-content-digest')).toBe(layerDigest);
      expect(head.headers.get('x-accel-redirect')).toBeNull();
      const direct = await get(`${t.url}${blobPath}`, auth(), 'HEAD');
      expect(direct.headers.get('x-accel-redirect')).toBeNull();
      const fresh = await get(`${nginx.url}${blobPath}`, {
        ...auth(),
        'If-None-Match': `"${layerDigest}"`,
      });
      expect(fresh.status).toBe(304);
      // A manifest's digest is read from the response itself: never handed to nginx.
      const manifest = await get(`${t.url}/v2/alice/app/manifests/v1`, {
        ...auth(),
        Accept: 'application/vnd.oci.image.manifest.v1+json',
      });
      expect(manifest.status).toBe(200);
      expect(manifest.headers.get('x-accel-redirect')).toBeNull();
      const body = await bytes(manifest);
      expect(sha256(body)).toBe(manifest.headers.get('docker-content-digest'));
    });

    it('keeps the blob directory internal: a request from outside for it is a 404', async () => {
      const target = (await get(`${t.url}${blobPath}`, auth())).headers.get('x-accel-redirect')!;
      expect((await get(`${nginx.url}${target}`)).status).toBe(404);
      expect((await get(`${nginx.url}${PREFIX}`)).status).toBe(404);
    });

    it('serves generic, npm and maven downloads through nginx too', async () => {
      const token = await createToken(nginx.url, 'alice');
      const data = randomBytes(100_000);
      const generic = '/api/packages/alice/generic/tool/1.0.0/tool%20v1.bin';
      await request(nginx.url).put(generic).auth('alice', PASSWORD).send(data).expect(201);
      const g = await get(`${nginx.url}${generic}`);
      expect(g.status).toBe(200);
      expect((await bytes(g)).equals(data)).toBe(true);
      expect(g.headers.get('content-disposition')).toContain('tool%20v1.bin');
      expect(g.headers.get('x-checksum-sha256')).toBe(
        createHash('sha256').update(data).digest('hex'),
      );
      expect(g.headers.get('x-content-type-options')).toBe('nosniff');
      expect((await get(`${t.url}${generic}`)).headers.get('x-accel-redirect')).toMatch(
        /^\/_wharf_blobs\//,
      );

      const tgz = await npmTarball({
        'package.json': JSON.stringify({ name: 'accel-pkg', version: '1.0.0' }),
      });
      await request(nginx.url)
        .put('/api/packages/alice/npm/accel-pkg')
        .set('Authorization', `Bearer ${token}`)
        .send(publishDocument({ name: 'accel-pkg', version: '1.0.0' }, tgz))
        .expect(201);
      const n = await get(
        `${nginx.url}/api/packages/alice/npm/accel-pkg/-/1.0.0/accel-pkg-1.0.0.tgz`,
      );
      expect(n.status).toBe(200);
      expect((await bytes(n)).equals(tgz)).toBe(true);

      const jar = randomBytes(5000);
      const jarPath = '/api/packages/alice/maven/com/example/lib/1.0/lib-1.0.jar';
      await request(nginx.url).put(jarPath).auth('alice', PASSWORD).send(jar).expect(201);
      const m = await get(`${nginx.url}${jarPath}`);
      expect(m.status).toBe(200);
      expect((await bytes(m)).equals(jar)).toBe(true);
      expect(m.headers.get('content-type')).not.toMatch(/html|xml|javascript/);
    });
  },
);
