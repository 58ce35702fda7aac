/**
 * npm figures (issue 6): packument GETs per second for a package with 500 versions, and
 * the wall time of `npm install` of 20 packages from Wharf (empty cache). Prints, never asserts.
 *
 *   npx ts-node --transpile-only -r tsconfig-paths/register bench/npm-registry.bench.ts
 */
import 'reflect-metadata';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import request from 'supertest';
import { SQLITE_FS } from '../test/support/backends';
import { ADMIN_ENV, createToken, createUser } from '../test/support/clients/accounts';
import { NpmSandbox, npmTarball, publishDocument } from '../test/support/clients/npm';
import { startTestApp } from '../test/support/test-app';

const VERSIONS = Number(process.env.BENCH_VERSIONS ?? 500);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const CONCURRENCY = 8;

async function main(): Promise<void> {
  const t = await startTestApp(SQLITE_FS, ADMIN_ENV);
  try {
    await createUser(t.url, 'bench');
    const token = await createToken(t.url, 'bench');
    const base = '/api/packages/bench/npm';
    const publish = async (name: string, version: string) => {
      const tgz = await npmTarball({
        'package.json': JSON.stringify({ name, version }),
        'index.js': `module.exports = ${JSON.stringify(version)};\n`,
      });
      await request(t.url)
        .put(`${base}/${encodeURIComponent(name)}`)
        .set('Authorization', `Bearer ${token}`)
        .send(publishDocument({ name, version }, tgz))
        .expect(201);
    };

    for (let i = 0; i < VERSIONS; i++) await publish('big-package', `1.0.${i}`);
    for (const abbreviated of [false, true]) {
      let count = 0;
      const end = Date.now() + SECONDS * 1000;
      await Promise.all(
        Array.from({ length: CONCURRENCY }, async () => {
          while (Date.now() < end) {
            const req = request(t.url).get(`${base}/big-package`);
            if (abbreviated) req.set('Accept', 'application/vnd.npm.install-v1+json');
            await req.expect(200);
            count++;
          }
        }),
      );
      console.log(
        `packument (${abbreviated ? 'abbreviated' : 'full'}) of ${VERSIONS} versions: ${(count / SECONDS).toFixed(1)} GET/s (${CONCURRENCY} concurrent)`,
      );
    }

    const deps: Record<string, string> = {};
    for (let i = 0; i < 20; i++) {
      await publish(`dep-${i}`, '1.0.0');
      deps[`dep-${i}`] = '1.0.0';
    }
    const sandbox = new NpmSandbox(`${t.url}${base}/`, { token });
    try {
      const app = sandbox.dir('app');
      mkdirSync(app, { recursive: true });
      writeFileSync(
        path.join(app, 'package.json'),
        JSON.stringify({ name: 'app', version: '0.0.0', private: true, dependencies: deps }),
      );
      const started = Date.now();
      const r = await sandbox.run(['install'], app);
      if (r.code !== 0) throw new Error(r.out);
      console.log(
        `npm install of 20 packages (empty cache): ${((Date.now() - started) / 1000).toFixed(2)} s`,
      );
    } finally {
      sandbox.dispose();
    }
  } finally {
    await t.close();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
