import { createHash } from 'node:crypto';
import http from 'node:http';
import { gzipSync } from 'node:zlib';
import request from 'supertest';
import * as tar from 'tar-stream';
import { describeEachBackend } from './support/backends';
import { ADMIN_ENV, createToken, createUser, PASSWORD } from './support/clients/accounts';
import { crateArchive, crateMetadata, publishBody } from './support/clients/cargo';
import { downloadCount } from './support/clients/inspect';
import { storedState } from './support/format-kit';
import { startTestApp, TestApp } from './support/test-app';

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const binary = (res: request.Response, cb: (err: Error | null, body: Buffer) => void) => {
  const chunks: Buffer[] = [];
  res.on('data', (c: Buffer) => chunks.push(c));
  res.on('end', () => cb(null, Buffer.concat(chunks)));
};

/** PUTs `body` with chunked transfer encoding (no Content-Length), as a streaming client may. */
function putChunked(
  url: string,
  path: string,
  body: Buffer,
  headers: Record<string, string>,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      `${url}${path}`,
      { method: 'PUT', headers: { ...headers, 'Transfer-Encoding': 'chunked' } },
      (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      },
    );
    req.on('error', reject);
    req.write(body.subarray(0, Math.floor(body.length / 2)));
    req.end(body.subarray(Math.floor(body.length / 2)));
  });
}

/**
 * A .crate that unpacks to ~576 MiB from ~600 KB: Cargo.toml, then a tar header announcing
 * a 1 GiB entry, followed by one gzip member of 64 MiB of zeros repeated (concatenated
 * gzip members are one valid gzip stream).
 */
async function gzipBombCrate(name: string, vers: string): Promise<Buffer> {
  const pack = tar.pack();
  const head: Buffer[] = [];
  pack.on('data', (c: unknown) => head.push(c as Buffer));
  pack.entry(
    { name: `${name}-${vers}/Cargo.toml` },
    `[package]\nname="${name}"\nversion="${vers}"\n`,
  );
  pack.entry({ name: `${name}-${vers}/zeros`, size: 1024 ** 3 });
  await new Promise((r) => setImmediate(r));
  const zeros = gzipSync(Buffer.alloc(64 * 1024 * 1024));
  return Buffer.concat([gzipSync(Buffer.concat(head)), ...Array<Buffer>(9).fill(zeros)]);
}

