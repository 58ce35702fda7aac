import http from 'node:http';
import request from 'supertest';
import { PackageQueryService, PackageType, QuotaService } from '@wharf/packages-core';
import { describeEachBackend } from './support/backends';
import { ADMIN_ENV, createUser, PASSWORD } from './support/clients/accounts';
import { bearer, pushBlob, pushImage, registryToken, sha256 } from './support/clients/container';
import { storedCounts } from './support/clients/inspect';
import { npmTarball, publishDocument } from './support/clients/npm';
import { startTestApp, TestApp } from './support/test-app';

// docs/protocols/core.md §8: the instance limits (Forgejo's LIMIT_TOTAL_OWNER_SIZE / _COUNT).
const SIZE = 10_000;
const COUNT = 4;

describeEachBackend('owner limits', (backend) => {
  let t: TestApp;
  const bytes = (n: number, fill = 1) => Buffer.alloc(n, fill);
  const generic = (owner: string, name: string, version: string, file: string) =>
    `/api/packages/${owner}/generic/${name}/${version}/${file}`;

  beforeAll(async () => {
    t = await startTestApp(backend, {
      ...ADMIN_ENV,
      REGISTRY_LIMIT_TOTAL_OWNER_SIZE: String(SIZE),
      REGISTRY_LIMIT_TOTAL_OWNER_COUNT: String(COUNT),
    });
    for (const u of ['alice', 'bob', 'carol', 'dave', 'erin']) await createUser(t.url, u);
  });
  afterAll(async () => {
    await t?.close();
  });

  const usage = async (owner: string) => t.app.get(QuotaService).usage(await ownerId(owner));
  const ownerId = async (owner: string) => {
    const res = await request(t.url).get('/api/v1/user').auth(owner, PASSWORD).expect(200);
    return res.body.id as number;
  };

  it('generic: an upload that would pass the owner size is a 413 naming the limit, before anything is stored; deleting frees room at once', async () => {
    await request(t.url)
      .put(generic('alice', 'big', '1', 'a.bin'))
      .auth('alice', PASSWORD)
      .send(bytes(6000))
      .expect(201);
    const before = await storedCounts(t);
    const refused = await request(t.url)
      .put(generic('alice', 'big', '2', 'b.bin'))
      .auth('alice', PASSWORD)
      .send(bytes(5000, 2))
      .expect(413);
    expect(refused.headers['content-type']).toMatch(/^text\/plain/);
    expect(refused.text).toContain('REGISTRY_LIMIT_TOTAL_OWNER_SIZE');
    expect(refused.text).toContain('alice');
    // Without a declared size (chunked), the body is cut off once it passes the room left.
    const streamed = await putChunked(`${t.url}${generic('alice', 'big', '2', 'c.bin')}`, [
      bytes(3000, 3),
      bytes(3000, 3),
    ]);
    expect(streamed.status).toBe(413);
    expect(streamed.body).toContain('REGISTRY_LIMIT_TOTAL_OWNER_SIZE');
    expect(await storedCounts(t)).toEqual(before);
    // Up to the limit exactly is allowed.
    await request(t.url)
      .put(generic('alice', 'big', '2', 'd.bin'))
      .auth('alice', PASSWORD)
      .send(bytes(4000, 4))
      .expect(201);
    expect((await usage('alice')).bytes).toBe(SIZE);
    await request(t.url)
      .delete('/api/v1/packages/alice/generic/big/1')
      .auth('alice', PASSWORD)
      .expect(204);
    await request(t.url)
      .put(generic('alice', 'big', '3', 'e.bin'))
      .auth('alice', PASSWORD)
      .send(bytes(5000, 5))
      .expect(201);
  });

  it('generic: the version count is limited; files added to an existing version are not versions', async () => {
    for (let i = 1; i <= COUNT; i++)
      await request(t.url)
        .put(generic('bob', 'many', String(i), 'f.txt'))
        .auth('bob', PASSWORD)
        .send(Buffer.from(`v${i}`))
        .expect(201);
    const refused = await request(t.url)
      .put(generic('bob', 'many', '99', 'f.txt'))
      .auth('bob', PASSWORD)
      .send(Buffer.from('v99'))
      .expect(413);
    expect(refused.text).toContain('REGISTRY_LIMIT_TOTAL_OWNER_COUNT');
    await request(t.url)
      .put(generic('bob', 'many', '1', 'g.txt'))
      .auth('bob', PASSWORD)
      .send(Buffer.from('second file'))
      .expect(201);
    const q = t.app.get(PackageQueryService);
    const pkg = await q.findPackage(await ownerId('bob'), PackageType.Generic, 'many');
    expect((await q.listVersions(pkg!.id)).map((v) => v.version).sort()).toEqual([
      '1',
      '2',
      '3',
      '4',
    ]);
  });

  it('npm: a publish over the owner size is a 413 with {"error"} naming the limit', async () => {
    const tgz = await npmTarball({
      'package.json': JSON.stringify({ name: 'big', version: '1.0.0' }),
      'blob.bin': Buffer.from(Array.from({ length: 20_000 }, () => Math.random() * 256)),
    });
    expect(tgz.length).toBeGreaterThan(SIZE);
    const before = await storedCounts(t);
    const res = await request(t.url)
      .put('/api/packages/carol/npm/big')
      .auth('carol', PASSWORD)
      .set('Content-Type', 'application/json')
      .send(JSON.stringify(publishDocument({ name: 'big', version: '1.0.0' }, tgz)))
      .expect(413);
    expect(res.body.error).toContain('REGISTRY_LIMIT_TOTAL_OWNER_SIZE');
    expect(await storedCounts(t)).toEqual(before);
  });

  it('maven: a deploy over the owner size is a 413 naming the limit', async () => {
    const path = '/api/packages/dave/maven/com/example/lib/1.0/lib-1.0.jar';
    await request(t.url).put(path).auth('dave', PASSWORD).send(bytes(9000)).expect(201);
    const res = await request(t.url)
      .put(path.replace('lib-1.0.jar', 'lib-1.0-sources.jar'))
      .auth('dave', PASSWORD)
      .send(bytes(2000, 7))
      .expect(413);
    expect(res.text).toContain('REGISTRY_LIMIT_TOTAL_OWNER_SIZE');
  });

  it('container: blob pushes over the owner size are 413 DENIED, monolithic and chunked', async () => {
    const token = await registryToken(t.url, ['erin', PASSWORD]);
    await pushImage(t.url, 'erin/app', token, 'v1', [bytes(7000, 9)]);
    const layer = bytes(5000, 8);
    const mono = await request(t.url)
      .post('/v2/erin/app/blobs/uploads/')
      .query({ digest: sha256(layer) })
      .set(bearer(token))
      .set('Content-Type', 'application/octet-stream')
      .send(layer)
      .expect(413);
    expect(mono.body.errors[0].code).toBe('DENIED');
    expect(mono.body.errors[0].message).toContain('REGISTRY_LIMIT_TOTAL_OWNER_SIZE');
    const start = await request(t.url)
      .post('/v2/erin/app/blobs/uploads/')
      .set(bearer(token))
      .expect(202);
    const chunk = await request(t.url)
      .patch(start.headers.location)
      .set(bearer(token))
      .set('Content-Type', 'application/octet-stream')
      .send(layer)
      .expect(413);
    expect(chunk.body.errors[0].code).toBe('DENIED');
    // Small blobs still fit; the check is on what is stored, not on the request.
    await pushBlob(t.url, 'erin/app', token, bytes(100, 6));
  });
});

/** A PUT with a chunked body (no Content-Length), as a streaming client sends it. */
function putChunked(url: string, chunks: Buffer[]): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, {
      method: 'PUT',
      auth: `alice:${PASSWORD}`,
      headers: { 'Content-Type': 'application/octet-stream' },
    });
    req.on('response', (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode!, body }));
    });
    // The server may close the connection before the body is done: the answer still counts.
    req.on('error', (err) => (req.writableEnded ? undefined : reject(err)));
    for (const c of chunks) req.write(c);
    req.end();
  });
}
