import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import request from 'supertest';
import { PackageQueryService } from '@wharf/packages-core';
import { describeIf } from '@wharf/packages-core/testing/test-env';
import { describeEachBackend } from './support/backends';
import {
  ADMIN_ENV,
  createOrg,
  createToken,
  createUser,
  PASSWORD,
} from './support/clients/accounts';
import { downloadCount, storedCounts } from './support/clients/inspect';
import { findMaven, writeProject, writeSettings } from './support/clients/maven';
import { startTestApp, TestApp } from './support/test-app';

const run = promisify(execFile);
const maven = findMaven();
const sha = (algo: string, data: string | Buffer) => createHash(algo).update(data).digest('hex');

const POM = (version: string, extra = '') => `<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0"><modelVersion>4.0.0</modelVersion>
<groupId>com.gitea</groupId><artifactId>test-project</artifactId><version>${version}</version>
<description>It is a test</description>${extra}</project>`;

describeEachBackend('maven repository', (backend) => {
  let t: TestApp;
  const root = (owner = 'alice') => `/api/packages/${owner}/maven/com/gitea/test-project`;
  const jar = 'com.gitea:test-project:1.0.1.jar';

  beforeAll(async () => {
    t = await startTestApp(backend, ADMIN_ENV);
    await createUser(t.url, 'alice');
    await createUser(t.url, 'bob');
    await createUser(t.url, 'carol', 'private');
    await createOrg(t.url, 'alice', 'javas', 'public', { bob: 'read' });
  });
  afterAll(async () => {
    await t?.close();
  });

  const version = async (owner: string, name: string, v: string) =>
    (
      await request(t.url)
        .get(`/api/v1/packages/${owner}/maven/${encodeURIComponent(name)}/${v}`)
        .auth('alice', PASSWORD)
        .expect(200)
    ).body as { id: number };

  it('PUT a jar (201, again 409), client metadata ignored (200), checksums verified (400 on mismatch), served for every file', async () => {
    await request(t.url)
      .put(`${root()}/1.0.1/${jar}`)
      .auth('alice', PASSWORD)
      .send('test')
      .expect(201);
    const again = await request(t.url)
      .put(`${root()}/1.0.1/${jar}`)
      .auth('alice', PASSWORD)
      .send('test')
      .expect(409);
    expect(again.text).toMatch(/releases are immutable/);
    await request(t.url)
      .put(`${root()}/maven-metadata.xml`)
      .auth('alice', PASSWORD)
      .send('<metadata/>')
      .expect(200);

    const before = await storedCounts(t);
    const bad = await request(t.url)
      .put(`${root()}/1.0.1/${jar}.sha1`)
      .auth('alice', PASSWORD)
      .send('test')
      .expect(400);
    expect(bad.text).toMatch(/sha1 checksum mismatch/);
    await request(t.url)
      .put(`${root()}/1.0.1/${jar}.sha1`)
      .auth('alice', PASSWORD)
      .send('a94a8fe5ccb19ba61c4c0873d391e987982fbbd3')
      .expect(200);
    await request(t.url)
      .put(`${root()}/1.0.1/${jar}.md5`)
      .auth('alice', PASSWORD)
      .send('098f6bcd4621d373cade4e832627b4f6')
      .expect(200);
    await request(t.url)
      .put(`${root()}/1.0.1/other.jar.sha1`)
      .auth('alice', PASSWORD)
      .send('a94a8fe5ccb19ba61c4c0873d391e987982fbbd3')
      .expect(404);
    expect(await storedCounts(t)).toEqual(before);

    const head = await request(t.url)
      .head(`${root()}/1.0.1/${jar}`)
      .auth('alice', PASSWORD)
      .expect(200);
    expect(head.headers['content-type']).toBe('application/java-archive');
    expect(head.headers['content-length']).toBe('4');
    expect(head.headers['last-modified']).toBeTruthy();
    const get = await request(t.url)
      .get(`${root()}/1.0.1/${jar}`)
      .buffer(true)
      .parse(binary)
      .expect(200);
    expect(get.body.toString()).toBe('test');
    for (const [algo, hex] of Object.entries({
      md5: '098f6bcd4621d373cade4e832627b4f6',
      sha1: 'a94a8fe5ccb19ba61c4c0873d391e987982fbbd3',
      sha256: '9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08',
      sha512:
        'ee26b0dd4af7e749aa1a8ee3c10ae9923f618980772e473f8819a5d4940e0db27ac185f8a0e1d5f84f88bc887fd67b143732c304cc5fa9ad8e6f57f50028a8ff',
    })) {
      const res = await request(t.url).get(`${root()}/1.0.1/${jar}.${algo}`).expect(200);
      expect(res.text).toBe(hex);
      expect(res.headers['content-type']).toBe('text/plain; charset=utf-8');
    }
    await request(t.url).get(`${root()}/1.2.3/${jar}`).expect(404);
    // A jar GET does not count a download (only the pom, the lead file, does).
    expect(
      await downloadCount(t, (await version('alice', 'com.gitea:test-project', '1.0.1')).id),
    ).toBe(0);
  });

  it('parses the pom into version metadata; the pom is the lead file, served as bytes, not XML', async () => {
    const pom = POM(
      '1.0.1',
      '<name>Test</name><url>https://gitea.io</url><licenses><license><name>MIT</name></license></licenses><dependencies><dependency><groupId>org.x</groupId><artifactId>y</artifactId><version>2</version></dependency></dependencies>',
    );
    await request(t.url)
      .put(`${root()}/1.0.1/${jar.replace('.jar', '.pom')}`)
      .auth('alice', PASSWORD)
      .send(pom)
      .expect(201);
    const v = await version('alice', 'com.gitea:test-project', '1.0.1');
    const desc = await t.app.get(PackageQueryService).loadDescriptor(v.id);
    expect(desc!.metadata).toEqual({
      groupId: 'com.gitea',
      artifactId: 'test-project',
      version: '1.0.1',
      name: 'Test',
      description: 'It is a test',
      url: 'https://gitea.io',
      licenses: ['MIT'],
      dependencies: [{ groupId: 'org.x', artifactId: 'y', version: '2' }],
    });
    expect(desc!.files.map((f) => [f.file.name, f.file.isLead])).toEqual([
      [jar, false],
      [jar.replace('.jar', '.pom'), true],
    ]);

    const res = await request(t.url)
      .get(`${root()}/1.0.1/${jar.replace('.jar', '.pom')}`)
      .buffer(true)
      .parse(binary)
      .expect(200);
    expect(res.body.toString()).toBe(pom);
    expect(res.headers['content-type']).toBe('application/octet-stream');
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(await downloadCount(t, v.id)).toBe(1);
  });

  it.each([
    [
      'a pom with an XXE DOCTYPE',
      '<?xml version="1.0"?><!DOCTYPE p [<!ENTITY x SYSTEM "file:///etc/passwd">]><project><groupId>com.gitea</groupId><artifactId>test-project</artifactId><description>&x;</description></project>',
      /DOCTYPE/,
    ],
    ['malformed XML', '<project><groupId>com.gitea</groupId>', /not well-formed/],
    [
      'a pom without groupId',
      '<project><artifactId>test-project</artifactId></project>',
      /group ID is missing/,
    ],
    [
      'a pom for other coordinates',
      '<project><groupId>org.other</groupId><artifactId>test-project</artifactId></project>',
      /is for org.other:test-project/,
    ],
  ])('refuses %s with a 400 that says why, storing nothing', async (_what, pom, reason) => {
    const before = await storedCounts(t);
    const res = await request(t.url)
      .put(`${root()}/2.0.0/test-project-2.0.0.pom`)
      .auth('alice', PASSWORD)
      .send(pom)
      .expect(400);
    expect(res.text).toMatch(reason);
    expect(await storedCounts(t)).toEqual(before);
  });

  it.each([
    ['a path with ..', '/com/gitea/test-project/1.0.1/..%2F..%2Fx.jar', /path separator/],
    ['an encoded absolute path', '/com/gitea/test-project/1.0.1/%2fetc%2fpasswd', /path separator/],
    ['a look-alike dot', '/com/gitea/test-project/1.0.1/\uFF0E\uFF0E', /file name/],
    ['a double-encoded traversal', '/com/gitea/test-project/%252e%252e%252f/x.jar', /version/],
    ['a path without a groupId', '/test-project/1.0.1/x.jar', /group path/],
    ['a version with a colon', '/com/gitea/test-project/1%3A0/x.jar', /version/],
  ])('refuses %s with a 400', async (_what, p, reason) => {
    const before = await storedCounts(t);
    const res = await request(t.url)
      .put(`/api/packages/alice/maven${p}`)
      .auth('alice', PASSWORD)
      .send('x')
      .expect(400);
    expect(res.text).toMatch(reason);
    expect(await storedCounts(t)).toEqual(before);
  });

  it('generates maven-metadata.xml (upload order, latest, release, lastUpdated) with checksums, ETag and 304', async () => {
    await request(t.url)
      .put(`${root()}/1.0.2-SNAPSHOT/test-project-1.0.2-20260101.120000-1.jar`)
      .auth('alice', PASSWORD)
      .send('snap')
      .expect(201);
    const res = await request(t.url).get(`${root()}/maven-metadata.xml`).expect(200);
    expect(res.headers['content-type']).toBe('application/xml; charset=utf-8');
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.text).toMatch(
      /^<\?xml version="1.0" encoding="UTF-8"\?>\n<metadata><groupId>com.gitea<\/groupId><artifactId>test-project<\/artifactId><versioning><latest>1.0.2-SNAPSHOT<\/latest><release>1.0.1<\/release><versions><version>1.0.1<\/version><version>1.0.2-SNAPSHOT<\/version><\/versions><lastUpdated>\d{14}<\/lastUpdated><\/versioning><\/metadata>\n$/,
    );
    expect(res.headers['content-length']).toBe(String(Buffer.byteLength(res.text)));
    for (const algo of ['md5', 'sha1', 'sha256', 'sha512']) {
      expect(
        (await request(t.url).get(`${root()}/maven-metadata.xml.${algo}`).expect(200)).text,
      ).toBe(sha(algo, res.text));
    }
    expect(res.headers.etag).toBe(`"${sha('sha256', res.text)}"`);
    await request(t.url)
      .get(`${root()}/maven-metadata.xml`)
      .set('If-None-Match', res.headers.etag)
      .expect(304);
    await request(t.url)
      .get(`${root()}/maven-metadata.xml`)
      .set('If-Modified-Since', res.headers['last-modified'])
      .expect(304);
    await request(t.url).head(`${root()}/maven-metadata.xml`).expect(200);
    await request(t.url)
      .get('/api/packages/alice/maven/com/gitea/nothing/maven-metadata.xml')
      .expect(404);
  });

  it('stores snapshot maven-metadata.xml as an overwritable file; snapshot files may be re-deployed', async () => {
    const dir = `${root()}/1.0.2-SNAPSHOT`;
    await request(t.url)
      .put(`${dir}/maven-metadata.xml`)
      .auth('alice', PASSWORD)
      .send('<metadata>1</metadata>')
      .expect(201);
    await request(t.url)
      .put(`${dir}/maven-metadata.xml`)
      .auth('alice', PASSWORD)
      .send('<metadata>2</metadata>')
      .expect(201);
    await request(t.url)
      .put(`${dir}/maven-metadata.xml.sha1`)
      .auth('alice', PASSWORD)
      .send(sha('sha1', '<metadata>2</metadata>'))
      .expect(200);
    const got = await request(t.url)
      .get(`${dir}/maven-metadata.xml`)
      .buffer(true)
      .parse(binary)
      .expect(200);
    expect(got.body.toString()).toBe('<metadata>2</metadata>');
    expect((await request(t.url).get(`${dir}/maven-metadata.xml.sha256`).expect(200)).text).toBe(
      sha('sha256', '<metadata>2</metadata>'),
    );
    await request(t.url)
      .put(`${dir}/test-project-1.0.2-20260101.120000-1.jar`)
      .auth('alice', PASSWORD)
      .send('snap2')
      .expect(201);
  });

  it('accepts 10 parallel uploads to a fresh package', async () => {
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        request(t.url)
          .put(`/api/packages/alice/maven/com/gitea/parallel/1.0.1/${i}.jar`)
          .auth('alice', PASSWORD)
          .send(`jar ${i}`),
      ),
    );
    expect(results.map((r) => r.status)).toEqual(Array(10).fill(201));
  });

  it('enforces access: anonymous read of a public owner, 401 + Basic for a private one and bad credentials, 403 for a reader', async () => {
    await request(t.url)
      .put(`${root('carol')}/1.0/test-project-1.0.jar`)
      .auth('carol', PASSWORD)
      .send('c')
      .expect(201);
    await request(t.url).get(`${root()}/1.0.1/${jar}`).expect(200);
    for (const url of [
      `${root('carol')}/1.0/test-project-1.0.jar`,
      `${root('carol')}/maven-metadata.xml`,
    ]) {
      const res = await request(t.url).get(url).expect(401);
      expect(res.headers['www-authenticate']).toBe('Basic realm="Wharf"');
    }
    const wrong = await request(t.url)
      .head(`${root('carol')}/1.0/test-project-1.0.jar`)
      .auth('carol', 'invalid')
      .expect(401);
    expect(wrong.headers['www-authenticate']).toBe('Basic realm="Wharf"');
    await request(t.url)
      .head(`${root('carol')}/1.0/test-project-1.0.jar`)
      .auth('carol', PASSWORD)
      .expect(200);

    const before = await storedCounts(t);
    const anon = await request(t.url)
      .put(`${root('javas')}/1.0/x.jar`)
      .send('x')
      .expect(401);
    expect(anon.headers['www-authenticate']).toBe('Basic realm="Wharf"');
    await request(t.url)
      .put(`${root('javas')}/1.0/x.jar`)
      .auth('bob', PASSWORD)
      .send('x')
      .expect(403);
    expect(await storedCounts(t)).toEqual(before);
  });

  describeIf(maven.available, maven.missing, 'with the real mvn client', () => {
    let dir: string;
    const mvn = async (cwd: string, settings: string, ...args: string[]) => {
      try {
        return await run('mvn', ['-B', '-e', '-s', settings, ...args], {
          cwd,
          timeout: 240_000,
          maxBuffer: 32 * 1024 * 1024,
          env: { PATH: process.env.PATH, HOME: dir, JAVA_HOME: process.env.JAVA_HOME ?? '' },
        });
      } catch (err) {
        const e = err as { stdout?: string; message: string };
        throw new Error(
          `mvn ${args.join(' ')} failed: ${e.message}\n${(e.stdout ?? '')
            .split('\n')
            .filter((l) => /ERROR|BUILD|Upload|Download/.test(l))
            .slice(-40)
            .join('\n')}`,
        );
      }
    };

    beforeAll(async () => {
      dir = mkdtempSync(path.join(os.tmpdir(), 'wharf-mvn-'));
      await createUser(t.url, 'erin', 'private');
    });
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it('mvn deploy (token from settings.xml), a 409 on re-deploy, then a second project builds against it', async () => {
      const token = await createToken(t.url, 'erin');
      const repoUrl = `${t.url}/api/packages/erin/maven`;
      const publisher = path.join(dir, 'publisher-settings.xml');
      writeSettings(publisher, path.join(dir, 'm2-publisher'), {
        username: 'erin',
        password: token,
      });
      const lib = path.join(dir, 'lib');
      writeProject(lib, {
        groupId: 'com.example.wharf',
        artifactId: 'greeter',
        version: '1.0.0',
        repoUrl,
        className: 'Greeter',
        source:
          'package wharf;\npublic class Greeter { public static String greet() { return "hello from wharf"; } }\n',
      });
      await mvn(lib, publisher, 'deploy');
      const files = await request(t.url)
        .get('/api/v1/packages/erin/maven/com.example.wharf:greeter/1.0.0/files')
        .auth('erin', PASSWORD)
        .expect(200);
      expect(files.body.map((f: { name: string }) => f.name).sort()).toEqual([
        'greeter-1.0.0.jar',
        'greeter-1.0.0.pom',
      ]);
      const metadata = await request(t.url)
        .get('/api/packages/erin/maven/com/example/wharf/greeter/maven-metadata.xml')
        .auth('erin', PASSWORD)
        .expect(200);
      expect(metadata.text).toContain('<release>1.0.0</release>');

      await expect(mvn(lib, publisher, 'deploy')).rejects.toThrow(/409/);

      const consumer = path.join(dir, 'consumer-settings.xml');
      writeSettings(consumer, path.join(dir, 'm2-consumer'), { username: 'erin', password: token });
      const app = path.join(dir, 'app');
      writeProject(app, {
        groupId: 'com.example.wharf',
        artifactId: 'app',
        version: '1.0.0',
        repoUrl,
        className: 'App',
        dependencies: ['com.example.wharf:greeter:1.0.0'],
        source:
          'package wharf;\npublic class App { public static void main(String[] a) { System.out.println(Greeter.greet()); } }\n',
      });
      await mvn(app, consumer, 'package');
      const resolved = readFileSync(
        path.join(dir, 'm2-consumer/com/example/wharf/greeter/1.0.0/greeter-1.0.0.jar'),
      );
      expect(resolved.equals(readFileSync(path.join(lib, 'target/greeter-1.0.0.jar')))).toBe(true);
      const out = await run('java', [
        '-cp',
        `${path.join(app, 'target/app-1.0.0.jar')}:${path.join(dir, 'm2-consumer/com/example/wharf/greeter/1.0.0/greeter-1.0.0.jar')}`,
        'wharf.App',
      ]);
      expect(out.stdout.trim()).toBe('hello from wharf');
    });

    it('a SNAPSHOT deployed twice resolves to its latest build', async () => {
      const token = await createToken(t.url, 'erin');
      const repoUrl = `${t.url}/api/packages/erin/maven`;
      const publisher = path.join(dir, 'snap-publisher.xml');
      writeSettings(publisher, path.join(dir, 'm2-snap-publisher'), {
        username: 'erin',
        password: token,
      });
      const lib = path.join(dir, 'snaplib');
      const build = async (n: number) => {
        writeProject(lib, {
          groupId: 'com.example.wharf',
          artifactId: 'snap',
          version: '2.0.0-SNAPSHOT',
          repoUrl,
          className: 'Snap',
          source: `package wharf;\npublic class Snap { public static int build() { return ${n}; } }\n`,
        });
        await mvn(lib, publisher, 'deploy');
        return readFileSync(path.join(lib, 'target/snap-2.0.0-SNAPSHOT.jar'));
      };
      await build(1);
      await new Promise((r) => setTimeout(r, 1100)); // a new timestamp for the second build
      const second = await build(2);

      const files = await request(t.url)
        .get('/api/v1/packages/erin/maven/com.example.wharf:snap/2.0.0-SNAPSHOT/files')
        .auth('erin', PASSWORD)
        .expect(200);
      const jars = files.body
        .map((f: { name: string }) => f.name)
        .filter((n: string) => n.endsWith('.jar'));
      expect(jars).toHaveLength(2);
      expect(jars.every((n: string) => /^snap-2\.0\.0-\d{8}\.\d{6}-[12]\.jar$/.test(n))).toBe(true);
      const snapMeta = await request(t.url)
        .get('/api/packages/erin/maven/com/example/wharf/snap/2.0.0-SNAPSHOT/maven-metadata.xml')
        .auth('erin', PASSWORD)
        .buffer(true)
        .parse(binary)
        .expect(200);
      expect(snapMeta.body.toString()).toContain('<buildNumber>2</buildNumber>');

      const consumer = path.join(dir, 'snap-consumer.xml');
      writeSettings(consumer, path.join(dir, 'm2-snap-consumer'), {
        username: 'erin',
        password: token,
      });
      await mvn(
        dir,
        consumer,
        'org.apache.maven.plugins:maven-dependency-plugin:3.5.0:get',
        `-DremoteRepositories=wharf::default::${repoUrl}`,
        '-Dartifact=com.example.wharf:snap:2.0.0-SNAPSHOT',
        '-Dtransitive=false',
      );
      const local = path.join(dir, 'm2-snap-consumer/com/example/wharf/snap/2.0.0-SNAPSHOT');
      const resolved = readdirSync(local).filter((f) => f.endsWith('.jar'));
      expect(resolved.some((f) => /-2\.jar$/.test(f))).toBe(true);
      expect(readFileSync(path.join(local, 'snap-2.0.0-SNAPSHOT.jar')).equals(second)).toBe(true);
    });
  });
});

/** supertest parser that keeps the body as bytes. */
function binary(res: any, cb: (err: Error | null, body: Buffer) => void): void {
  const chunks: Buffer[] = [];
  res.on('data', (c: Buffer) => chunks.push(c));
  res.on('end', () => cb(null, Buffer.concat(chunks)));
}
