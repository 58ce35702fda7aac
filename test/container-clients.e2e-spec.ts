import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import request from 'supertest';
import { describeIf } from '@wharf/packages-core/testing/test-env';
import { describeEachBackend } from './support/backends';
import { startTestApp, TestApp } from './support/test-app';
import { ADMIN_ENV, createToken, createUser, PASSWORD } from './support/clients/accounts';
import { writeOciLayout } from './support/clients/container-oci-layout';

/**
 * Real clients against a running server: skopeo (copy in and out with digest comparison,
 * inspect, list-tags, delete) and podman (login, push, pull) as root, over plain HTTP.
 */
const run = promisify(execFile);
const has = (bin: string) =>
  ['/usr/bin', '/usr/local/bin'].some((d) => existsSync(path.join(d, bin)));
const CLIENTS = has('skopeo') && has('podman');

async function sh(cmd: string, args: string[], env: Record<string, string> = {}): Promise<string> {
  try {
    const { stdout } = await run(cmd, args, {
      env: { ...process.env, ...env },
      maxBuffer: 64 * 2 ** 20,
      timeout: 120_000,
    });
    return stdout;
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(`${cmd} ${args.join(' ')} failed: ${e.stderr || e.message}`);
  }
}

describeIf(
  CLIENTS,
  'skopeo and podman (apt-get install skopeo podman buildah)',
  'container registry with real clients',
  () => {
    describeEachBackend('skopeo and podman', (backend) => {
      let t: TestApp;
      let host: string;
      let work: string;
      let token: string;

      beforeAll(async () => {
        t = await startTestApp(backend, ADMIN_ENV);
        host = t.url.replace(/^http:\/\//, '');
        await createUser(t.url, 'alice');
        token = await createToken(t.url, 'alice', ['write:package']);
        work = mkdtempSync(path.join(os.tmpdir(), 'wharf-oci-'));
      });
      afterAll(async () => {
        await t?.close();
        if (work) rmSync(work, { recursive: true, force: true });
      });

      it('skopeo copies an image and a multi-arch index in and out with unchanged digests; inspect, list-tags, delete', async () => {
        const layout = writeOciLayout(path.join(work, 'src'));
        const dest = `docker://${host}/alice/skopeo`;
        const push = ['copy', '--dest-tls-verify=false', '--dest-creds', `alice:${token}`];
        await sh('skopeo', [...push, `oci:${work}/src:v1`, `${dest}:v1`]);
        await sh('skopeo', [...push, '--all', `oci:${work}/src:multi`, `${dest}:multi`]);

        const inspect = JSON.parse(
          await sh('skopeo', [
            'inspect',
            '--tls-verify=false',
            '--creds',
            `alice:${PASSWORD}`,
            `${dest}:v1`,
          ]),
        );
        expect(inspect.Digest).toBe(layout.v1.digest);
        expect(inspect.Layers).toHaveLength(3);
        const raw = await sh('skopeo', ['inspect', '--raw', '--tls-verify=false', `${dest}:multi`]); // anonymous, through the token flow
        expect(raw).toBe(layout.blob(layout.multi.digest).toString());
        const tags = JSON.parse(await sh('skopeo', ['list-tags', '--tls-verify=false', dest]));
        expect(tags.Tags.sort()).toEqual(['multi', 'v1']);

        await sh('skopeo', [
          'copy',
          '--all',
          '--src-tls-verify=false',
          `${dest}:multi`,
          `oci:${work}/out:multi`,
        ]);
        await sh('skopeo', [
          'copy',
          '--src-tls-verify=false',
          '--src-creds',
          `alice:${PASSWORD}`,
          `${dest}:v1`,
          `oci:${work}/out:v1`,
        ]);
        const out = JSON.parse(readFileSync(path.join(work, 'out', 'index.json'), 'utf8')) as {
          manifests: { digest: string; annotations: Record<string, string> }[];
        };
        const byRef = Object.fromEntries(
          out.manifests.map((m) => [m.annotations['org.opencontainers.image.ref.name'], m.digest]),
        );
        expect(byRef).toEqual({ multi: layout.multi.digest, v1: layout.v1.digest });

        await sh('skopeo', [
          'delete',
          '--tls-verify=false',
          '--creds',
          `alice:${token}`,
          `${dest}:v1`,
        ]);
        await expect(sh('skopeo', ['inspect', '--tls-verify=false', `${dest}:v1`])).rejects.toThrow(
          /manifest unknown|not found/i,
        );
        expect(
          JSON.parse(await sh('skopeo', ['list-tags', '--tls-verify=false', dest])).Tags,
        ).toEqual(['multi']);
        // Pushing without credentials meets the challenge, not a silent anonymous write.
        await expect(
          sh('skopeo', ['copy', '--dest-tls-verify=false', `oci:${work}/src:v1`, `${dest}:anon`]),
        ).rejects.toThrow(/unauthorized|authentication required/i);
      });

      it('podman logs in, pushes and pulls', async () => {
        // podman names an `oci:` image after its path, which must be lower-case.
        const src = path.join(os.tmpdir(), `wharf-podman-${randomBytes(6).toString('hex')}`);
        const layout = writeOciLayout(src);
        const storage = [
          '--root',
          path.join(work, 'podman-root'),
          '--runroot',
          path.join(work, 'podman-run'),
          '--storage-driver',
          'vfs',
        ];
        const env = { REGISTRY_AUTH_FILE: path.join(work, 'auth.json') };
        const podman = (...args: string[]) => sh('podman', [...storage, ...args], env);
        await podman('login', '--tls-verify=false', '-u', 'alice', '-p', PASSWORD, host);
        await podman('pull', `oci:${src}:v1`);
        rmSync(src, { recursive: true, force: true });
        const id = (await podman('images', '-q')).trim().split('\n')[0];
        await podman('push', '--tls-verify=false', id, `${host}/alice/podman:v1`);
        const tags = await request(t.url)
          .get('/v2/alice/podman/tags/list')
          .auth('alice', PASSWORD)
          .expect(200);
        expect(tags.body.tags).toEqual(['v1']);
        await podman('rmi', '-a', '-f');
        await podman('pull', '--tls-verify=false', `${host}/alice/podman:v1`);
        const inspected = JSON.parse(await podman('image', 'inspect', `${host}/alice/podman:v1`));
        expect(inspected[0].RootFS.Layers).toHaveLength(3);
        expect(layout.v1.digest).toMatch(/^sha256:/);
        await podman('logout', host);
      });
    });
  },
);
