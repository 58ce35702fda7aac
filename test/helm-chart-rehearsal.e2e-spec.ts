import { execFile, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import request from 'supertest';
import { mysqlTestUrl, s3TestSettings } from '@wharf/packages-core/testing/test-env';
import { describeIf } from '@wharf/packages-core/testing/test-env';
import {
  createMysqlDatabase,
  emptyAndRemoveBucket,
  minioClient,
  MYSQL_S3,
} from './support/backends';
import { bearer, pushImage, sha256 } from './support/clients/container';
import { findHelm } from './support/clients/helm';
import {
  K8sObject,
  RehearsedPod,
  RenderedRelease,
  render,
  runToCompletion,
} from './support/clients/helm-release';
import { serverBuilt } from './support/server-process';

/**
 * Install and upgrade rehearsals: the chart rendered by the real helm, then run as a
 * cluster would run it — the migration Job's container to completion, then two server
 * pods — with exactly the environment, arguments and files the rendered manifests give
 * them (helm-release.ts), on a fresh MariaDB database and a fresh bucket of the S3 test
 * server. Clients reach the pods through the rendered Ingress and Service.
 */
const CHART = path.resolve(__dirname, '../helm/wharf');
const REPO = path.resolve(__dirname, '..');
const helm = findHelm();
const ADMIN = { username: 'admin', password: 'admin-password-123' };
const basic = (u: { username: string; password: string }) =>
  `Basic ${Buffer.from(`${u.username}:${u.password}`).toString('base64')}`;

interface Fresh {
  database: string;
  bucket: string;
  dispose: () => Promise<void>;
}

async function freshBackends(): Promise<Fresh> {
  const suffix = randomBytes(5).toString('hex');
  const db = await createMysqlDatabase(`wharf_helm_${suffix}`);
  const bucket = `wharf-helm-${suffix}`;
  const s3 = minioClient();
  await s3.makeBucket(bucket, s3TestSettings()!.region);
  return {
    database: `wharf_helm_${suffix}`,
    bucket,
    dispose: async () => {
      await db.drop();
      await emptyAndRemoveBucket(s3, bucket);
    },
  };
}

/** What `kubectl create secret` made before the install, as the chart README says. */
function clusterSecrets(): Record<string, Record<string, string>> {
  const s3 = s3TestSettings()!;
  return {
    'wharf-db': { 'mysql-password': decodeURIComponent(new URL(mysqlTestUrl()!).password) },
    'wharf-s3': { 's3-access-key': s3.accessKey, 's3-secret-key': s3.secretKey },
    'wharf-signing': { 'registry-secret': randomBytes(32).toString('base64') },
    'wharf-admin': { 'admin-password': ADMIN.password },
  };
}

/** Where the test services are, as an operator's values would say. */
function servicesValues(fresh: Fresh): string[] {
  const db = new URL(mysqlTestUrl()!);
  const s3 = s3TestSettings()!;
  return [
    '--set',
    `database.mysql.host=${db.hostname},database.mysql.port=${db.port || 3306}`,
    '--set',
    `database.mysql.username=${decodeURIComponent(db.username)},database.mysql.database=${fresh.database}`,
    '--set',
    `storage.s3.endpoint=${s3.endpoint},storage.s3.bucket=${fresh.bucket},storage.s3.region=${s3.region}`,
    // the S3 test server takes 5 MiB parts: keep memory small for two pods
    '--set',
    'storage.s3.partSize=5MiB',
  ];
}

/** Runs the release's migration Job (when it has one) to completion. */
async function runMigrationJob(release: RenderedRelease, dir: string): Promise<string[]> {
  if (!release.find('Job')) return [];
  const job = await runToCompletion(await release.startPod('Job', path.join(dir, 'job')));
  if (job.code !== 0) throw new Error(`migration Job failed (${job.code}): ${job.out}`);
  const line = job.out.split('\n').find((l) => l.includes('migrations applied'));
  return JSON.parse(line!).applied as string[];
}

async function startPods(release: RenderedRelease, dir: string, n: number) {
  const pods: RehearsedPod[] = [];
  for (let i = 0; i < n; i++)
    pods.push(await release.startPod('Deployment', path.join(dir, `pod-${i}`)));
  await Promise.all(pods.map((p) => p.ready()));
  return pods;
}

/** The base URL's challenge, a token from its realm, and a push: all through the ingress. */
async function pushThroughIngress(ingressUrl: string, baseUrl: string, image: string) {
  const challenge = await fetch(`${ingressUrl}/v2/`);
  expect(challenge.status).toBe(401);
  const realm = /realm="([^"]+)"/.exec(challenge.headers.get('www-authenticate') ?? '')![1];
  // the realm is the URL the chart computed: a client would go there (DNS → the ingress)
  expect(realm).toBe(`${baseUrl}/v2/token`);
  const tokenRes = await request(ingressUrl)
    .get(new URL(realm).pathname)
    .query({ service: 'container_registry', scope: `repository:${image}:pull,push` })
    .set('Authorization', basic(ADMIN))
    .expect(200);
  const token = tokenRes.body.token as string;
  const layer = randomBytes(64 * 1024);
  const pushed = await pushImage(ingressUrl, image, token, 'v1', [layer]);
  return { token, pushed, layer };
}

