import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { describeIf } from '@wharf/packages-core/testing/test-env';
import { BACKENDS } from './support/backends';
import { ADMIN_ENV, createToken, createUser } from './support/clients/accounts';
import { findHelm } from './support/clients/helm';
import { startTestApp, TestApp } from './support/test-app';

/**
 * Charts as OCI artifacts in the container registry: `helm push oci://…` and
 * `helm pull oci://…` with the real helm 3.17, through the token flow.
 */
const run = promisify(execFile);
const helm = findHelm();
const CHART = path.resolve(__dirname, '../libs/registries/helm/src/fixtures/wharf-demo-0.1.0.tgz');

for (const backend of BACKENDS) {
  describeIf(
    !!helm.bin && backend.available,
    [helm.missing, backend.available ? '' : backend.missing].filter(Boolean).join(' and '),
    `helm push/pull oci:// [${backend.name}]`,
    () => {
      let t: TestApp;
      let home: string;
      let host: string;
      const helmRun = (args: string[]) =>
        run(helm.bin!, args, {
          env: {
            PATH: process.env.PATH!,
            HOME: home,
            HELM_CACHE_HOME: path.join(home, 'cache'),
            HELM_CONFIG_HOME: path.join(home, 'config'),
            HELM_DATA_HOME: path.join(home, 'data'),
            HELM_REGISTRY_CONFIG: path.join(home, 'registry.json'),
          },
          timeout: 120_000,
        });

      beforeAll(async () => {
        home = mkdtempSync(path.join(os.tmpdir(), 'wharf-helm-oci-'));
        t = await startTestApp(backend, ADMIN_ENV);
        host = new URL(t.url).host;
        await createUser(t.url, 'charts');
      });
      afterAll(async () => {
        await t?.close();
        rmSync(home, { recursive: true, force: true });
      });

      it('an anonymous push is refused; after helm registry login the chart is pushed and pulled back byte for byte', async () => {
        await expect(
          helmRun(['push', CHART, `oci://${host}/charts`, '--plain-http']),
        ).rejects.toThrow(/401|unauthorized|denied/i);
        const token = await createToken(t.url, 'charts', ['write:package']);
        await helmRun([
          'registry',
          'login',
          host,
          '--username',
          'charts',
          '--password',
          token,
          '--insecure',
        ]);
        const pushed = await helmRun(['push', CHART, `oci://${host}/charts`, '--plain-http']);
        expect(`${pushed.stdout}${pushed.stderr}`).toMatch(/Pushed: .*charts\/wharf-demo:0\.1\.0/);
        const out = mkdtempSync(path.join(home, 'pulled-'));
        await helmRun([
          'pull',
          `oci://${host}/charts/wharf-demo`,
          '--version',
          '0.1.0',
          '--plain-http',
          '-d',
          out,
        ]);
        const sha = (f: string) => createHash('sha256').update(readFileSync(f)).digest('hex');
        expect(sha(path.join(out, 'wharf-demo-0.1.0.tgz'))).toBe(sha(CHART));
        const shown = await helmRun([
          'show',
          'chart',
          `oci://${host}/charts/wharf-demo`,
          '--version',
          '0.1.0',
          '--plain-http',
        ]);
        expect(shown.stdout).toMatch(/name: wharf-demo/);
      });
    },
  );
}
