import { createHash } from 'node:crypto';
import request from 'supertest';
import { describeEachBackend } from './support/backends';
import { ADMIN_ENV, createToken, createUser } from './support/clients/accounts';
import { binary } from './support/clients/container';
import { storedCounts } from './support/clients/inspect';
import { manifest, sourceArchive, swiftPmPublishForm, zipOf } from './support/clients/swift';
import { startTestApp, TestApp } from './support/test-app';

const JSON_ACCEPT = 'application/vnd.swift.registry.v1+json';
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/*
 * The Swift registry over HTTP, as `swift package-registry` and `swift package resolve` use
 * it. Requests and the reading of answers follow SwiftPM's RegistryClient
 * (swiftlang/swift-package-manager 5.9, Sources/PackageRegistry/RegistryClient.swift):
 * releases read from `releases` keys skipping entries with a `problem`, the archive checked
 * against `resources[name=source-archive].checksum`, manifests listed in `Link`
 * (`rel="alternate"`, `filename`, `swift-tools-version`), publish as its multipart form.
 * Plus Forgejo's TestPackageSwift (docs/protocols/swift.md §7).
 */
describeEachBackend('swift registry', (backend) => {
  let t: TestApp;
  let token: string;
  const base = '/api/packages/alice/swift';

  const publishSwiftPm = (path: string, archive: Buffer, metadata?: unknown) => {
    const form = swiftPmPublishForm(archive, metadata);
    return request(t.url)
      .put(`${base}/${path}`)
      .set('Authorization', `Bearer ${token}`)
      .set('Accept', JSON_ACCEPT)
      .set('Content-Type', form.contentType)
      .send(form.body);
  };
  const get = (path: string, accept = JSON_ACCEPT) =>
    request(t.url).get(`${base}/${path}`).set('Accept', accept);
  const expectProblem = (res: request.Response, status: number, detail?: RegExp) => {
    expect(res.status).toBe(status);
    expect(res.headers['content-version']).toBe('1');
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    const body = JSON.parse(res.text) as { detail: string };
    if (detail) expect(body.detail).toMatch(detail);
  };

  const archive103 = sourceArchive('test_package', [
    { name: 'test_package/Package@swift-5.6.swift', text: manifest('test_package', '5.6') },
  ]);
  const archive104 = sourceArchive('test_package');
  const metadata = {
    description: 'Swift test package',
    codeRepository: 'https://gitea.example.com/alice/test_package',
    author: { givenName: 'KN4CK3R' },
    repositoryURLs: ['https://gitea.example.com/alice/test_package.git'],
  };

  beforeAll(async () => {
    t = await startTestApp(backend, { ...ADMIN_ENV, REGISTRY_LIMIT_SIZE_SWIFT: '16 MiB' });
    await createUser(t.url, 'alice');
    token = await createToken(t.url, 'alice');
  });
  afterAll(async () => t?.close());

  it('answers `swift package-registry login`: 401 anonymous (problem, Content-Version), 200 Basic or Bearer', async () => {
    for (const path of ['', '/login']) {
      expectProblem(await request(t.url).post(`${base}${path}`), 401);
      await request(t.url).post(`${base}${path}`).auth('alice', token).expect(200);
      const ok = await request(t.url)
        .post(`${base}${path}`)
        .set('Authorization', `Bearer ${token}`)
        .expect(200);
      expect(ok.headers['content-version']).toBe('1');
    }
  });

  it('publishes as RegistryClient sends it (201, Location), refuses the same version (409), keeps a pre-release', async () => {
    const created = await publishSwiftPm('test-scope/test_package/1.0.3', archive103, metadata);
    expect(created.status).toBe(201);
    expect(created.headers['content-version']).toBe('1');
    expect(created.headers.location).toMatch(/\/swift\/test-scope\/test_package\/1\.0\.3$/);
    expectProblem(await publishSwiftPm('test-scope/test_package/1.0.3', archive103, metadata), 409);
    // curl -F as Forgejo documents it: file parts.
    await request(t.url)
      .put(`${base}/test-scope/test_package/1.0.4`)
      .auth('alice', token)
      .set('Accept', JSON_ACCEPT)
      .attach('source-archive', archive104, 'test_package.zip')
      .field('metadata', JSON.stringify(metadata))
      .expect(201);
    await publishSwiftPm('test-scope/test_package/2.0.0-beta.1', archive104).expect(201);
    await request(t.url)
      .put(`${base}/test-scope/test_package/1.0.5`)
      .attach('source-archive', archive104, 'a.zip')
      .expect((r) => expectProblem(r, 401));
  });

  it('lists releases as RegistryClient reads them, latest-version in Link (no pre-release)', async () => {
    const res = await get('test-scope/test_package').expect(200);
    expect(res.headers['content-version']).toBe('1');
    expect(res.headers.link).toBe(
      `<${t.url}${base}/test-scope/test_package/1.0.4>; rel="latest-version"`,
    );
    const body = JSON.parse(res.text) as {
      releases: Record<string, { url: string; problem?: unknown }>;
    };
    const versions = Object.entries(body.releases)
      .filter(([, r]) => r.problem === undefined)
      .map(([v]) => v)
      .sort();
    expect(versions).toEqual(['1.0.3', '1.0.4', '2.0.0-beta.1']);
    expect(body.releases['1.0.4'].url).toBe(`${t.url}${base}/test-scope/test_package/1.0.4`);
    // `.json` without Accept: the same document; scope and name case-insensitive.
    const plain = await request(t.url).get(`${base}/test-scope/test_package.json`).expect(200);
    expect(plain.text).toBe(res.text);
    await get('Test-Scope/Test_Package').expect(200);
    expectProblem(await get('test-scope/unknown'), 404);
  });

  it('serves release metadata whose checksum RegistryClient checks the archive against', async () => {
    const res = await get('test-scope/test_package/1.0.3').expect(200);
    const body = JSON.parse(res.text) as {
      id: string;
      version: string;
      resources: { name: string; type: string; checksum: string }[];
      metadata: Record<string, unknown> & { author: { name: string } };
    };
    expect(body.id).toBe('test-scope.test_package');
    expect(body.version).toBe('1.0.3');
    const resource = body.resources.find((r) => r.name === 'source-archive')!;
    expect(resource).toEqual({
      name: 'source-archive',
      type: 'application/zip',
      checksum: sha256(archive103),
    });
    expect(body.metadata['@type']).toBe('SoftwareSourceCode');
    expect(body.metadata.description).toBe('Swift test package');
    expect(body.metadata.repositoryURLs).toEqual(metadata.repositoryURLs);
    expect(body.metadata.author.name).toBe('KN4CK3R');
    expect((await request(t.url).get(`${base}/test-scope/test_package/1.0.3.json`)).text).toBe(
      res.text,
    );
    const pre = await get('test-scope/test_package/2.0.0-beta.1').expect(200);
    expect(JSON.parse(pre.text).version).toBe('2.0.0-beta.1');

    const zip = await get(
      'test-scope/test_package/1.0.3.zip',
      'application/vnd.swift.registry.v1+zip',
    )
      .buffer(true)
      .parse(binary)
      .expect(200);
    expect(zip.headers['content-type']).toBe('application/zip');
    expect(zip.headers['content-version']).toBe('1');
    expect(zip.headers.digest).toBe(
      `sha-256=${createHash('sha256').update(archive103).digest('base64')}`,
    );
    expect(sha256(zip.body as Buffer)).toBe(resource.checksum);
  });

  it('serves Package.swift with its variants in Link, `?swift-version=` picks one, an unknown one is a 303', async () => {
    const swift = 'application/vnd.swift.registry.v1+swift';
    const res = await get('test-scope/test_package/1.0.3/Package.swift', swift).expect(200);
    expect(res.headers['content-type']).toMatch(/^text\/x-swift/);
    expect(res.text).toBe(manifest('test_package'));
    const manifestUrl = `${t.url}${base}/test-scope/test_package/1.0.3/Package.swift`;
    expect(res.headers.link).toBe(
      `<${manifestUrl}?swift-version=5.6>; rel="alternate"; filename="Package@swift-5.6.swift"; swift-tools-version="5.6"`,
    );
    for (const v of ['5.6', '5.6.0']) {
      const variant = await get(
        `test-scope/test_package/1.0.3/Package.swift?swift-version=${v}`,
        swift,
      ).expect(200);
      expect(variant.text).toBe(manifest('test_package', '5.6'));
    }
    const other = await get(
      'test-scope/test_package/1.0.3/Package.swift?swift-version=1.0',
      swift,
    ).expect(303);
    expect(other.headers.location).toBe(manifestUrl);
    const single = await get('test-scope/test_package/1.0.4/Package.swift', swift).expect(200);
    expect(single.headers.link).toBeUndefined();
  });

  it('maps a repository URL to identifiers; no url is a 400, an unknown one a 404', async () => {
    const res = await get(
      `identifiers?url=${encodeURIComponent(metadata.repositoryURLs[0])}`,
    ).expect(200);
    expect(JSON.parse(res.text)).toEqual({ identifiers: ['test-scope.test_package'] });
    expectProblem(await get('identifiers'), 400);
    expectProblem(await get('identifiers?url=https%3A%2F%2Fexample.com%2Fnone'), 404);
  });

  it('checks Accept: unknown 400, another API version 415, every answer with Content-Version', async () => {
    for (const path of [
      'test-scope/test_package',
      'test-scope/test_package/1.0.3',
      'test-scope/test_package/1.0.3.zip',
      'test-scope/test_package/1.0.3/Package.swift',
      'identifiers?url=x',
    ]) {
      expectProblem(await get(path, 'application/unknown'), 400, /Accept/);
      expectProblem(await get(path, 'application/vnd.swift.registry.v2+json'), 415);
    }
    expectProblem(
      await publishSwiftPm('test-scope/test_package/3.0.0', archive104).set(
        'Accept',
        'application/unknown',
      ),
      400,
    );
  });

  describe('refuses bad publishes with a problem, storing nothing', () => {
    const cases: [string, string, () => Buffer, number, RegExp][] = [
      [
        'an archive without Package.swift',
        'test-scope/bad/1.0.0',
        () => zipOf([{ name: 'bad/Sources/bad/bad.swift', text: 'x' }]),
        400,
        /no Package\.swift/,
      ],
      [
        'Package.swift outside the top directory’s root',
        'test-scope/bad/1.0.0',
        () => zipOf([{ name: 'bad/sub/Package.swift', text: manifest('bad') }]),
        400,
        /no Package\.swift/,
      ],
      ['not a zip', 'test-scope/bad/1.0.0', () => Buffer.from('not a zip at all'), 400, /zip/],
      [
        'a zip bomb',
        'test-scope/bad/1.0.0',
        () => zipOf([{ name: 'bad/Package.swift', zeros: 600 * 1024 ** 2 }]),
        413,
        /unpacks to more than/,
      ],
      ['an invalid scope', 'sc_ope/bad/1.0.0', () => sourceArchive('bad'), 400, /scope/],
      ['an invalid name', 'test-scope/pack~age/1.0.0', () => sourceArchive('bad'), 400, /name/],
      ['an invalid version', 'test-scope/bad/1_0.0', () => sourceArchive('bad'), 400, /version/],
      ['a two-part version', 'test-scope/bad/1.0', () => sourceArchive('bad'), 400, /version/],
    ];
    it.each(cases)('%s', async (_label, path, body, status, detail) => {
      const before = await storedCounts(t);
      expectProblem(await publishSwiftPm(path, body()), status, detail);
      expect(await storedCounts(t)).toEqual(before);
      expectProblem(await get('test-scope/bad'), 404);
    });

    it.each([
      [
        'metadata over 1 MiB',
        () => swiftPmPublishForm(sourceArchive('bad'), { description: 'x'.repeat(1024 ** 2) }),
        413,
        /metadata part is larger/,
      ],
      [
        'two source archives (the first, already stored, is dropped)',
        () => {
          const one = swiftPmPublishForm(sourceArchive('bad'));
          const boundary = /boundary="([^"]+)"/.exec(one.contentType)![1];
          const closing = Buffer.from(`--${boundary}--\r\n`);
          const head = one.body.subarray(0, one.body.length - closing.length);
          const part = head.subarray(head.indexOf(`--${boundary}`));
          return { ...one, body: Buffer.concat([head, part, closing]) };
        },
        400,
        /more than one source-archive/,
      ],
      [
        'a form cut off before its closing boundary',
        () => {
          const form = swiftPmPublishForm(sourceArchive('bad'));
          return { ...form, body: form.body.subarray(0, form.body.length - 10) };
        },
        400,
        /closing boundary/,
      ],
    ])('%s', async (_label, make, status, detail) => {
      const before = await storedCounts(t);
      const form = make();
      const res = await request(t.url)
        .put(`${base}/test-scope/bad/1.0.0`)
        .set('Authorization', `Bearer ${token}`)
        .set('Accept', JSON_ACCEPT)
        .set('Content-Type', form.contentType)
        .send(form.body);
      expectProblem(res, status, detail);
      expect(await storedCounts(t)).toEqual(before);
    });

    it('metadata that is not JSON', async () => {
      const before = await storedCounts(t);
      const res = await request(t.url)
        .put(`${base}/test-scope/bad/1.0.0`)
        .set('Authorization', `Bearer ${token}`)
        .attach('source-archive', sourceArchive('bad'), 'bad.zip')
        .field('metadata', '{not json');
      expectProblem(res, 400, /metadata/);
      expect(await storedCounts(t)).toEqual(before);
    });
  });
});