async function pullFrom(url: string, image: string, token: string, layer: Buffer) {
  const manifest = await fetch(`${url}/v2/${image}/manifests/v1`, {
    headers: { ...bearer(token), Accept: 'application/vnd.oci.image.manifest.v1+json' },
  });
  expect(manifest.status).toBe(200);
  const digest = ((await manifest.json()) as { layers: { digest: string }[] }).layers[0].digest;
  expect(digest).toBe(sha256(layer));
  const blob = await fetch(`${url}/v2/${image}/blobs/${digest}`, { headers: bearer(token) });
  expect(blob.status).toBe(200);
  expect(sha256(Buffer.from(await blob.arrayBuffer()))).toBe(digest);
}

function runScript(
  script: string,
  env: Record<string, string>,
): Promise<{ status: number; stdout: string }> {
  return new Promise((resolve) =>
    execFile(process.execPath, ['-e', script], { env, encoding: 'utf8' }, (err, stdout) =>
      resolve({ status: err ? Number(err.code ?? 1) : 0, stdout }),
    ),
  );
}

async function stopAll(pods: RehearsedPod[]) {
  await Promise.all(pods.map((p) => p.server.stop()));
}

describeIf(
  !!helm.bin && serverBuilt() && MYSQL_S3.available,
  `${helm.missing || 'helm'}, the built server (npm run build) and ${MYSQL_S3.missing}`,
  'helm chart rehearsals on MariaDB + S3',
  () => {
    jest.setTimeout(240_000);
    let work: string;
    beforeAll(() => (work = mkdtempSync(path.join(os.tmpdir(), 'wharf-helm-rehearsal-'))));
    afterAll(() => rmSync(work, { recursive: true, force: true }));

    it('installs with the production values: the migration Job, then two replicas serving /readyz and a push/pull at the computed URL', async () => {
      const fresh = await freshBackends();
      const dir = path.join(work, 'install');
      const pods: RehearsedPod[] = [];
      let ingress: { url: string; close: () => void } | undefined;
      try {
        const r = render(CHART, [
          '-f',
          path.join(CHART, 'ci/production-values.yaml'),
          ...servicesValues(fresh),
        ]);
        expect(r.code).toBe(0);
        const release = new RenderedRelease(r.objects, clusterSecrets());
        // a fresh database: the Job applies every migration
        expect((await runMigrationJob(release, dir)).length).toBeGreaterThan(0);
        pods.push(...(await startPods(release, dir, 2)));
        for (const pod of pods) {
          expect(await pod.probe('startupProbe')).toBe(200);
          expect(await pod.probe('livenessProbe')).toBe(200);
          expect(await pod.probe('readinessProbe')).toBe(200);
          // metrics on their own port, not on the one the ingress routes to
          expect((await fetch(`${pod.url('metrics')}/metrics`)).status).toBe(200);
          expect((await fetch(`${pod.url('http')}/metrics`)).status).toBe(404);
        }
        ingress = await release.startIngress(pods);
        for (const p of ['/readyz', '/metrics'])
          expect((await fetch(`${ingress.url}${p}`)).status).toBe(404);
        const baseUrl = release.container('Deployment').env.REGISTRY_BASE_URL;
        expect(baseUrl).toBe('https://registry.example.com');
        const { token, layer } = await pushThroughIngress(ingress.url, baseUrl, 'admin/app');
        // both replicas serve what went through either
        for (const pod of pods) await pullFrom(pod.url(), 'admin/app', token, layer);
        // the helm test pod's script, against these pods (the Service's names are cluster DNS)
        const test = release.find('Pod')!.spec.containers[0];
        // asynchronously: the ingress emulation runs in this process
        const script = await runScript(test.args[0], {
          PATH: process.env.PATH!,
          WHARF_URL: ingress.url,
          WHARF_METRICS_URL: pods[0].url('metrics'),
          WHARF_BASE_URL: test.env.find((e: K8sObject) => e.name === 'WHARF_BASE_URL').value,
        });
        expect(script.stdout).not.toContain('FAIL');
        expect(script.status).toBe(0);
      } finally {
        ingress?.close();
        await stopAll(pods);
        await fresh.dispose();
      }
    });

    it('runs S3 on an IAM role: no key in the release, credentials from the environment’s credentials endpoint', async () => {
      const fresh = await freshBackends();
      const dir = path.join(work, 'iam');
      const s3 = s3TestSettings()!;
      // What EKS Pod Identity / ECS put in the pod: a credentials endpoint (here a local one
      // handing out the test server's keys) named by AWS_CONTAINER_CREDENTIALS_FULL_URI.
      let served = 0;
      const endpoint = http.createServer((req, res) => {
        served++;
        res.setHeader('Content-Type', 'application/json');
        res.end(
          JSON.stringify({
            Code: 'Success',
            AccessKeyID: s3.accessKey,
            SecretAccessKey: s3.secretKey,
            Token: '',
            Expiration: new Date(Date.now() + 3600_000).toISOString(),
          }),
        );
      });
      await new Promise<void>((resolve) => endpoint.listen(0, '127.0.0.1', resolve));
      const credentialsUri = `http://127.0.0.1:${(endpoint.address() as AddressInfo).port}/v2/credentials`;
      const pods: RehearsedPod[] = [];
      try {
        const r = render(CHART, [
          '-f',
          path.join(CHART, 'ci/production-values.yaml'),
          ...servicesValues(fresh),
          '--set',
          'storage.s3.iam=true,storage.s3.existingSecret=',
          '--set',
          'extraEnv[0].name=AWS_CONTAINER_CREDENTIALS_FULL_URI',
          '--set',
          `extraEnv[0].value=${credentialsUri}`,
        ]);
        expect(r.code).toBe(0);
        const release = new RenderedRelease(r.objects, clusterSecrets());
        const env = release.container('Deployment').env;
        expect(env).not.toHaveProperty('REGISTRY_S3_ACCESS_KEY');
        expect(env).not.toHaveProperty('REGISTRY_S3_SECRET_KEY');
        await runMigrationJob(release, dir);
        pods.push(...(await startPods(release, dir, 1)));
        const ingress = await release.startIngress(pods);
        try {
          const { token, layer } = await pushThroughIngress(
            ingress.url,
            env.REGISTRY_BASE_URL,
            'admin/iam',
          );
          await pullFrom(pods[0].url(), 'admin/iam', token, layer);
        } finally {
          ingress.close();
        }
        expect(served).toBeGreaterThan(0);
      } finally {
        await stopAll(pods);
        endpoint.close();
        await fresh.dispose();
      }
    });

    it('hands MySQL TLS and its CA file from a Secret to the database driver (the test MariaDB has no TLS: refused)', async () => {
      const fresh = await freshBackends();
      try {
        const r = render(CHART, [
          '-f',
          path.join(CHART, 'ci/production-values.yaml'),
          ...servicesValues(fresh),
          '--set',
          'database.mysql.tls.enabled=true,database.mysql.tls.caSecret=db-ca',
        ]);
        expect(r.code).toBe(0);
        const ca =
          '-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIUZ3E=\n-----END CERTIFICATE-----\n';
        const release = new RenderedRelease(r.objects, {
          ...clusterSecrets(),
          'db-ca': { 'ca.crt': ca },
        });
        const job = await runToCompletion(
          await release.startPod('Job', path.join(work, 'tls', 'job')),
        );
        expect(job.code).not.toBe(0);
        // the CA file was read (no REGISTRY_DB_TLS_CA complaint) and mysql2 asked for TLS
        expect(job.out).not.toMatch(/REGISTRY_DB_TLS_CA/);
        expect(job.out).toMatch(/does not support secure conn/i);
      } finally {
        await fresh.dispose();
      }
    });

    it('upgrades from the previous chart version’s values and rolls back, losing no configuration or data', async () => {
      const previous = previousChart(work);
      const fresh = await freshBackends();
      const dir = path.join(work, 'upgrade');
      // The operator's values, written for the previous chart and kept for this one.
      const operator = path.join(work, 'operator-values.yaml');
      writeFileSync(
        operator,
        [
          'database: {type: mysql, mysql: {existingSecret: wharf-db}}',
          'storage: {type: s3, s3: {existingSecret: wharf-s3}}',
          'secret: {existingSecret: wharf-signing}',
          'admin: {username: admin, existingSecret: wharf-admin}',
          'replicaCount: 2',
          'registry: {sizeLimits: {npm: 200MiB}, logLevel: warn}',
          'ingress:',
          '  enabled: true',
          '  hosts: [{host: registry.example.com, paths: [{path: /, pathType: Prefix}]}]',
          '  tls: [{secretName: registry-tls, hosts: [registry.example.com]}]',
          '',
        ].join('\n'),
      );
      const values = ['-f', operator, ...servicesValues(fresh)];
      const secrets = clusterSecrets();
      let pods: RehearsedPod[] = [];
      try {
        // 1. the previous release
        const before = render(previous.chart, values);
        expect(before.code).toBe(0);
        const old = new RenderedRelease(before.objects, secrets);
        await runMigrationJob(old, path.join(dir, 'v1'));
        pods = await startPods(old, path.join(dir, 'v1'), 2);
        const oldEnv = old.container('Deployment').env;
        let ingress = await old.startIngress(pods);
        const first = await pushThroughIngress(
          ingress.url,
          oldEnv.REGISTRY_BASE_URL,
          'admin/before',
        );
        ingress.close();
        await stopAll(pods);

        // 2. helm upgrade --reuse-values: the previous chart's defaults come along as values
        const upgraded = render(CHART, ['-f', previous.values, ...values]);
        expect(upgraded.code).toBe(0);
        // …and the same as a plain `helm upgrade -f operator-values.yaml`
        const plain = render(CHART, values);
        const next = new RenderedRelease(upgraded.objects, secrets);
        const newEnv = next.container('Deployment').env;
        expect(new RenderedRelease(plain.objects, secrets).container('Deployment').env).toEqual(
          newEnv,
        );
        // every setting survives; the differences are the intended ones
        const changed = Object.keys({ ...oldEnv, ...newEnv }).filter(
          (k) => oldEnv[k] !== newEnv[k],
        );
        expect(changed.sort()).toEqual(['REGISTRY_METRICS_PORT', 'REGISTRY_MIGRATE_ON_START']);
        expect(newEnv.REGISTRY_MIGRATE_ON_START).toBe('true');
        // the new configuration is a release resource, so a rollback would restore it
        const configName =
          next.get('Deployment').spec.template.spec.containers[0].envFrom[0].configMapRef.name;
        expect(
          next.find('ConfigMap', configName)!.metadata.annotations?.['helm.sh/hook'],
        ).toBeUndefined();
        await runMigrationJob(next, path.join(dir, 'v2'));
        pods = await startPods(next, path.join(dir, 'v2'), 2);
        ingress = await next.startIngress(pods);
        for (const pod of pods) await pullFrom(pod.url(), 'admin/before', first.token, first.layer);
        const second = await pushThroughIngress(
          ingress.url,
          newEnv.REGISTRY_BASE_URL,
          'admin/after',
        );
        ingress.close();
        await stopAll(pods);

        // 3. helm rollback: the previous manifests again (no pre-upgrade hook runs)
        const rolledBack = new RenderedRelease(render(previous.chart, values).objects, secrets);
        expect(rolledBack.container('Deployment').env).toEqual(oldEnv);
        pods = await startPods(rolledBack, path.join(dir, 'v1-again'), 2);
        for (const pod of pods) {
          await pullFrom(pod.url(), 'admin/before', first.token, first.layer);
          await pullFrom(pod.url(), 'admin/after', second.token, second.layer);
        }
      } finally {
        await stopAll(pods);
        await fresh.dispose();
      }
    });

    it('refuses, on upgrade, previous values whose connections exceed the database, naming the values to set', () => {
      const previous = previousChart(work);
      const oldProduction = path.join(work, 'old-production-values.yaml');
      writeFileSync(
        oldProduction,
        execFileSync('git', ['show', `${previous.commit}:helm/wharf/ci/production-values.yaml`], {
          cwd: REPO,
          encoding: 'utf8',
        }),
      );
      const refused = render(CHART, ['-f', previous.values, '-f', oldProduction]);
      expect(refused.code).not.toBe(0);
      expect(refused.out).toContain('exceeds database.mysql.maxConnections (151)');
      const declared = render(CHART, [
        '-f',
        previous.values,
        '-f',
        oldProduction,
        '--set',
        'database.mysql.maxConnections=500',
      ]);
      expect(declared.code).toBe(0);
    });
  },
);

