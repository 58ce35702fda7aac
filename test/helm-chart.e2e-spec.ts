import { spawnSync } from 'node:child_process';
import { copyFileSync, cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describeIf } from '@wharf/packages-core/testing/test-env';
import { findHelm } from './support/clients/helm';
import { isHook, K8sObject, render, RenderedRelease } from './support/clients/helm-release';

/**
 * The Helm chart, rendered by the real helm (3.17) and read as a cluster would: every
 * object checked against the Kubernetes schemas (duplicate YAML keys are errors), every
 * impossible combination refused at render time with the value to change.
 */
const CHART = path.resolve(__dirname, '../helm/wharf');
const CI = path.join(CHART, 'ci');
const PRODUCTION = ['-f', path.join(CI, 'production-values.yaml')];
const PROMETHEUS = ['--api-versions', 'monitoring.coreos.com/v1'];
const helm = findHelm();

function helmRun(args: string[]) {
  const res = spawnSync(helm.bin!, args, { encoding: 'utf8', timeout: 60_000 });
  return { code: res.status, out: `${res.stdout}${res.stderr}` };
}

function validate(objects: K8sObject[] | string): { code: number | null; out: string } {
  const yaml =
    typeof objects === 'string' ? objects : objects.map((o) => JSON.stringify(o)).join('\n---\n');
  const res = spawnSync(process.execPath, [path.join(CI, 'validate-manifests.mjs')], {
    input: yaml,
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { code: res.status, out: `${res.stdout}${res.stderr}` };
}

/** Renders and returns the objects; fails the test with helm's message when refused. */
function rendered(...args: string[]): K8sObject[] {
  const r = render(CHART, args);
  if (r.code !== 0) throw new Error(r.out);
  return r.objects;
}

const refusal = (...args: string[]) => {
  const r = render(CHART, args);
  expect(r.code).not.toBe(0);
  return r.out;
};

const byKind = (objs: K8sObject[], kind: string, hook = false) =>
  objs.filter((o) => o.kind === kind && isHook(o) === hook);
const one = (objs: K8sObject[], kind: string, hook = false) => {
  const found = byKind(objs, kind, hook);
  expect(found).toHaveLength(1);
  return found[0];
};
const serverContainer = (objs: K8sObject[]) =>
  one(objs, 'Deployment').spec.template.spec.containers[0];
const envNamed = (container: K8sObject, name: string) =>
  container.env?.find((e: K8sObject) => e.name === name);
const configOf = (objs: K8sObject[]) => one(objs, 'ConfigMap').data;

const MYSQL_S3 = [
  '--set',
  'database.type=mysql,database.mysql.host=db,database.mysql.password=db-password',
  '--set',
  'storage.type=s3,storage.s3.endpoint=http://minio:9000,storage.s3.accessKey=ak,storage.s3.secretKey=sk',
];

describeIf(!!helm.bin, helm.missing, 'helm chart helm/wharf: rendering', () => {
  it('passes helm lint --strict with the default and the production values', () => {
    expect(helmRun(['lint', '--strict', CHART])).toMatchObject({ code: 0 });
    expect(helmRun(['lint', '--strict', CHART, ...PRODUCTION])).toMatchObject({ code: 0 });
  });

  it('renders the embedded default: one pod on a volume, every object schema-valid', () => {
    const objs = rendered();
    expect(objs.map((o) => o.kind).sort()).toEqual([
      'ConfigMap',
      'Deployment',
      'PersistentVolumeClaim',
      'Pod', // the helm test pod, a hook
      'Service',
      'ServiceAccount',
    ]);
    const deployment = one(objs, 'Deployment');
    expect(deployment.spec.replicas).toBe(1);
    expect(deployment.spec.strategy.type).toBe('Recreate');
    const container = serverContainer(objs);
    expect(container.securityContext).toMatchObject({
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
    });
    expect(deployment.spec.template.spec.securityContext).toMatchObject({
      runAsNonRoot: true,
      // the blob volume is not re-chowned at every start
      fsGroupChangePolicy: 'OnRootMismatch',
    });
    expect(configOf(objs)).toMatchObject({
      REGISTRY_STORAGE: 'fs',
      REGISTRY_MIGRATE_ON_START: 'true',
    });
    const validated = validate(objs);
    expect(validated.out).toContain('6 objects, 0 invalid');
    expect(validated.code).toBe(0);
  });

  it('renders production: MySQL + S3, rolling with maxUnavailable 0, every object schema-valid and no duplicate key', () => {
    const r = render(CHART, [...PRODUCTION, ...PROMETHEUS]);
    expect(r.code).toBe(0);
    const kinds = r.objects.map((o) => `${o.kind}${isHook(o) ? ' (hook)' : ''}`).sort();
    expect(kinds).toEqual([
      'ConfigMap',
      'ConfigMap (hook)',
      'Deployment',
      'HorizontalPodAutoscaler',
      'Ingress',
      'Job (hook)',
      'Pod (hook)',
      'PodDisruptionBudget',
      'Service',
      'ServiceAccount',
      'ServiceMonitor',
    ]);
    expect(one(r.objects, 'Deployment').spec.strategy).toEqual({
      type: 'RollingUpdate',
      rollingUpdate: { maxUnavailable: 0, maxSurge: 1 },
    });
    expect(configOf(r.objects)).toMatchObject({
      REGISTRY_STORAGE: 's3',
      REGISTRY_BASE_URL: 'https://registry.example.com',
      REGISTRY_LIMIT_SIZE_NPM: '200MiB',
      REGISTRY_S3_BUCKET: 'wharf-packages',
    });
    // secrets come from the operator's existing Secrets, never from values in plain text
    const container = serverContainer(r.objects);
    expect(envNamed(container, 'REGISTRY_DB_PASSWORD').valueFrom.secretKeyRef.name).toBe(
      'wharf-db',
    );
    expect(envNamed(container, 'REGISTRY_S3_SECRET_KEY').valueFrom.secretKeyRef.name).toBe(
      'wharf-s3',
    );
    // the raw text, so that a duplicate key is seen (JSON would have merged it)
    const validated = validate(r.out.slice(r.out.indexOf('---')));
    expect(validated.out).toContain('11 objects, 0 invalid');
    expect(validated.code).toBe(0);
  });

  it('never makes the configuration a hook: helm tracks it, rollback restores it, uninstall removes it, --no-hooks keeps it', () => {
    for (const objs of [
      rendered(...MYSQL_S3, '--set', 'migrations.job=true'),
      rendered(...PRODUCTION),
    ]) {
      const container = serverContainer(objs);
      const configMaps = container.envFrom
        .map((f: K8sObject) => f.configMapRef?.name)
        .filter(Boolean);
      const secrets = container.env
        .map((e: K8sObject) => e.valueFrom?.secretKeyRef?.name)
        .filter(Boolean);
      expect(configMaps).toHaveLength(1);
      for (const name of configMaps) {
        const configMap = objs.find((o) => o.kind === 'ConfigMap' && o.metadata.name === name);
        expect(configMap && !isHook(configMap)).toBe(true);
      }
      for (const name of secrets) {
        const chartSecret = objs.find((o) => o.kind === 'Secret' && o.metadata.name === name);
        if (chartSecret) expect(isHook(chartSecret)).toBe(false);
      }
    }
    // the chart-managed credentials: one plain Secret, and the migration hook's own copy
    const objs = rendered(...MYSQL_S3, '--set', 'migrations.job=true');
    expect(byKind(objs, 'Secret')).toHaveLength(1);
    const hookSecret = one(objs, 'Secret', true);
    expect(hookSecret.metadata.annotations['helm.sh/hook-delete-policy']).toBe(
      'before-hook-creation,hook-succeeded',
    );
    const job = one(objs, 'Job', true);
    const jobRefs = job.spec.template.spec.containers[0].env.map(
      (e: K8sObject) => e.valueFrom?.secretKeyRef?.name,
    );
    expect(new Set(jobRefs)).toEqual(new Set([hookSecret.metadata.name]));
    expect(job.spec.template.spec.containers[0].envFrom[0].configMapRef.name).toBe(
      one(objs, 'ConfigMap', true).metadata.name,
    );
    // switching database.type keeps one ConfigMap the pods need
    for (const args of [[], MYSQL_S3])
      expect(byKind(rendered(...args), 'ConfigMap')).toHaveLength(1);
  });

  it('gives the migration Job its own labels and the server pods’ scheduling, resources and annotations', () => {
    const objs = rendered(
      ...PRODUCTION,
      '--set',
      'nodeSelector.pool=registry,priorityClassName=high,podAnnotations.team=packages',
      '--set-string',
      'migrations.podAnnotations.sidecar\\.istio\\.io/inject=false',
      '--set',
      'tolerations[0].key=dedicated,tolerations[0].operator=Exists',
    );
    const deployment = one(objs, 'Deployment');
    const job = one(objs, 'Job', true);
    const selector = deployment.spec.selector.matchLabels;
    const jobLabels = job.spec.template.metadata.labels;
    // the HPA, the PDB and the Service select with the Deployment's selector: not the Job's pod
    expect(Object.entries(selector).every(([k, v]) => jobLabels[k] === v)).toBe(false);
    expect(one(objs, 'PodDisruptionBudget').spec.selector.matchLabels).toEqual(selector);
    const jobPod = job.spec.template.spec;
    expect(jobPod.nodeSelector).toEqual({ pool: 'registry' });
    expect(jobPod.priorityClassName).toBe('high');
    expect(jobPod.tolerations).toEqual(deployment.spec.template.spec.tolerations);
    expect(jobPod.containers[0].resources.requests.cpu).toBe('100m');
    expect(job.spec.template.metadata.annotations).toEqual({
      team: 'packages',
      'sidecar.istio.io/inject': 'false',
    });
  });

  it('migrates on start under the lock in every mode, and runs the Job only when asked', () => {
    for (const args of [[], MYSQL_S3, [...MYSQL_S3, '--set', 'migrations.job=true']])
      expect(configOf(rendered(...args)).REGISTRY_MIGRATE_ON_START).toBe('true');
    expect(byKind(rendered(...MYSQL_S3), 'Job', true)).toHaveLength(0);
  });

  it('has a startup probe covering the migration lock, and probe timings as values', () => {
    const c = serverContainer(
      rendered('--set', 'startupProbe.failureThreshold=120,livenessProbe.periodSeconds=20'),
    );
    expect(c.startupProbe).toEqual({
      httpGet: { path: '/healthz', port: 'http' },
      periodSeconds: 5,
      timeoutSeconds: 3,
      failureThreshold: 120,
    });
    expect(c.livenessProbe).toMatchObject({
      httpGet: { path: '/healthz', port: 'http' },
      periodSeconds: 20,
    });
    expect(c.readinessProbe).toMatchObject({ httpGet: { path: '/readyz', port: 'metrics' } });
    expect(
      serverContainer(rendered('--set', 'startupProbe.enabled=false')).startupProbe,
    ).toBeUndefined();
    // the default start budget outlasts the migration lock's 300 s wait
    const d = serverContainer(rendered()).startupProbe;
    expect(d.periodSeconds * d.failureThreshold).toBeGreaterThan(300);
  });

  it('takes ingress annotations as a map: an override replaces the default key, no duplicate', () => {
    const r = render(CHART, [
      ...PRODUCTION,
      '--set',
      'ingress.annotations.nginx\\.ingress\\.kubernetes\\.io/proxy-body-size=10g',
      '--set',
      'ingress.annotations.nginx\\.ingress\\.kubernetes\\.io/proxy-buffering=null',
    ]);
    expect(r.code).toBe(0);
    const ingressText = r.out.slice(r.out.indexOf('kind: Ingress'));
    expect(ingressText.match(/proxy-body-size/g)).toHaveLength(1);
    const annotations = one(r.objects, 'Ingress').metadata.annotations;
    expect(annotations).toMatchObject({
      'nginx.ingress.kubernetes.io/proxy-body-size': '10g',
      'nginx.ingress.kubernetes.io/proxy-request-buffering': 'off',
      'nginx.ingress.kubernetes.io/proxy-read-timeout': '1800',
    });
    expect(annotations).not.toHaveProperty(['nginx.ingress.kubernetes.io/proxy-buffering']);
    expect(validate(r.out.slice(r.out.indexOf('---'))).code).toBe(0);
  });

  it('treats a duplicate YAML key in a manifest as an error', () => {
    const duplicated = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  name: b\n';
    const validated = validate(duplicated);
    expect(validated.code).toBe(1);
    expect(validated.out).toMatch(/DUPLICATE_KEY/);
  });

  it('derives terminationGracePeriodSeconds from registry.shutdownTimeout (preStop + timeout + 10 s)', () => {
    const grace = (...args: string[]) =>
      one(rendered(...args), 'Deployment').spec.template.spec.terminationGracePeriodSeconds;
    expect(grace()).toBe(5 + 30 + 10);
    expect(grace('--set', 'registry.shutdownTimeout=15m')).toBe(5 + 900 + 10);
    expect(grace('--set', 'registry.shutdownTimeout=2h,preStopSleepSeconds=10')).toBe(
      10 + 7200 + 10,
    );
    expect(
      configOf(rendered('--set', 'registry.shutdownTimeout=15m')).REGISTRY_SHUTDOWN_TIMEOUT,
    ).toBe('15m');
    expect(grace('--set', 'terminationGracePeriodSeconds=120')).toBe(120);
    expect(
      refusal('--set', 'registry.shutdownTimeout=5m,terminationGracePeriodSeconds=60'),
    ).toContain(
      'terminationGracePeriodSeconds (60) is shorter than preStopSleepSeconds + registry.shutdownTimeout (305 s)',
    );
  });

  it('computes one base URL for the server and NOTES: baseUrl, else the ingress host, else the port-forward', () => {
    // NOTES.txt as helm install prints it: rendered through tpl in a copy of the chart
    // (helm install --dry-run wants a cluster; helm template skips NOTES)
    const copy = mkdtempSync(path.join(os.tmpdir(), 'wharf-notes-'));
    cpSync(CHART, copy, { recursive: true });
    copyFileSync(path.join(CHART, 'templates/NOTES.txt'), path.join(copy, 'notes.txt'));
    writeFileSync(
      path.join(copy, 'templates/notes-as-yaml.yaml'),
      'notes: {{ tpl (.Files.Get "notes.txt") . | toJson }}\n',
    );
    const notes = (...args: string[]): string => {
      const r = render(copy, [...args, '--show-only', 'templates/notes-as-yaml.yaml']);
      if (r.code !== 0) throw new Error(r.out);
      return r.objects[0].notes;
    };
    expect(configOf(rendered()).REGISTRY_BASE_URL).toBe('http://localhost:8080');
    const plain = notes();
    expect(plain).toContain('port-forward --namespace default svc/wharf 8080:80');
    expect(plain).toContain('http://localhost:8080/api/packages/OWNER/npm/');

    const ingress = [
      '--set',
      'ingress.enabled=true,ingress.hosts[0].host=r.example.org,ingress.hosts[0].paths[0].path=/,ingress.hosts[0].paths[0].pathType=Prefix',
    ];
    expect(configOf(rendered(...ingress)).REGISTRY_BASE_URL).toBe('http://r.example.org');
    const tls = [
      ...ingress,
      '--set',
      'ingress.tls[0].secretName=r-tls,ingress.tls[0].hosts[0]=r.example.org',
    ];
    expect(configOf(rendered(...tls)).REGISTRY_BASE_URL).toBe('https://r.example.org');
    expect(notes(...tls)).toContain('docker login r.example.org');
    expect(notes(...tls)).not.toContain('port-forward');
    // a TLS entry for another host does not make this one https
    const otherTls = [
      ...ingress,
      '--set',
      'ingress.tls[0].secretName=x,ingress.tls[0].hosts[0]=other.example.org',
    ];
    expect(configOf(rendered(...otherTls)).REGISTRY_BASE_URL).toBe('http://r.example.org');
    const explicit = ['--set', 'baseUrl=https://pkgs.example.net/'];
    expect(configOf(rendered(...explicit)).REGISTRY_BASE_URL).toBe('https://pkgs.example.net');
    expect(notes(...explicit)).toContain('https://pkgs.example.net/api/packages/OWNER/maven');
    expect(refusal('--set', 'service.type=LoadBalancer')).toContain(
      'baseUrl is required with service.type=LoadBalancer and no ingress',
    );
  });

  it.each([
    [['--set', 'replicaCount=3'], 'database.type=sqlite (embedded) allows exactly one replica'],
    [
      [
        '--set',
        'database.type=mysql,database.mysql.host=db,database.mysql.password=x,replicaCount=2',
      ],
      'storage.type=fs allows exactly one replica',
    ],
    [
      ['--set', 'admin.username=admin'],
      'admin.password (or admin.existingSecret) is required when admin.username is set',
    ],
    [
      ['--set', 'admin.password=long-enough-password'],
      'admin.username is required when admin.password or admin.existingSecret is set',
    ],
    [
      ['--set', 'admin.username=admin,admin.password=short'],
      'admin.password must be at least 8 characters',
    ],
    [
      ['--set', 'database.type=mysql,database.mysql.host=db'],
      'database.mysql.password (or database.mysql.existingSecret) is required with database.type=mysql',
    ],
    [
      ['--set', 'database.type=mysql,database.mysql.password=x'],
      'database.mysql.host is required with database.type=mysql',
    ],
    [
      ['--set', 'storage.type=s3,storage.s3.endpoint=http://minio:9000'],
      'storage.s3.accessKey and storage.s3.secretKey (or storage.s3.existingSecret, or storage.s3.iam=true for an IAM role) are required',
    ],
    [
      [
        '--set',
        'storage.type=s3,storage.s3.endpoint=http://minio:9000,storage.s3.iam=true,storage.s3.accessKey=ak',
      ],
      "storage.s3.iam=true takes its credentials from the pod's IAM role",
    ],
    [
      ['--set', 'storage.type=s3,storage.s3.accessKey=a,storage.s3.secretKey=b'],
      'storage.s3.endpoint is required with storage.type=s3',
    ],
    [
      ['--set', 'persistence.enabled=false'],
      'persistence.enabled=false would keep the embedded database or the blobs',
    ],
    [
      ['--set', 'podDisruptionBudget.enabled=true'],
      'podDisruptionBudget.minAvailable (1) must be below the replica count (1',
    ],
    [
      [
        ...MYSQL_S3,
        '--set',
        'podDisruptionBudget.enabled=true,podDisruptionBudget.minAvailable=100%,replicaCount=3',
      ],
      'podDisruptionBudget.minAvailable=100% never lets a pod be evicted',
    ],
    [
      [
        ...MYSQL_S3,
        '--set',
        'autoscaling.enabled=true,autoscaling.minReplicas=5,autoscaling.maxReplicas=3',
      ],
      'autoscaling.minReplicas (5) must not exceed autoscaling.maxReplicas (3)',
    ],
    [
      [...MYSQL_S3, '--set', 'autoscaling.enabled=true,resources.requests=null'],
      'resources.requests.cpu is required with autoscaling.enabled',
    ],
    [
      [...MYSQL_S3, '--set', 'replicaCount=10,database.mysql.poolSize=20'],
      'database.mysql.poolSize (20) × 11 pods (replicas or autoscaling.maxReplicas, plus one during a rollout) = 220 connections exceeds database.mysql.maxConnections (151)',
    ],
    [
      [...MYSQL_S3, '--set', 'database.mysql.tls.caSecret=db-ca'],
      'database.mysql.tls.caSecret is set but database.mysql.tls.enabled is false',
    ],
    [['--set', 'metrics.port=3000'], "metrics.port must differ from the server's port 3000"],
  ])('refuses %j: %s', (args, message) => {
    expect(refusal(...args)).toContain(message);
  });

  it.each([
    [
      ['--set', 'replicaCount=three'],
      /replicaCount: Invalid type. Expected: integer, given: string/,
    ],
    [['--set', 'replicaCont=3'], /Additional property replicaCont is not allowed/],
    [
      ['--set', 'database.mysql.pasword=x'],
      /database.mysql: Additional property pasword is not allowed/,
    ],
    [['--set', 'ingress.annotation.x=y'], /ingress: Additional property annotation is not allowed/],
    [
      ['--set', 'registry.shutdownTimeout=soon'],
      /registry.shutdownTimeout: Does not match pattern/,
    ],
    [['--set', 'podAntiAffinityPreset=always'], /podAntiAffinityPreset/],
  ])('refuses %j through the strict values.schema.json', (args, message) => {
    expect(refusal(...args)).toMatch(message);
  });

  it('takes extra volumes, mounts, env, envFrom and init containers (e.g. an internal CA) in the server and the Job', () => {
    const objs = rendered(
      ...MYSQL_S3,
      '--set',
      'migrations.job=true',
      '--set',
      'extraVolumes[0].name=company-ca,extraVolumes[0].configMap.name=company-ca',
      '--set',
      'extraVolumeMounts[0].name=company-ca,extraVolumeMounts[0].mountPath=/etc/company-ca,extraVolumeMounts[0].readOnly=true',
      '--set',
      'extraEnv[0].name=NODE_EXTRA_CA_CERTS,extraEnv[0].value=/etc/company-ca/ca.crt',
      '--set',
      'extraEnvFrom[0].secretRef.name=more-settings',
      '--set',
      'initContainers[0].name=wait,initContainers[0].image=busybox:1.36,initContainers[0].command[0]=update-ca-certificates',
    );
    for (const pod of [
      one(objs, 'Deployment').spec.template.spec,
      one(objs, 'Job', true).spec.template.spec,
    ]) {
      const c = pod.containers[0];
      expect(pod.volumes).toContainEqual({ name: 'company-ca', configMap: { name: 'company-ca' } });
      expect(c.volumeMounts).toContainEqual({
        name: 'company-ca',
        mountPath: '/etc/company-ca',
        readOnly: true,
      });
      expect(c.env).toContainEqual({
        name: 'NODE_EXTRA_CA_CERTS',
        value: '/etc/company-ca/ca.crt',
      });
      expect(c.envFrom).toContainEqual({ secretRef: { name: 'more-settings' } });
      expect(pod.initContainers[0]).toMatchObject({ name: 'wait', image: 'busybox:1.36' });
    }
    expect(validate(objs).code).toBe(0);
  });

  it('schedules: soft anti-affinity by default, hard on request, topology spread with the pods’ selector, priority class', () => {
    const spec = (...args: string[]) =>
      one(rendered(...MYSQL_S3, ...args), 'Deployment').spec.template.spec;
    const selector = one(rendered(), 'Deployment').spec.selector.matchLabels;
    expect(
      spec().affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution[0],
    ).toEqual({
      weight: 100,
      podAffinityTerm: {
        topologyKey: 'kubernetes.io/hostname',
        labelSelector: { matchLabels: selector },
      },
    });
    expect(
      spec('--set', 'podAntiAffinityPreset=hard').affinity.podAntiAffinity
        .requiredDuringSchedulingIgnoredDuringExecution,
    ).toHaveLength(1);
    expect(spec('--set', 'podAntiAffinityPreset=').affinity).toBeUndefined();
    expect(spec('--set', 'affinity.nodeAffinity.x=y').affinity).toEqual({
      nodeAffinity: { x: 'y' },
    });
    const spread = spec(
      '--set',
      'topologySpreadConstraints[0].maxSkew=1,topologySpreadConstraints[0].topologyKey=topology.kubernetes.io/zone,topologySpreadConstraints[0].whenUnsatisfiable=ScheduleAnyway',
      '--set',
      'priorityClassName=registry-critical',
    );
    expect(spread.topologySpreadConstraints).toEqual([
      {
        maxSkew: 1,
        topologyKey: 'topology.kubernetes.io/zone',
        whenUnsatisfiable: 'ScheduleAnyway',
        labelSelector: { matchLabels: selector },
      },
    ]);
    expect(spread.priorityClassName).toBe('registry-critical');
  });

  it('connects to MySQL over TLS with the CA from a Secret', () => {
    const objs = rendered(
      ...MYSQL_S3,
      '--set',
      'database.mysql.tls.enabled=true,database.mysql.tls.caSecret=db-ca',
    );
    expect(configOf(objs)).toMatchObject({
      REGISTRY_DB_TLS: 'true',
      REGISTRY_DB_TLS_CA: '/etc/wharf/db-ca/ca.crt',
    });
    const pod = one(objs, 'Deployment').spec.template.spec;
    expect(pod.volumes).toContainEqual({
      name: 'db-ca',
      secret: { secretName: 'db-ca', items: [{ key: 'ca.crt', path: 'ca.crt' }] },
    });
    expect(pod.containers[0].volumeMounts).toContainEqual({
      name: 'db-ca',
      mountPath: '/etc/wharf/db-ca',
      readOnly: true,
    });
    expect(
      configOf(
        rendered(
          ...MYSQL_S3,
          '--set',
          'database.mysql.tls.enabled=true,database.mysql.tls.verify=false',
        ),
      ),
    ).toMatchObject({ REGISTRY_DB_TLS: 'skip-verify' });
    expect(configOf(rendered(...MYSQL_S3))).not.toHaveProperty('REGISTRY_DB_TLS');
  });

  it('uses an IAM role for S3 without any key (IRSA through the service account annotation)', () => {
    const objs = rendered(
      '--set',
      'database.type=mysql,database.mysql.host=db,database.mysql.password=x',
      '--set',
      'storage.type=s3,storage.s3.endpoint=https://s3.eu-west-1.amazonaws.com,storage.s3.region=eu-west-1,storage.s3.iam=true',
      '--set',
      'serviceAccount.annotations.eks\\.amazonaws\\.com/role-arn=arn:aws:iam::111122223333:role/wharf',
    );
    const c = serverContainer(objs);
    expect(c.env.map((e: K8sObject) => e.name)).not.toContain('REGISTRY_S3_ACCESS_KEY');
    expect(Object.keys(one(objs, 'Secret').data)).toEqual(['mysql-password']);
    expect(one(objs, 'ServiceAccount').metadata.annotations).toEqual({
      'eks.amazonaws.com/role-arn': 'arn:aws:iam::111122223333:role/wharf',
    });
    expect(one(objs, 'Deployment').spec.template.spec.serviceAccountName).toBe(
      one(objs, 'ServiceAccount').metadata.name,
    );
  });

  it('renders the ServiceMonitor only where the cluster serves monitoring.coreos.com/v1, on the metrics port', () => {
    expect(byKind(rendered(...PRODUCTION), 'ServiceMonitor')).toHaveLength(0);
    const objs = rendered(...PRODUCTION, ...PROMETHEUS);
    expect(one(objs, 'ServiceMonitor').spec.endpoints).toEqual([
      { port: 'metrics', path: '/metrics', interval: '30s' },
    ]);
  });

  it('serves /metrics and /readyz on their own port, which the ingress never routes to', () => {
    const objs = rendered(...PRODUCTION);
    expect(configOf(objs)).toMatchObject({ PORT: '3000', REGISTRY_METRICS_PORT: '9090' });
    expect(serverContainer(objs).ports).toEqual([
      { name: 'http', containerPort: 3000, protocol: 'TCP' },
      { name: 'metrics', containerPort: 9090, protocol: 'TCP' },
    ]);
    expect(one(objs, 'Service').spec.ports.map((p: K8sObject) => p.name)).toEqual([
      'http',
      'metrics',
    ]);
    const backends = one(objs, 'Ingress').spec.rules.flatMap((r: K8sObject) =>
      r.http.paths.map((p: K8sObject) => p.backend.service.port),
    );
    expect(backends).toEqual([{ name: 'http' }]);
  });

  it('has a helm test pod outside the selector, checking health, readiness, the challenge realm and the closed metrics', () => {
    const objs = rendered(...PRODUCTION);
    const pod = one(objs, 'Pod', true);
    expect(pod.metadata.annotations['helm.sh/hook']).toBe('test');
    const selector = one(objs, 'Deployment').spec.selector.matchLabels;
    expect(Object.entries(selector).every(([k, v]) => pod.metadata.labels[k] === v)).toBe(false);
    const env = Object.fromEntries(
      pod.spec.containers[0].env.map((e: K8sObject) => [e.name, e.value]),
    );
    expect(env).toEqual({
      WHARF_URL: 'http://wharf:80',
      WHARF_METRICS_URL: 'http://wharf:9090',
      WHARF_BASE_URL: 'https://registry.example.com',
    });
    expect(pod.spec.containers[0].args[0]).toBe(
      readFileSync(path.join(CHART, 'files/helm-test.js'), 'utf8'),
    );
    expect(byKind(rendered('--set', 'tests.enabled=false'), 'Pod', true)).toHaveLength(0);
  });
});

describeIf(!!helm.bin, helm.missing, 'helm chart helm/wharf: the README’s first example', () => {
  const readme = readFileSync(path.join(CHART, 'README.md'), 'utf8');
  const install = readme.slice(readme.indexOf('## Install'));
  const script = /```sh\n([\s\S]*?)```/.exec(install)![1];

  /** The Secrets the example's kubectl commands create: name → keys. */
  function createdSecrets(): Record<string, Record<string, string>> {
    const secrets: Record<string, Record<string, string>> = {};
    for (const line of script.split('\n')) {
      const generic = /^kubectl create secret generic (\S+)\s+(.*)$/.exec(line);
      if (generic)
        secrets[generic[1]] = Object.fromEntries(
          [...generic[2].matchAll(/--from-literal=([\w.-]+)=/g)].map((m) => [m[1], 'x'.repeat(40)]),
        );
      const tls = /^kubectl create secret tls (\S+)/.exec(line);
      if (tls) secrets[tls[1]] = { 'tls.crt': 'cert', 'tls.key': 'key' };
    }
    return secrets;
  }

  it('creates every Secret its values make the pods and the ingress read, and renders valid objects', () => {
    const values = /<<'VALUES'\n([\s\S]*?)\nVALUES/.exec(script)![1];
    const file = path.join(
      mkdtempSync(path.join(os.tmpdir(), 'wharf-readme-')),
      'wharf-values.yaml',
    );
    writeFileSync(file, values);
    expect(script).toContain('helm install wharf ./helm/wharf -f wharf-values.yaml');
    const objs = rendered('-f', file);
    const secrets = createdSecrets();
    // resolving the server's environment fails as the kubelet would (CreateContainerConfigError)
    const env = new RenderedRelease(objs, secrets).container('Deployment').env;
    expect(env).toMatchObject({
      REGISTRY_ADMIN_USERNAME: 'admin',
      REGISTRY_BASE_URL: 'https://registry.example.com',
      REGISTRY_STORAGE: 's3',
    });
    for (const name of [
      'REGISTRY_DB_PASSWORD',
      'REGISTRY_S3_ACCESS_KEY',
      'REGISTRY_S3_SECRET_KEY',
      'REGISTRY_SECRET',
      'REGISTRY_ADMIN_PASSWORD',
    ])
      expect(env[name]).toBeDefined();
    for (const tls of one(objs, 'Ingress').spec.tls)
      expect(secrets).toHaveProperty([tls.secretName]);
    expect(validate(objs).code).toBe(0);
  });

  it('lists the prerequisites and the connection budget', () => {
    for (const needed of [
      'utf8mb4',
      'ingress controller',
      'metrics-server',
      'TLS certificate',
      'max_connections',
    ])
      expect(readme).toContain(needed);
  });
});
