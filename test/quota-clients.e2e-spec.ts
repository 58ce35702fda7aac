import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import request from 'supertest';
import { describeIf } from '@wharf/packages-core/testing/test-env';
import { describeEachBackend } from './support/backends';
import { ADMIN, ADMIN_ENV, createToken, createUser } from './support/clients/accounts';
import { writeOciLayout } from './support/clients/container-oci-layout';
import { findNpm, NpmSandbox } from './support/clients/npm';
import { startTestApp, TestApp } from './support/test-app';

/**
 * docs/protocols/core.md §8 with real clients: an upload refused over quota shows the user
 * a message naming the quota — skopeo prints the OCI error's message, npm the `error` field.
 */
const run = promisify(execFile);
const SKOPEO = ['/usr/bin', '/usr/local/bin'].some((d) => existsSync(path.join(d, 'skopeo')));
const npm = findNpm();

describeIf(
  SKOPEO && npm.available,
  `skopeo (apt-get install skopeo) and ${npm.missing || 'npm'}`,
  'quota refusals seen by real clients',
  () => {
    describeEachBackend('skopeo and npm over quota', (backend) => {
      let t: TestApp;
      let work: string;
      let sandbox: NpmSandbox;
      let token: string;

      beforeAll(async () => {
        t = await startTestApp(backend, ADMIN_ENV);
        await createUser(t.url, 'alice');
        token = await createToken(t.url, 'alice', ['write:package']);
        await request(t.url)
          .post('/api/v1/admin/quota/groups')
          .auth(ADMIN.username, ADMIN.password)
          .send({
            name: 'tiny',
            rules: [{ name: 'tiny-packages', limit: 64, subjects: ['size:assets:packages:all'] }],
          })
          .expect(201);
        await request(t.url)
          .put('/api/v1/admin/quota/groups/tiny/users/alice')
          .auth(ADMIN.username, ADMIN.password)
          .expect(204);
        work = mkdtempSync(path.join(os.tmpdir(), 'wharf-quota-clients-'));
        sandbox = new NpmSandbox(`${t.url}/api/packages/alice/npm/`, { token });
      });
      afterAll(async () => {
        sandbox?.dispose();
        await t?.close();
        if (work) rmSync(work, { recursive: true, force: true });
      });

      it('skopeo copy is refused with the quota rule in its error', async () => {
        writeOciLayout(path.join(work, 'src'));
        const host = t.url.replace(/^http:\/\//, '');
        const failed = await run('skopeo', [
          'copy',
          '--dest-tls-verify=false',
          '--dest-creds',
          `alice:${token}`,
          `oci:${work}/src:v1`,
          `docker://${host}/alice/app:v1`,
        ]).then(
          () => undefined,
          (err: { stderr?: string }) => err.stderr ?? '',
        );
        expect(failed).toBeDefined();
        // skopeo prints the OCI code and message (its log quotes them: \" inside).
        expect(failed).toContain('denied: quota exceeded');
        expect(failed).toMatch(/quota rule \\?"tiny-packages\\?"/);
      });

      it('npm publish is refused with the quota rule in its error', async () => {
        const dir = sandbox.dir('pkg');
        writeFileSync(
          path.join(dir, 'package.json'),
          JSON.stringify({ name: 'over-quota', version: '1.0.0' }),
        );
        writeFileSync(
          path.join(dir, 'index.js'),
          `module.exports = ${JSON.stringify('x'.repeat(500))};\n`,
        );
        const r = await sandbox.run(['publish'], dir);
        expect(r.code).not.toBe(0);
        expect(r.out).toContain('413');
        expect(r.out).toContain('quota rule "tiny-packages"');
      });
    });
  },
);
