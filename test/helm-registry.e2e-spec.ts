import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import request from 'supertest';
import * as tar from 'tar-stream';
import { parse as parseYaml } from 'yaml';
import { describeIf } from '@wharf/packages-core/testing/test-env';
import { describeEachBackend } from './support/backends';
import {
  ADMIN_ENV,
  createOrg,
  createToken,
  createUser,
  PASSWORD,
} from './support/clients/accounts';
import { findHelm } from './support/clients/helm';
import { downloadCount, storedCounts } from './support/clients/inspect';
import { startTestApp, TestApp } from './support/test-app';

const run = promisify(execFile);
const FIXTURE = readFileSync(
  path.join(__dirname, '../libs/registries/helm/src/fixtures/wharf-demo-0.1.0.tgz'),
);
const helm = findHelm();

async function tgz(entries: Record<string, string>): Promise<Buffer> {
  const pack = tar.pack();
  for (const [name, body] of Object.entries(entries)) pack.entry({ name }, body);
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const c of pack) chunks.push(c as Buffer);
  return gzipSync(Buffer.concat(chunks));
}

const TEST_CHART = [
  'apiVersion: v2',
  'description: Gitea Test Package',
  'name: test-chart',
  'type: application',
  'version: 1.0.3',
  'maintainers:',
  '  - name: KN4CK3R',
  'dependencies:',
  '  - name: dep1',
  '    repository: https://example.com/',
  '    version: 1.0.0',
  '',
].join('\n');