describeEachBackend('cargo registry', (backend) => {
  let t: TestApp;
  let token: string;
  const base = (owner = 'alice') => `/api/packages/${owner}/cargo`;
  const crates = (owner = 'alice') => `${base(owner)}/api/v1/crates`;
  const publish = (body: Buffer, auth: Record<string, string>, owner = 'alice') =>
    request(t.url)
      .put(`${crates(owner)}/new`)
      .set(auth)
      .set('Content-Type', 'application/octet-stream')
      .send(body);
  const raw = () => ({ Authorization: token });
  const make = async (name: string, vers: string, extra: object = {}) => {
    const crate = await crateArchive(name, vers);
    return { crate, body: publishBody(crateMetadata(name, vers, extra), crate) };
  };

  beforeAll(async () => {
    t = await startTestApp(backend, ADMIN_ENV);
    await createUser(t.url, 'alice');
    await createUser(t.url, 'carol', 'private');
    token = await createToken(t.url, 'alice');
  });
  afterAll(async () => {
    await t?.close();
  });

  it('serves config.json: dl and api under the owner, auth-required for a private owner', async () => {
    const res = await request(t.url).get(`${base()}/config.json`).expect(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(JSON.parse(res.text)).toEqual({
      dl: `${t.url}${crates()}`,
      api: `${t.url}${base()}`,
      'auth-required': false,
    });
    const anon = await request(t.url)
      .get(`${base('carol')}/config.json`)
      .expect(401);
    expect(anon.headers['www-authenticate']).toBe('Basic realm="Wharf"');
    expect(anon.body).toEqual({ errors: [{ detail: expect.any(String) }] });
    const carol = await createToken(t.url, 'carol');
    const priv = await request(t.url)
      .get(`${base('carol')}/config.json`)
      .set('Authorization', carol)
      .expect(200);
    expect(JSON.parse(priv.text)['auth-required']).toBe(true);
  });

  it('publishes with the bare token cargo sends, and with Bearer and Basic (password or token)', async () => {
    const forms: Record<string, string>[] = [
      raw(),
      { Authorization: `Bearer ${token}` },
      { Authorization: `Basic ${Buffer.from(`alice:${PASSWORD}`).toString('base64')}` },
      { Authorization: `Basic ${Buffer.from(`anyone:${token}`).toString('base64')}` },
    ];
    for (const [i, auth] of forms.entries()) {
      const res = await publish((await make('cargo-package', `1.0.${i}`)).body, auth).expect(200);
      expect(res.body).toEqual({
        warnings: { invalid_categories: [], invalid_badges: [], other: [] },
      });
    }
    await publish((await make('cargo-package', '2.0.0')).body, {}).expect(401);
    const bad = await publish((await make('cargo-package', '2.0.0')).body, {
      Authorization: '0'.repeat(40),
    }).expect(401);
    expect(bad.body.errors[0].detail).toMatch(/invalid or expired access token/);
  });

  it('serves the index file at the path cargo computes; one line per version, cksum of the .crate', async () => {
    const { crate, body } = await make('cargo-index', '1.0.3', {
      deps: [
        {
          name: 'dep',
          version_req: '1.0',
          features: [],
          optional: false,
          default_features: true,
          target: null,
          kind: 'normal',
          registry: 'https://example.com/index',
        },
      ],
    });
    await publish(body, raw()).expect(200);
    const res = await request(t.url).get(`${base()}/ca/rg/cargo-index`).expect(200);
    expect(res.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(res.text.endsWith('\n')).toBe(true);
    expect(JSON.parse(res.text)).toEqual({
      name: 'cargo-index',
      vers: '1.0.3',
      deps: [
        {
          name: 'dep',
          req: '1.0',
          features: [],
          optional: false,
          default_features: true,
          target: null,
          kind: 'normal',
          registry: 'https://example.com/index',
        },
      ],
      cksum: sha256(crate),
      features: {},
      yanked: false,
    });
    // Revalidation: the ETag answers 304 until the crate changes.
    await request(t.url)
      .get(`${base()}/ca/rg/cargo-index`)
      .set('If-None-Match', res.headers.etag)
      .expect(304);

    for (const [name, path] of [
      ['a', '1/a'],
      ['ab', '2/ab'],
      ['abc', '3/a/abc'],
    ]) {
      await publish((await make(name, '0.1.0')).body, raw()).expect(200);
      const line = await request(t.url).get(`${base()}/${path}`).expect(200);
      expect(JSON.parse(line.text).name).toBe(name);
    }
    await request(t.url).get(`${base()}/3/b/abc`).expect(404);
    await request(t.url).get(`${base()}/zz/yy/ab`).expect(404);
    await request(t.url).get(`${base()}/x/2/ab`).expect(404);
    await request(t.url).get(`${base()}/CA/RG/Cargo-Index`).expect(200);
    const missing = await request(t.url).get(`${base()}/no/ne/none-such`).expect(404);
    expect(missing.body).toEqual({ errors: [{ detail: 'crate none-such not found' }] });
  });

  it('refuses the same version twice (409); names and versions compare as crates.io does', async () => {
    await publish((await make('Name_Rules', '1.0.0')).body, raw()).expect(200);
    const again = await publish((await make('Name_Rules', '1.0.0')).body, raw()).expect(409);
    expect(again.body.errors[0].detail).toMatch(/already exists/);
    const twin = await publish((await make('name-rules', '2.0.0')).body, raw()).expect(409);
    expect(twin.body.errors[0].detail).toMatch(/conflicts with the existing crate Name_Rules/);
    const recased = await publish((await make('name_rules', '2.0.0')).body, raw()).expect(409);
    expect(recased.body.errors[0].detail).toMatch(/this crate is named Name_Rules/);
    const build = await publish((await make('Name_Rules', '1.0.0+other')).body, raw()).expect(409);
    expect(build.body.errors[0].detail).toMatch(/only in build metadata/);
    await publish((await make('Name_Rules', '1.0.1+build.1')).body, raw()).expect(200);
    // cargo asks for the lower-cased name as published; the other spelling is no index file.
    const line = await request(t.url).get(`${base()}/na/me/name_rules`).expect(200);
    expect(
      line.text
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l).vers),
    ).toEqual(['1.0.0', '1.0.1+build.1']);
    await request(t.url).get(`${base()}/na/me/name-rules`).expect(404);
  });

  it('downloads the .crate (each GET counts), also for a yanked version', async () => {
    const { crate, body } = await make('cargo-dl', '1.0.0');
    await publish(body, raw()).expect(200);
    const url = `${crates()}/cargo-dl/1.0.0/download`;
    const res = await request(t.url).get(url).buffer(true).parse(binary).expect(200);
    expect(res.body).toEqual(crate);
    await request(t.url).delete(`${crates()}/cargo-dl/1.0.0/yank`).set(raw()).expect(200);
    await request(t.url).get(url).buffer(true).parse(binary).expect(200);
    const v = await request(t.url)
      .get('/api/v1/packages/alice/cargo/cargo-dl/1.0.0')
      .auth('alice', PASSWORD)
      .expect(200);
    expect(await downloadCount(t, v.body.id)).toBe(2);
    await request(t.url).get(`${crates()}/cargo-dl/9.9.9/download`).expect(404);
    await request(t.url).get(`${crates()}/cargo-dl/not-semver/download`).expect(400);
  });

  it('yanks and unyanks: {"ok":true}, and the index line follows', async () => {
    await publish((await make('cargo-yank', '1.0.0')).body, raw()).expect(200);
    const yanked = async () =>
      JSON.parse((await request(t.url).get(`${base()}/ca/rg/cargo-yank`).expect(200)).text)
        .yanked as boolean;
    expect(
      (await request(t.url).delete(`${crates()}/cargo-yank/1.0.0/yank`).set(raw()).expect(200))
        .body,
    ).toEqual({ ok: true });
    expect(await yanked()).toBe(true);
    expect(
      (await request(t.url).put(`${crates()}/cargo-yank/1.0.0/unyank`).set(raw()).expect(200)).body,
    ).toEqual({ ok: true });
    expect(await yanked()).toBe(false);
    await request(t.url).delete(`${crates()}/cargo-yank/2.0.0/yank`).set(raw()).expect(404);
    await request(t.url).delete(`${crates()}/cargo-yank/1.0.0/yank`).expect(401);
  });

  it('searches by name (case and -/_ folded), paged; max_version skips yanked versions', async () => {
    await publish((await make('search-me', '1.0.0', { description: 'first' })).body, raw());
    await publish((await make('search-me', '1.1.0', { description: 'second' })).body, raw());
    await publish((await make('search_too', '0.1.0')).body, raw());
    await request(t.url).delete(`${crates()}/search-me/1.1.0/yank`).set(raw()).expect(200);
    const search = async (query: string) =>
      (await request(t.url).get(`${crates()}?${query}`).expect(200)).body as {
        crates: { name: string; max_version: string; description: string }[];
        meta: { total: number };
      };
    expect(await search('q=SEARCH-&per_page=10')).toEqual({
      crates: [
        { name: 'search-me', max_version: '1.0.0', description: 'first' },
        { name: 'search_too', max_version: '0.1.0', description: 'search_too for tests' },
      ],
      meta: { total: 2 },
    });
    expect(await search('q=search&per_page=1&page=2')).toMatchObject({
      crates: [{ name: 'search_too' }],
      meta: { total: 2 },
    });
    expect(await search('q=search&per_page=10&page=2')).toEqual({
      crates: [],
      meta: { total: 2 },
    });
    expect((await search('q=nothing-like-this')).meta.total).toBe(0);
  });

  it('lists the owner as the crate’s one owner', async () => {
    const res = await request(t.url).get(`${crates()}/cargo-yank/owners`).expect(200);
    expect(res.body).toEqual({
      users: [{ id: expect.any(Number), login: 'alice', name: 'alice' }],
    });
    await request(t.url).get(`${crates()}/none-such/owners`).expect(404);
  });

  describe('bad publishes: a clear 4xx and nothing stored', () => {
    const refused = async (
      status: number,
      message: RegExp,
      send: () => Promise<{ status: number; body: unknown }>,
    ) => {
      const before = await storedState(t);
      const res = await send();
      expect(res.status).toBe(status);
      const body = typeof res.body === 'string' ? JSON.parse(res.body) : res.body;
      expect(body.errors[0].detail).toMatch(message);
      expect(await storedState(t)).toEqual(before);
    };

    it('a crate whose Cargo.toml disagrees with the metadata', async () => {
      const crate = await crateArchive('disagree', '1.0.0', {
        manifest: { name: 'disagree', version: '1.0.1' },
      });
      await refused(
        400,
        /Cargo.toml is disagree 1.0.1, but the publish metadata says disagree 1.0.0/,
        () => publish(publishBody(crateMetadata('disagree', '1.0.0'), crate), raw()),
      );
    });

    it('a crate under another name than the metadata’s', async () => {
      const crate = await crateArchive('other', '1.0.0');
      await refused(400, /outside mine-1.0.0\//, () =>
        publish(publishBody(crateMetadata('mine', '1.0.0'), crate), raw()),
      );
    });

    it('a truncated body (streamed, without Content-Length)', async () => {
      const { body } = await make('truncated', '1.0.0');
      await refused(400, /ends before the crate is complete/, () =>
        putChunked(t.url, `${crates()}/new`, body.subarray(0, body.length - 10), raw()),
      );
    });

    it('lengths that do not add up to the Content-Length', async () => {
      const crate = await crateArchive('lengths', '1.0.0');
      const body = publishBody(crateMetadata('lengths', '1.0.0'), crate);
      body.writeUInt32LE(crate.length + 100, body.length - crate.length - 4);
      await refused(400, /do not add up to the body's Content-Length/, () => publish(body, raw()));
      const short = publishBody(crateMetadata('lengths', '1.0.0'), crate);
      short.writeUInt32LE(crate.length - 100, short.length - crate.length - 4);
      await refused(400, /goes on after the crate/, () =>
        putChunked(t.url, `${crates()}/new`, short, raw()),
      );
    });

    it('a gzip bomb .crate (413)', async () => {
      const crate = await gzipBombCrate('bomb', '1.0.0');
      await refused(413, /unpacks to more than/, () =>
        publish(publishBody(crateMetadata('bomb', '1.0.0'), crate), raw()),
      );
    });

    it('a crate tar with ../ entries', async () => {
      const crate = await crateArchive('escape', '1.0.0', {
        files: { '../../escape.txt': 'x' },
      });
      await refused(400, /".." segment/, () =>
        publish(publishBody(crateMetadata('escape', '1.0.0'), crate), raw()),
      );
    });

    it.each([
      ['a name cargo refuses', crateMetadata('0test', '1.0.0'), 400, /invalid crate name/],
      ['a version that is not SemVer', crateMetadata('v', '-1.0.0'), 400, /invalid crate version/],
      ['metadata that is not JSON', Buffer.from('{nope'), 400, /not valid JSON/],
    ])('%s', async (_label, metadata, status, message) => {
      await refused(status, message, () => publish(publishBody(metadata, Buffer.from('x')), raw()));
    });

    it('a body that is not the wire format at all', async () => {
      await refused(400, /ends before|do not add up/, () => publish(Buffer.from('hi'), raw()));
    });
  });
});
