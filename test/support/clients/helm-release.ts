import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { AddressInfo } from 'node:net';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { startServerProcess, ServerProcess } from '../server-process';
import { freePortBlock } from '../private-services';
import { findHelm } from './helm';

/**
 * What a cluster would do with a rendered chart, done on this machine with the built
 * server: resolve a container's environment from the rendered ConfigMaps and Secrets
 * (plus the Secrets an operator created, `clusterSecrets`), materialise its volumes as
 * directories, start its processes with the image's entrypoint and the container's
 * args, probe them as the kubelet would, and route requests as the Ingress and the
 * Service would. Two translations only, both from the pod's own namespace to this
 * machine's: a mount path becomes a directory, and a container port a free local port.
 */

const REPO = path.resolve(__dirname, '../../..');

export type K8sObject = Record<string, any>;

export function render(
  chart: string,
  args: string[],
): { code: number | null; out: string; objects: K8sObject[] } {
  const res = spawnSync(findHelm().bin!, ['template', 'wharf', chart, ...args], {
    encoding: 'utf8',
    timeout: 60_000,
  });
  const out = `${res.stdout}${res.stderr}`;
  const objects =
    res.status === 0
      ? parseAllDocuments(res.stdout)
          .map((d) => d.toJSON())
          .filter(Boolean)
      : [];
  return { code: res.status, out, objects };
}

export const isHook = (o: K8sObject) => !!o.metadata?.annotations?.['helm.sh/hook'];

/** The image's ENV and ENTRYPOINT, read from the Dockerfile's last stage. */
function imageDefaults(): { env: Record<string, string>; entrypoint: string[] } {
  const text = readFileSync(path.join(REPO, 'Dockerfile'), 'utf8').replace(/\\\n\s*/g, ' ');
  const lastStage = text.slice(text.lastIndexOf('\nFROM '));
  const env: Record<string, string> = {};
  for (const line of lastStage.split('\n').filter((l) => l.startsWith('ENV ')))
    for (const [, k, v] of line.slice(4).matchAll(/(\w+)=(\S+)/g)) env[k] = v;
  const entry = /^ENTRYPOINT (\[.*\])$/m.exec(lastStage);
  if (!entry) throw new Error('Dockerfile has no ENTRYPOINT in its last stage');
  return { env, entrypoint: JSON.parse(entry[1]) };
}

export interface ResolvedContainer {
  /** argv as the container runs it (entrypoint or command, then args) */
  argv: string[];
  /** environment as the container sees it (image ENV, envFrom, env) */
  env: Record<string, string>;
  container: K8sObject;
  podSpec: K8sObject;
}

export class RenderedRelease {
  constructor(
    readonly objects: K8sObject[],
    /** Secrets the operator created: name → key → value */
    private readonly clusterSecrets: Record<string, Record<string, string>>,
  ) {}

  find(kind: string, name?: string): K8sObject | undefined {
    return this.objects.find((o) => o.kind === kind && (!name || o.metadata.name === name));
  }

  get(kind: string, name?: string): K8sObject {
    const found = this.find(kind, name);
    if (!found) throw new Error(`no ${kind}${name ? ` ${name}` : ''} in the rendered chart`);
    return found;
  }

  /** The value of a Secret key: rendered by the chart, or created by the operator. */
  secretData(name: string, optional = false): Record<string, string> | undefined {
    const rendered = this.find('Secret', name);
    if (rendered)
      return Object.fromEntries(
        Object.entries<string>(rendered.data ?? {}).map(([k, v]) => [
          k,
          Buffer.from(v, 'base64').toString('utf8'),
        ]),
      );
    const created = this.clusterSecrets[name];
    if (!created && !optional)
      throw new Error(`CreateContainerConfigError: secret "${name}" not found`);
    return created;
  }

  configMapData(name: string, optional = false): Record<string, string> | undefined {
    const data = this.find('ConfigMap', name)?.data;
    if (!data && !optional)
      throw new Error(`CreateContainerConfigError: configmap "${name}" not found`);
    return data;
  }

  /** The environment and argv of the first container of a Deployment or Job. */
  container(kind: 'Deployment' | 'Job'): ResolvedContainer {
    const podSpec = this.get(kind).spec.template.spec;
    const container = podSpec.containers[0];
    const image = imageDefaults();
    const env: Record<string, string> = { ...image.env };
    for (const from of container.envFrom ?? []) {
      const ref = from.configMapRef ?? from.secretRef;
      const data = from.configMapRef
        ? this.configMapData(ref.name, ref.optional)
        : this.secretData(ref.name, ref.optional);
      for (const [k, v] of Object.entries(data ?? {})) env[`${from.prefix ?? ''}${k}`] = v;
    }
    for (const e of container.env ?? []) {
      const expand = (v: string) => v.replace(/\$\((\w+)\)/g, (m, n) => env[n] ?? m);
      if (e.value !== undefined) env[e.name] = expand(String(e.value));
      else if (e.valueFrom?.secretKeyRef || e.valueFrom?.configMapKeyRef) {
        const ref = e.valueFrom.secretKeyRef ?? e.valueFrom.configMapKeyRef;
        const data = e.valueFrom.secretKeyRef
          ? this.secretData(ref.name, ref.optional)
          : this.configMapData(ref.name, ref.optional);
        if (data?.[ref.key] === undefined) {
          if (ref.optional) continue;
          throw new Error(`CreateContainerConfigError: key "${ref.key}" not in ${ref.name}`);
        }
        env[e.name] = data[ref.key];
      } else throw new Error(`env ${e.name}: unsupported source ${JSON.stringify(e.valueFrom)}`);
    }
    const argv = [...(container.command ?? image.entrypoint), ...(container.args ?? [])];
    return { argv, env, container, podSpec };
  }