describeEachBackend('helm chart repository', (backend) => {
  let t: TestApp;
  const base = (owner = 'alice') => `/api/packages/${owner}/helm`;

  beforeAll(async () => {
    t = await startTestApp(backend, ADMIN_ENV);
    await createUser(t.url, 'alice');
    await createUser(t.url, 'bob');
    await createUser(t.url, 'carol', 'private');
    await createOrg(t.url, 'alice', 'charts', 'public', { bob: 'read' });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('publishes with POST /api/charts (raw, again raw, multipart `chart`) and lists the chart once in index.yaml', async () => {
    const archive = await tgz({
      'test-chart/Chart.yaml': TEST_CHART,
      'test-chart/values.yaml': 'a: 1\n',
    });
    const res = await request(t.url)
      .post(`${base()}/api/charts`)
      .auth('alice', PASSWORD)
      .send(archive)
      .expect(201);
    expect(res.body).toEqual({ saved: true });
    // Forgejo: re-uploading a version replaces it (ChartMuseum's --force semantics).
    await request(t.url)
      .post(`${base()}/api/charts`)
      .auth('alice', PASSWORD)
      .send(archive)
      .expect(201);
    await request(t.url)
      .post(`${base()}/api/charts?force`)
      .auth('alice', PASSWORD)
      .attach('chart', archive, 'test-chart-1.0.3.tgz')
      .expect(201);

    const index = await request(t.url).get(`${base()}/index.yaml`).expect(200);
    expect(index.headers['content-type']).toBe('application/yaml; charset=utf-8');
    expect(index.headers['x-content-type-options']).toBe('nosniff');
    const doc = parseYaml(index.text);
    expect(doc.apiVersion).toBe('v1');
    expect(Object.keys(doc.entries)).toEqual(['test-chart']);
    const [entry] = doc.entries['test-chart'];
    expect(doc.entries['test-chart']).toHaveLength(1);
    expect(entry).toMatchObject({
      apiVersion: 'v2',
      name: 'test-chart',
      version: '1.0.3',
      type: 'application',
      description: 'Gitea Test Package',
      maintainers: [{ name: 'KN4CK3R' }],
      dependencies: [{ name: 'dep1', version: '1.0.0', repository: 'https://example.com/' }],
      urls: [`${t.url}/api/packages/alice/helm/test-chart-1.0.3.tgz`],
      digest: createHash('sha256').update(archive).digest('hex'),
    });
    expect(Date.parse(entry.created)).toBeGreaterThan(0);
    expect(Date.parse(doc.generated)).toBeGreaterThan(0);
    expect(doc.serverInfo).toEqual({ contextPath: '/api/packages/alice/helm' });
  });

  it('serves index.yaml with an ETag and answers 304 until the index changes', async () => {
    const first = await request(t.url).get(`${base()}/index.yaml`).expect(200);
    expect(first.headers.etag).toMatch(/^W\/"[0-9a-f]{64}"$/);
    const again = await request(t.url)
      .get(`${base()}/index.yaml`)
      .set('If-None-Match', first.headers.etag)
      .expect(304);
    expect(again.text).toBe('');
    expect(first.headers['last-modified']).toBeTruthy();
    await request(t.url)
      .get(`${base()}/index.yaml`)
      .set('If-Modified-Since', first.headers['last-modified'])
      .expect(304);
    await request(t.url)
      .put(`${base()}/wharf-demo-0.1.0.tgz`)
      .auth('alice', PASSWORD)
      .send(FIXTURE)
      .expect(201);
    const changed = await request(t.url)
      .get(`${base()}/index.yaml`)
      .set('If-None-Match', first.headers.etag)
      .expect(200);
    expect(changed.headers.etag).not.toBe(first.headers.etag);
    expect(Object.keys(parseYaml(changed.text).entries).sort()).toEqual([
      'test-chart',
      'wharf-demo',
    ]);
  });

  it('downloads a chart by file name (counting it), case-insensitively; unknown names are 404', async () => {
    const res = await request(t.url)
      .get(`${base()}/wharf-demo-0.1.0.tgz`)
      .buffer(true)
      .parse(binary)
      .expect(200);
    expect(res.body.equals(FIXTURE)).toBe(true);
    expect(res.headers['content-type']).toBe('application/octet-stream');
    expect(res.headers['content-disposition']).toMatch(
      /^attachment; filename="wharf-demo-0.1.0.tgz"/,
    );
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    const v = await request(t.url)
      .get('/api/v1/packages/alice/helm/wharf-demo/0.1.0')
      .auth('alice', PASSWORD)
      .expect(200);
    expect(await downloadCount(t, v.body.id)).toBe(1);
    await request(t.url).get(`${base()}/WHARF-DEMO-0.1.0.tgz`).expect(200);
    await request(t.url).get(`${base()}/demo-0.1.0.tgz`).expect(404);
    // Not `<name>-<version>.tgz`: no chart file name at all (issue 11's grammar).
    const bad = await request(t.url).get(`${base()}/wharf-demo-0.1.0.tg`).expect(400);
    expect(bad.body.error).toMatch(/invalid chart file name: .*<chart name>-<SemVer version>.tgz/);
  });

  it.each([
    ['a chart with no Chart.yaml', { 'c/values.yaml': 'a: 1' }, /Chart.yaml file is missing/],
    [
      'a Chart.yaml whose version is not SemVer 2',
      { 'c/Chart.yaml': 'apiVersion: v2\nname: c\nversion: "1.0"\n' },
      /package version is invalid/,
    ],
    [
      'a Chart.yaml without apiVersion',
      { 'c/Chart.yaml': 'name: c\nversion: 1.0.0\n' },
      /apiVersion/,
    ],
    ['a Chart.yaml that is not YAML', { 'c/Chart.yaml': 'name: [c\n' }, /not valid YAML/],
  ])(
    'refuses %s with a JSON 400 that says why, storing nothing',
    async (_what, entries, reason) => {
      const before = await storedCounts(t);
      const res = await request(t.url)
        .post(`${base()}/api/charts`)
        .auth('alice', PASSWORD)
        .send(await tgz(entries))
        .expect(400);
      expect(res.body.error).toMatch(reason);
      expect(await storedCounts(t)).toEqual(before);
    },
  );

  it("refuses bytes that are not a chart, a multipart header on a raw body, and a PUT whose name is not the chart's", async () => {
    const before = await storedCounts(t);
    const notGzip = await request(t.url)
      .post(`${base()}/api/charts`)
      .auth('alice', PASSWORD)
      .send(Buffer.from('hello'))
      .expect(400);
    expect(notGzip.body.error).toMatch(/not a valid gzip-compressed tar archive/);
    await request(t.url)
      .post(`${base()}/api/charts`)
      .auth('alice', PASSWORD)
      .set('Content-Type', 'multipart/form-data')
      .send(FIXTURE)
      .expect(400);
    const wrong = await request(t.url)
      .put(`${base()}/other-1.0.0.tgz`)
      .auth('alice', PASSWORD)
      .send(FIXTURE)
      .expect(400);
    expect(wrong.body.error).toMatch(/does not match the chart, wharf-demo-0.1.0.tgz/);
    await request(t.url)
      .put(`${base()}/..%2Fx.tgz`)
      .auth('alice', PASSWORD)
      .send(FIXTURE)
      .expect(400);
    expect(await storedCounts(t)).toEqual(before);
  });

  it("answers ChartMuseum's chart API: list, one chart, one version or latest, delete (then gone from the index)", async () => {
    const chart = (version: string) =>
      tgz({ 'cm-chart/Chart.yaml': `apiVersion: v2\nname: cm-chart\nversion: ${version}\n` });
    for (const v of ['1.0.0', '1.10.0', '1.2.0']) {
      await request(t.url)
        .post(`${base()}/api/charts`)
        .auth('alice', PASSWORD)
        .send(await chart(v))
        .expect(201);
    }
    const all = await request(t.url).get(`${base()}/api/charts`).expect(200);
    expect(all.body['cm-chart'].map((e: { version: string }) => e.version).sort()).toEqual([
      '1.0.0',
      '1.10.0',
      '1.2.0',
    ]);
    const versions = await request(t.url).get(`${base()}/api/charts/cm-chart`).expect(200);
    expect(versions.body).toHaveLength(3);
    expect(versions.body[0]).toMatchObject({
      name: 'cm-chart',
      urls: [`${t.url}${base()}/cm-chart-1.10.0.tgz`],
      digest: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
    const latest = await request(t.url).get(`${base()}/api/charts/cm-chart/latest`).expect(200);
    expect(latest.body.version).toBe('1.10.0');
    await request(t.url).get(`${base()}/api/charts/cm-chart/1.2.0`).expect(200);
    const missing = await request(t.url).get(`${base()}/api/charts/cm-chart/9.9.9`).expect(404);
    expect(missing.body.error).toMatch(/not found/);
    await request(t.url).get(`${base()}/api/charts/no-such-chart`).expect(404);
    await request(t.url).head(`${base()}/api/charts/cm-chart/1.0.0`).expect(200);

    await request(t.url).delete(`${base()}/api/charts/cm-chart/1.0.0`).expect(401);
    await request(t.url)
      .delete(`${base()}/api/charts/cm-chart/1.0.0`)
      .auth('bob', PASSWORD)
      .expect(403);
    const deleted = await request(t.url)
      .delete(`${base()}/api/charts/cm-chart/1.0.0`)
      .auth('alice', PASSWORD)
      .expect(200);
    expect(deleted.body).toEqual({ deleted: true });
    await request(t.url).get(`${base()}/api/charts/cm-chart/1.0.0`).expect(404);
    await request(t.url).get(`${base()}/cm-chart-1.0.0.tgz`).expect(404);
    const index = parseYaml((await request(t.url).get(`${base()}/index.yaml`).expect(200)).text);
    expect(index.entries['cm-chart'].map((e: { version: string }) => e.version).sort()).toEqual([
      '1.10.0',
      '1.2.0',
    ]);
  });

  it('enforces access: anonymous index of a public owner, 401 + Basic for a private one, 403 for a reader publishing', async () => {
    await request(t.url)
      .post(`${base('carol')}/api/charts`)
      .auth('carol', PASSWORD)
      .send(FIXTURE)
      .expect(201);
    await request(t.url)
      .get(`${base('alice')}/index.yaml`)
      .expect(200);
    for (const url of [`${base('carol')}/index.yaml`, `${base('carol')}/wharf-demo-0.1.0.tgz`]) {
      const res = await request(t.url).get(url).expect(401);
      expect(res.headers['www-authenticate']).toBe('Basic realm="Wharf"');
      expect(res.body.error).toBeTruthy();
    }
    const index = await request(t.url)
      .get(`${base('carol')}/index.yaml`)
      .auth('carol', PASSWORD)
      .expect(200);
    expect(parseYaml(index.text).entries['wharf-demo'][0].urls).toEqual([
      `${t.url}/api/packages/carol/helm/wharf-demo-0.1.0.tgz`,
    ]);
    await request(t.url)
      .get(`${base('carol')}/index.yaml`)
      .auth('bob', PASSWORD)
      .expect(404);

    const anon = await request(t.url)
      .post(`${base('charts')}/api/charts`)
      .send(FIXTURE)
      .expect(401);
    expect(anon.headers['www-authenticate']).toBe('Basic realm="Wharf"');
    const before = await storedCounts(t);
    const denied = await request(t.url)
      .post(`${base('charts')}/api/charts`)
      .auth('bob', PASSWORD)
      .send(FIXTURE)
      .expect(403);
    expect(denied.body.error).toMatch(/may read but not write/);
    expect(await storedCounts(t)).toEqual(before);
    await request(t.url)
      .post(`${base('charts')}/api/charts`)
      .auth('alice', PASSWORD)
      .send(FIXTURE)
      .expect(201);
  });

  describeIf(!!helm.bin, helm.missing, 'with the real helm client', () => {
    let dir: string;
    let env: NodeJS.ProcessEnv;
    const helmRun = (...args: string[]) => run(helm.bin!, args, { env, cwd: dir, timeout: 60_000 });

    beforeAll(async () => {
      dir = mkdtempSync(path.join(os.tmpdir(), 'wharf-helm-'));
      env = {
        PATH: process.env.PATH,
        HOME: dir,
        HELM_CACHE_HOME: path.join(dir, 'cache'),
        HELM_CONFIG_HOME: path.join(dir, 'config'),
        HELM_DATA_HOME: path.join(dir, 'data'),
      };
      await createUser(t.url, 'dave', 'private');
    });
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it('helm create/package → curl POST → helm repo add (credentials), update, search, pull, show chart', async () => {
      const token = await createToken(t.url, 'dave');
      await helmRun('create', 'mychart');
      const chartYaml = path.join(dir, 'mychart/Chart.yaml');
      writeFileSync(
        chartYaml,
        readFileSync(chartYaml, 'utf8').replace(/^version: .*$/m, 'version: 1.2.0'),
      );
      await helmRun('package', 'mychart', '-d', 'out');
      const pkg = path.join(dir, 'out/mychart-1.2.0.tgz');
      // Forgejo's documented upload: curl -X POST --upload-file (the cm-push plugin cannot be installed offline).
      const up = await run('curl', [
        '-sS',
        '-w',
        '\n%{http_code}',
        '--user',
        `dave:${token}`,
        '-X',
        'POST',
        '--upload-file',
        pkg,
        `${t.url}${base('dave')}/api/charts`,
      ]);
      expect(up.stdout.trim().split('\n').pop()).toBe('201');

      await expect(helmRun('repo', 'add', 'anon', `${t.url}${base('dave')}`)).rejects.toThrow(
        /401/,
      );
      await helmRun(
        'repo',
        'add',
        '--username',
        'dave',
        '--password',
        token,
        'wharf',
        `${t.url}${base('dave')}`,
      );
      await helmRun('repo', 'update');
      const search = await helmRun('search', 'repo', 'wharf/mychart', '--output', 'json');
      expect(JSON.parse(search.stdout)).toEqual([
        expect.objectContaining({ name: 'wharf/mychart', version: '1.2.0', app_version: '1.16.0' }),
      ]);

      mkdirSync(path.join(dir, 'pulled'));
      await helmRun('pull', 'wharf/mychart', '--version', '1.2.0', '-d', 'pulled');
      const pulled = readFileSync(path.join(dir, 'pulled/mychart-1.2.0.tgz'));
      expect(pulled.equals(readFileSync(pkg))).toBe(true);
      // The digest helm cached from index.yaml is the archive's sha256.
      const cached = parseYaml(
        readFileSync(path.join(dir, 'cache/repository/wharf-index.yaml'), 'utf8'),
      );
      expect(cached.entries.mychart[0].digest).toBe(
        createHash('sha256').update(pulled).digest('hex'),
      );

      const show = await helmRun('show', 'chart', 'wharf/mychart', '--version', '1.2.0');
      expect(parseYaml(show.stdout)).toMatchObject({
        apiVersion: 'v2',
        name: 'mychart',
        version: '1.2.0',
        type: 'application',
      });

      // A second version appears after `helm repo update`.
      writeFileSync(
        chartYaml,
        readFileSync(chartYaml, 'utf8').replace(/^version: .*$/m, 'version: 1.3.0-rc.1'),
      );
      await helmRun('package', 'mychart', '-d', 'out');
      await run('curl', [
        '-fsS',
        '--user',
        `dave:${token}`,
        '-X',
        'POST',
        '--upload-file',
        path.join(dir, 'out/mychart-1.3.0-rc.1.tgz'),
        `${t.url}${base('dave')}/api/charts`,
      ]);
      await helmRun('repo', 'update');
      const versions = await helmRun(
        'search',
        'repo',
        'wharf/mychart',
        '--devel',
        '--versions',
        '--output',
        'json',
      );
      expect(JSON.parse(versions.stdout).map((v: { version: string }) => v.version)).toEqual([
        '1.3.0-rc.1',
        '1.2.0',
      ]);
      expect(readdirSync(path.join(dir, 'pulled'))).toEqual(['mychart-1.2.0.tgz']);
    });
  });
});

/** supertest parser that keeps the body as bytes. */
function binary(res: any, cb: (err: Error | null, body: Buffer) => void): void {
  const chunks: Buffer[] = [];
  res.on('data', (c: Buffer) => chunks.push(c));
  res.on('end', () => cb(null, Buffer.concat(chunks)));
}