/**
 * The chart as of its previous version: the parent of the newest commit that changed
 * Chart.yaml's version (or HEAD, while the version change is not committed yet).
 */
function previousChart(work: string): { commit: string; chart: string; values: string } {
  const git = (...args: string[]) => execFileSync('git', args, { cwd: REPO, encoding: 'utf8' });
  const versionAt = (rev: string) =>
    /^version:\s*(\S+)/m.exec(git('show', `${rev}:helm/wharf/Chart.yaml`))![1];
  const current = /^version:\s*(\S+)/m.exec(
    readFileSync(path.join(CHART, 'Chart.yaml'), 'utf8'),
  )![1];
  let commit = 'HEAD';
  if (versionAt('HEAD') === current) {
    const changes = git('log', '--format=%H', '--', 'helm/wharf/Chart.yaml').trim().split('\n');
    const change = changes.find((c) => versionAt(`${c}^`) !== current);
    if (!change) throw new Error(`no earlier chart version than ${current} in the history`);
    commit = `${change}^`;
  }
  commit = git('rev-parse', commit).trim();
  const dir = path.join(work, `chart-${commit.slice(0, 12)}`);
  mkdirSync(dir, { recursive: true });
  execFileSync('sh', ['-c', `git archive ${commit} helm/wharf | tar -x -C "${dir}"`], {
    cwd: REPO,
  });
  const values = path.join(dir, 'previous-values.yaml');
  writeFileSync(values, git('show', `${commit}:helm/wharf/values.yaml`));
  return { commit, chart: path.join(dir, 'helm/wharf'), values };
}