  /**
   * Starts one pod of a Deployment or Job in `dir`: its volumes become directories
   * (persistent volume claims shared between pods), its ports free local ports.
   */
  async startPod(kind: 'Deployment' | 'Job', dir: string): Promise<RehearsedPod> {
    const { argv, env, container, podSpec } = this.container(kind);
    const mounts: [string, string][] = [];
    for (const m of container.volumeMounts ?? []) {
      const volume = podSpec.volumes.find((v: K8sObject) => v.name === m.name);
      if (!volume) throw new Error(`volumeMount ${m.name} has no volume`);
      const local = volume.persistentVolumeClaim
        ? path.join(dir, '..', `pvc-${volume.persistentVolumeClaim.claimName}`)
        : path.join(dir, `vol-${m.name}`);
      mkdirSync(local, { recursive: true });
      const files = volume.secret
        ? this.secretData(volume.secret.secretName)
        : volume.configMap
          ? this.configMapData(volume.configMap.name)
          : undefined;
      for (const [k, v] of Object.entries(files ?? {})) {
        const item = (volume.secret ?? volume.configMap).items?.find((i: K8sObject) => i.key === k);
        if ((volume.secret ?? volume.configMap).items && !item) continue;
        writeFileSync(path.join(local, item?.path ?? k), v);
      }
      mounts.push([m.mountPath, local]);
    }
    const ports = new Map<string, number>();
    const portBase = await freePortBlock((container.ports ?? []).length || 1);
    (container.ports ?? []).forEach((p: K8sObject, i: number) =>
      ports.set(String(p.containerPort), portBase + i),
    );
    const local = (value: string) => {
      if (ports.has(value)) return String(ports.get(value));
      const mount = mounts.find(([m]) => value === m || value.startsWith(`${m}/`));
      return mount ? mount[1] + value.slice(mount[0].length) : value;
    };
    const localEnv = Object.fromEntries(Object.entries(env).map(([k, v]) => [k, local(v)]));
    if (argv[0] !== 'node' || argv[1] !== 'dist/apps/registry/main.js')
      throw new Error(`not the Wharf server: ${argv.join(' ')}`);
    const server = startServerProcess(localEnv, argv.slice(2));
    return new RehearsedPod(server, container, ports);
  }

  /**
   * The Ingress and Service in front of `pods`: a local proxy sending each request for a
   * rule's backend (Service port → targetPort → container port) to the pods in turn.
   */
  async startIngress(pods: RehearsedPod[]): Promise<{ url: string; close: () => void }> {
    const ingress = this.get('Ingress');
    const service = this.get('Service');
    const rules = ingress.spec.rules.flatMap((r: K8sObject) => r.http.paths);
    let turn = 0;
    const server = http.createServer((req, res) => {
      const rule = rules.find((p: K8sObject) =>
        p.pathType === 'Exact' ? req.url === p.path : req.url!.startsWith(p.path),
      );
      if (!rule) return res.writeHead(404).end('no ingress rule\n');
      const svcPort = service.spec.ports.find(
        (p: K8sObject) => p.name === rule.backend.service.port.name,
      );
      const pod = pods[turn++ % pods.length];
      const upstream = http.request(
        {
          host: '127.0.0.1',
          port: pod.portFor(svcPort.targetPort),
          method: req.method,
          path: req.url,
          headers: req.headers,
        },
        (up) => {
          res.writeHead(up.statusCode!, up.headers);
          up.pipe(res);
        },
      );
      upstream.on('error', (err) => res.writeHead(502).end(`${err.message}\n`));
      req.pipe(upstream);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return {
      url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      close: () => server.close(),
    };
  }
}

/** A running pod: its process, and its ports by name or number. */
export class RehearsedPod {
  constructor(
    readonly server: ServerProcess,
    private readonly container: K8sObject,
    private readonly ports: Map<string, number>,
  ) {}

  portFor(port: string | number): number {
    const numbered =
      typeof port === 'number'
        ? port
        : this.container.ports.find((p: K8sObject) => p.name === port)?.containerPort;
    const local = this.ports.get(String(numbered));
    if (!local) throw new Error(`container has no port ${port}`);
    return local;
  }

  /** GETs a probe's httpGet as the kubelet does; resolves to the status. */
  async probe(name: 'startupProbe' | 'livenessProbe' | 'readinessProbe'): Promise<number> {
    const get = this.container[name]?.httpGet;
    if (!get) throw new Error(`no ${name}`);
    const res = await fetch(`http://127.0.0.1:${this.portFor(get.port)}${get.path}`);
    await res.arrayBuffer();
    return res.status;
  }

  /** Waits until the readiness probe passes (the process must stay up meanwhile). */
  async ready(timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        if ((await this.probe('readinessProbe')) === 200) return;
      } catch {
        // not listening yet
      }
      if (this.server.child.exitCode !== null)
        throw new Error(`pod exited (${this.server.child.exitCode}): ${this.server.output()}`);
      if (Date.now() > deadline) throw new Error(`not ready: ${this.server.output()}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  url(port: string | number = 'http'): string {
    return `http://127.0.0.1:${this.portFor(port)}`;
  }
}

/** Runs a command to completion (the Job's pod); resolves to its exit code and output. */
export function runToCompletion(pod: RehearsedPod): Promise<{ code: number | null; out: string }> {
  return pod.server.exited.then((code) => ({ code, out: pod.server.output() }));
}
