import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import * as tar from 'tar-stream';
import { parse as parseYaml } from 'yaml';
import { describeIf } from '@wharf/packages-core/testing/test-env';
import { MYSQL_S3 } from './support/backends';
import { ADMIN, ADMIN_ENV } from './support/clients/accounts';
import { npmTarball, publishDocument } from './support/clients/npm';
import { freePortBlock } from './support/private-services';
import { serverBuilt, ServerProcess, startServerProcess } from './support/server-process';

/**
 * Generated indexes are cached in each process, yet a publish through one replica is in
 * the very next index the other serves: the write bumps the document's generation in the
 * database, and every read compares its cached copy's generation with it.
 */
const basic = `Basic ${Buffer.from(`${ADMIN.username}:${ADMIN.password}`).toString('base64')}`;
const ABBREVIATED = 'application/vnd.npm.install-v1+json';

async function chart(version: string): Promise<Buffer> {
  const pack = tar.pack();
  pack.entry(
    { name: 'cached/Chart.yaml' },
    `apiVersion: v2\nname: cached\nversion: ${version}\ndescription: cache test\n`,
  );
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const c of pack) chunks.push(c as Buffer);
  return gzipSync(Buffer.concat(chunks));
}

describeIf(
  serverBuilt() && MYSQL_S3.available,
  `the built server (npm run build) and ${MYSQL_S3.missing}`,
  'generated documents across two replicas on MySQL + S3',
  () => {
    let dataDir: string;
    let provisioned: Awaited<ReturnType<typeof MYSQL_S3.provision>>;
    let a: ServerProcess;
    let b: ServerProcess;
    const helmBase = `/api/packages/${ADMIN.username}/helm`;
    const npmBase = `/api/packages/${ADMIN.username}/npm`;
    const mavenBase = `/api/packages/${ADMIN.username}/maven/org/example/cached`;

    const send = async (
      server: ServerProcess,
      method: string,
      p: string,
      body?: string | Buffer,
    ) => {
      const res = await fetch(server.url + p, {
        method,
        body,
        headers: {
          authorization: basic,
          'content-type':
            typeof body === 'string' ? 'application/json' : 'application/octet-stream',
        },
      });
      await res.arrayBuffer();
      return res.status;
    };
    const get = async (server: ServerProcess, p: string, accept?: string) => {
      const res = await fetch(server.url + p, {
        headers: { authorization: basic, ...(accept ? { accept } : {}) },
      });
      return { status: res.status, text: await res.text() };
    };
    const helmVersions = async (server: ServerProcess) => {
      const res = await get(server, `${helmBase}/index.yaml`);
      expect(res.status).toBe(200);
      const index = parseYaml(res.text) as { entries: Record<string, { version: string }[]> };
      return (index.entries.cached ?? []).map((e) => e.version).sort();
    };
    const publishNpm = async (server: ServerProcess, version: string) => {
      const tgz = await npmTarball({
        'package.json': JSON.stringify({ name: 'cached-pkg', version }),
      });
      return send(
        server,
        'PUT',
        `${npmBase}/cached-pkg`,
        JSON.stringify(publishDocument({ name: 'cached-pkg', version }, tgz)),
      );
    };
    const packument = async (server: ServerProcess, accept?: string) => {
      const res = await get(server, `${npmBase}/cached-pkg`, accept);
      expect(res.status).toBe(200);
      return JSON.parse(res.text) as {
        versions: Record<string, unknown>;
        'dist-tags': Record<string, string>;
      };
    };

    beforeAll(async () => {
      dataDir = mkdtempSync(path.join(os.tmpdir(), 'wharf-doc-cache-'));
      provisioned = await MYSQL_S3.provision(dataDir);
      const env = { ...provisioned.env, ...ADMIN_ENV, REGISTRY_LOG_LEVEL: 'warn' };
      a = startServerProcess({ ...env, PORT: String(await freePortBlock()) });
      await a.ready();
      b = startServerProcess({ ...env, PORT: String(await freePortBlock()) });
      await b.ready();
    });

    afterAll(async () => {
      await a?.stop();
      await b?.stop();
      await provisioned?.dispose();
      rmSync(dataDir, { recursive: true, force: true });
    });

    it('helm: a chart published on one replica is in the next index.yaml of the other', async () => {
      expect(await send(a, 'PUT', `${helmBase}/cached-1.0.0.tgz`, await chart('1.0.0'))).toBe(201);
      // b builds and caches the index, twice over (the second answer comes from its cache)
      expect(await helmVersions(b)).toEqual(['1.0.0']);
      expect(await helmVersions(b)).toEqual(['1.0.0']);
      expect(await send(a, 'PUT', `${helmBase}/cached-1.1.0.tgz`, await chart('1.1.0'))).toBe(201);
      expect(await helmVersions(b)).toEqual(['1.0.0', '1.1.0']);
      expect(await helmVersions(a)).toEqual(['1.0.0', '1.1.0']);
    });

    it('npm: a version and its dist-tag published on one replica are in the next packument of the other, both forms', async () => {
      expect(await publishNpm(a, '1.0.0')).toBe(201);
      for (const accept of [undefined, ABBREVIATED]) {
        expect(Object.keys((await packument(b, accept)).versions)).toEqual(['1.0.0']);
      }
      expect(await publishNpm(a, '1.0.1')).toBe(201);
      for (const accept of [undefined, ABBREVIATED]) {
        const doc = await packument(b, accept);
        expect(Object.keys(doc.versions)).toEqual(['1.0.0', '1.0.1']);
        expect(doc['dist-tags'].latest).toBe('1.0.1');
      }
      // and an unpublish on the other replica is seen by the first
      expect(await send(b, 'DELETE', `${npmBase}/cached-pkg/-rev/1`)).toBe(200);
      expect((await get(a, `${npmBase}/cached-pkg`)).status).toBe(404);
    });

    it('maven: a version deployed on one replica is in the next maven-metadata.xml of the other', async () => {
      const deploy = (version: string) =>
        send(a, 'PUT', `${mavenBase}/${version}/cached-${version}.jar`, Buffer.from(version));
      const versions = async () => {
        const res = await get(b, `${mavenBase}/maven-metadata.xml`);
        expect(res.status).toBe(200);
        return [...res.text.matchAll(/<version>([^<]+)<\/version>/g)].map((m) => m[1]);
      };
      expect(await deploy('1.0')).toBe(201);
      expect(await versions()).toEqual(['1.0']);
      expect(await deploy('2.0')).toBe(201);
      expect(await versions()).toEqual(['1.0', '2.0']);
    });
  },
);
