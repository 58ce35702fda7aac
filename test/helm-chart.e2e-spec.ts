import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { describeIf } from '@wharf/packages-core/testing/test-env';
import { findHelm } from './support/clients/helm';

/** The Helm chart, checked with the real helm (3.17) and the Kubernetes schemas. */
const CHART = path.resolve(__dirname, '../helm/wharf');
const CI = path.join(CHART, 'ci');
const helm = findHelm();

function run(args: string[], input?: string) {
  const res = spawnSync(
    args[0] === 'node' ? process.execPath : helm.bin!,
    args[0] === 'node' ? args.slice(1) : args,
    {
      input,
      encoding: 'utf8',
      timeout: 60_000,
    },
  );
  return { code: res.status, out: `${res.stdout}${res.stderr}` };
}

const template = (...values: string[]) =>
  run(['template', 'wharf', CHART, ...values.flatMap((v) => ['-f', path.join(CI, v)])]);
const objects = (yaml: string) =>
  parseAllDocuments(yaml)
    .map((d) => d.toJSON())
    .filter(Boolean);

describeIf(!!helm.bin, helm.missing, 'helm chart helm/wharf', () => {
  it('passes helm lint --strict with the default and the production values', () => {
    expect(run(['lint', '--strict', CHART])).toMatchObject({ code: 0 });
    expect(
      run(['lint', '--strict', CHART, '-f', path.join(CI, 'production-values.yaml')]),
    ).toMatchObject({ code: 0 });
  });

  it('renders the embedded default: one pod on a volume, migrating at start, every object schema-valid', () => {
    const rendered = template();
    expect(rendered.code).toBe(0);
    const objs = objects(rendered.out);
    expect(objs.map((o) => o.kind).sort()).toEqual([
      'ConfigMap',
      'Deployment',
      'PersistentVolumeClaim',
      'Service',
      'ServiceAccount',
    ]);
    const deployment = objs.find((o) => o.kind === 'Deployment');
    expect(deployment.spec.replicas).toBe(1);
    expect(deployment.spec.strategy.type).toBe('Recreate');
    const container = deployment.spec.template.spec.containers[0];
    expect(container.readinessProbe.httpGet.path).toBe('/readyz');
    expect(container.livenessProbe.httpGet.path).toBe('/healthz');
    expect(container.securityContext).toMatchObject({
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
    });
    expect(deployment.spec.template.spec.securityContext.runAsNonRoot).toBe(true);
    expect(objs.find((o) => o.kind === 'ConfigMap').data).toMatchObject({
      REGISTRY_STORAGE: 'fs',
      REGISTRY_MIGRATE_ON_START: 'true',
    });
    const validated = run(['node', path.join(CI, 'validate-manifests.mjs')], rendered.out);
    expect(validated.out).toContain('5 objects, 0 invalid');
    expect(validated.code).toBe(0);
  });

  it('renders production: MySQL + S3, 3+ replicas rolling with maxUnavailable 0, ingress for large uploads, migration hook, HPA, PDB, ServiceMonitor', () => {
    const rendered = template('production-values.yaml');
    expect(rendered.code).toBe(0);
    const objs = objects(rendered.out);
    const byKind = Object.fromEntries(objs.map((o) => [o.kind, o]));
    expect(Object.keys(byKind).sort()).toEqual([
      'ConfigMap',
      'Deployment',
      'HorizontalPodAutoscaler',
      'Ingress',
      'Job',
      'PodDisruptionBudget',
      'Service',
      'ServiceAccount',
      'ServiceMonitor',
    ]);
    expect(byKind.Deployment.spec.strategy).toEqual({
      type: 'RollingUpdate',
      rollingUpdate: { maxUnavailable: 0, maxSurge: 1 },
    });
    expect(byKind.HorizontalPodAutoscaler.spec).toMatchObject({ minReplicas: 3, maxReplicas: 10 });
    expect(byKind.Ingress.metadata.annotations).toMatchObject({
      'nginx.ingress.kubernetes.io/proxy-body-size': '0',
      'nginx.ingress.kubernetes.io/proxy-request-buffering': 'off',
    });
    expect(byKind.Job.metadata.annotations['helm.sh/hook']).toBe('pre-install,pre-upgrade');
    expect(byKind.Job.spec.template.spec.containers[0].args).toEqual(['migrate']);
    expect(byKind.ConfigMap.data).toMatchObject({
      REGISTRY_STORAGE: 's3',
      REGISTRY_MIGRATE_ON_START: 'false',
      REGISTRY_BASE_URL: 'https://registry.example.com',
      REGISTRY_LIMIT_SIZE_NPM: '200MiB',
      REGISTRY_S3_BUCKET: 'wharf-packages',
    });
    // secrets come from the operator's existing Secrets, never from values in plain text
    const env = byKind.Deployment.spec.template.spec.containers[0].env;
    expect(
      env.find((e: { name: string }) => e.name === 'REGISTRY_DB_PASSWORD').valueFrom.secretKeyRef
        .name,
    ).toBe('wharf-db');
    expect(
      env.find((e: { name: string }) => e.name === 'REGISTRY_S3_SECRET_KEY').valueFrom.secretKeyRef
        .name,
    ).toBe('wharf-s3');
    const validated = run(['node', path.join(CI, 'validate-manifests.mjs')], rendered.out);
    expect(validated.out).toContain('9 objects, 0 invalid');
  });

  it('refuses several replicas on the embedded database', () => {
    const rendered = template('refused-embedded-replicas.yaml');
    expect(rendered.code).not.toBe(0);
    expect(rendered.out).toContain('database.type=sqlite (embedded) allows exactly one replica');
  });

  it('refuses a value of the wrong type through values.schema.json', () => {
    const rendered = template('refused-wrong-type.yaml');
    expect(rendered.code).not.toBe(0);
    expect(rendered.out).toMatch(/replicaCount: Invalid type. Expected: integer, given: string/);
  });
});
