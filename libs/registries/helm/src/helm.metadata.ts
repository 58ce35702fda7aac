import { Readable } from 'node:stream';
import {
  checkName,
  InvalidArtifactError,
  NameGrammar,
  parseYamlDocument,
  readTarEntry,
} from '@wharf/packages-core';

/*
 * Pure parsing of an uploaded chart archive (docs/protocols/helm.md §3): find
 * `<chart>/Chart.yaml` in the gzip'd tar with core's tar reader, within its budgets, and
 * validate it.
 */

export interface HelmMaintainer {
  name?: string;
  email?: string;
  url?: string;
}

export interface HelmDependency {
  name: string;
  version?: string;
  repository?: string;
  condition?: string;
  tags?: string[];
  enabled?: boolean;
  'import-values'?: unknown[];
  alias?: string;
}

/** The Chart.yaml fields kept in the version's metadata and served in index.yaml. */
export interface HelmChartMetadata {
  apiVersion: 'v1' | 'v2';
  name: string;
  version: string;
  type?: 'application' | 'library';
  appVersion?: string;
  kubeVersion?: string;
  description?: string;
  home?: string;
  icon?: string;
  condition?: string;
  tags?: string;
  deprecated?: boolean;
  keywords?: string[];
  sources?: string[];
  maintainers?: HelmMaintainer[];
  annotations?: Record<string, string>;
  dependencies?: HelmDependency[];
}

export interface ChartLimits {
  /** Bytes of Chart.yaml itself. */
  maxChartYaml: number;
  /** Decompressed bytes of the whole archive (a gzip bomb stops here). */
  maxUnpacked: number;
}

// Helm's own loader caps one file at 5 MiB and a chart at 100 MiB decompressed; Chart.yaml
// is a few hundred bytes in practice, so 1 MiB is generous.
export const DEFAULT_CHART_LIMITS: ChartLimits = {
  maxChartYaml: 1024 * 1024,
  maxUnpacked: 100 * 1024 * 1024,
};

/*
 * The grammar of each coordinate (docs/protocols/helm.md §3), applied through core's checkName
 * (which also refuses look-alike dots and slashes, percent-encoded paths, control characters).
 */

// https://semver.org/#is-there-a-suggested-regular-expression-regex-to-check-a-semver-string
const SEMVER2_SOURCE =
  '(0|[1-9]\\d*)\\.(0|[1-9]\\d*)\\.(0|[1-9]\\d*)' +
  '(?:-((?:0|[1-9]\\d*|\\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\\.(?:0|[1-9]\\d*|\\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?' +
  '(?:\\+([0-9a-zA-Z-]+(?:\\.[0-9a-zA-Z-]+)*))?';
const CHART_NAME_SOURCE = '[A-Za-z0-9][A-Za-z0-9._-]*';

// Helm's chart name rule (letters, digits, `._-`, no path separator); also a safe file name.
export const HELM_CHART_NAME: NameGrammar = {
  what: 'chart name',
  pattern: new RegExp(`^${CHART_NAME_SOURCE}$`),
  rule: 'letters, digits, ".", "_" and "-", starting with a letter or digit',
  maxLength: 200,
};
// Helm 3 requires SemVer 2 chart versions.
export const HELM_VERSION: NameGrammar = {
  what: 'chart version',
  pattern: new RegExp(`^${SEMVER2_SOURCE}$`),
  rule: 'a SemVer 2 version such as 1.2.3',
};
// `helm package` names the archive `<name>-<version>.tgz`; index.yaml's urls point there.
export const HELM_FILENAME: NameGrammar = {
  what: 'chart file name',
  pattern: new RegExp(`^${CHART_NAME_SOURCE}-${SEMVER2_SOURCE}\\.tgz$`, 'i'),
  rule: '<chart name>-<SemVer version>.tgz',
  fileName: true,
};

// Chart.yaml is flat in practice (dependencies → import-values is the deepest, ~5); the
// yaml library composes recursively, so depth is bounded before it runs.
const MAX_YAML_DEPTH = 64;

/** The stored file name of a chart, as Forgejo names it: lower-cased `<name>-<version>.tgz`. */
export function chartFileName(meta: Pick<HelmChartMetadata, 'name' | 'version'>): string {
  return `${meta.name}-${meta.version}.tgz`.toLowerCase();
}

export function isSemver2(version: string): boolean {
  return HELM_VERSION.pattern.test(version);
}

/** Reads and validates `<chart>/Chart.yaml` from a chart archive stream (the stream is consumed or destroyed). */
export async function readChartMetadata(
  archive: Readable,
  limits: ChartLimits = DEFAULT_CHART_LIMITS,
): Promise<HelmChartMetadata> {
  // Forgejo: the first regular file `<dir>/Chart.yaml` (exactly one slash); sub-charts
  // (`charts/x/Chart.yaml`) and a root-level Chart.yaml do not count.
  const chartYaml = await readTarEntry(archive, (e) => /^[^/]+\/Chart\.yaml$/.test(e.name), {
    compression: 'gzip',
    maxEntrySize: limits.maxChartYaml,
    maxUnpacked: limits.maxUnpacked,
    label: 'the chart',
    // Links refused: `helm package` stores the files links point to, never links.
  });
  if (!chartYaml)
    throw new InvalidArtifactError(
      'Chart.yaml file is missing: a chart archive holds <chart-name>/Chart.yaml',
    );
  return parseChartYaml(chartYaml.toString('utf8'));
}

/** Validates Chart.yaml text (docs/protocols/helm.md §3) and keeps the fields the index serves. */
export function parseChartYaml(text: string): HelmChartMetadata {
  const doc = parseYamlDocument(text, 'Chart.yaml', { maxDepth: MAX_YAML_DEPTH });
  if (!isRecord(doc)) throw new InvalidArtifactError('Chart.yaml must be a YAML mapping');
  const f = new Fields(doc);
  const apiVersion = f.string('apiVersion');
  if (apiVersion !== 'v1' && apiVersion !== 'v2')
    throw new InvalidArtifactError('chart is invalid: apiVersion must be v1 or v2');
  const type = f.string('type');
  if (type !== undefined && type !== '' && type !== 'application' && type !== 'library') {
    throw new InvalidArtifactError('chart is invalid: type must be application or library');
  }
  const name = f.string('name');
  if (!name) throw new InvalidArtifactError('package name is invalid: Chart.yaml has no name');
  checkChartYamlName(name, HELM_CHART_NAME, 'package name is invalid');
  const version = f.string('version', true);
  if (!version)
    throw new InvalidArtifactError('package version is invalid: Chart.yaml has no version');
  checkChartYamlName(version, HELM_VERSION, 'package version is invalid');
  const home = f.string('home');
  const meta: HelmChartMetadata = {
    apiVersion,
    name,
    version,
    type: type ? type : undefined,
    appVersion: f.string('appVersion', true),
    kubeVersion: f.string('kubeVersion'),
    description: f.string('description'),
    home: home && /^https?:\/\//i.test(home) ? home : undefined,
    icon: f.string('icon'),
    condition: f.string('condition'),
    tags: f.string('tags'),
    deprecated: f.boolean('deprecated'),
    keywords: f.strings('keywords'),
    sources: f.strings('sources'),
    maintainers: f.list('maintainers', (m, at) => {
      const mf = new Fields(m, at);
      return { name: mf.string('name'), email: mf.string('email'), url: mf.string('url') };
    }),
    annotations: f.stringMap('annotations'),
    dependencies: f.list('dependencies', (d, at) => {
      const df = new Fields(d, at);
      const depName = df.string('name');
      if (!depName) throw new InvalidArtifactError(`chart is invalid: ${at} has no name`);
      return {
        name: depName,
        version: df.string('version', true),
        repository: df.string('repository'),
        condition: df.string('condition'),
        tags: df.strings('tags'),
        enabled: df.boolean('enabled'),
        'import-values': df.array('import-values'),
        alias: df.string('alias'),
      };
    }),
  };
  return dropEmpty(meta);
}

/** A name or version from Chart.yaml, through its grammar; the refusal keeps Forgejo's words first. */
function checkChartYamlName(value: string, grammar: NameGrammar, forgejo: string): void {
  try {
    checkName(value, grammar);
  } catch (err) {
    throw new InvalidArtifactError(`${forgejo}: Chart.yaml's ${(err as Error).message}`);
  }
}

/** Typed reads of Chart.yaml fields; a field of the wrong type is a 400 naming it. */
class Fields {
  constructor(
    private readonly obj: Record<string, unknown>,
    private readonly at = 'Chart.yaml',
  ) {}

  string(key: string, numbersToo = false): string | undefined {
    const v = this.obj[key];
    if (v === undefined || v === null) return undefined;
    // `appVersion: 1.16` is a YAML number; Helm reads it as text.
    if (numbersToo && typeof v === 'number') return String(v);
    if (typeof v !== 'string') throw this.wrong(key, 'a string');
    return v;
  }

  boolean(key: string): boolean | undefined {
    const v = this.obj[key];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'boolean') throw this.wrong(key, 'true or false');
    return v;
  }

  array(key: string): unknown[] | undefined {
    const v = this.obj[key];
    if (v === undefined || v === null) return undefined;
    if (!Array.isArray(v)) throw this.wrong(key, 'a list');
    return v;
  }

  strings(key: string): string[] | undefined {
    const v = this.array(key);
    if (v && !v.every((s) => typeof s === 'string')) throw this.wrong(key, 'a list of strings');
    return v as string[] | undefined;
  }

  list<T>(key: string, map: (item: Record<string, unknown>, at: string) => T): T[] | undefined {
    return this.array(key)?.map((item, i) => {
      if (!isRecord(item)) throw this.wrong(`${key}[${i}]`, 'a mapping');
      return map(item, `${key}[${i}]`);
    });
  }

  stringMap(key: string): Record<string, string> | undefined {
    const v = this.obj[key];
    if (v === undefined || v === null) return undefined;
    if (!isRecord(v) || !Object.values(v).every((s) => typeof s === 'string'))
      throw this.wrong(key, 'a mapping of strings');
    return v as Record<string, string>;
  }

  private wrong(key: string, expected: string): InvalidArtifactError {
    return new InvalidArtifactError(
      `chart is invalid: ${this.at === 'Chart.yaml' ? '' : `${this.at}.`}${key} in Chart.yaml must be ${expected}`,
    );
  }
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Omits undefined and empty values, so the index carries only what the chart says. */
function dropEmpty<T extends object>(obj: T): T {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(obj)) {
    if (v === undefined || v === '' || (Array.isArray(v) && v.length === 0)) continue;
    out[k] = Array.isArray(v) ? v.map((x) => (isRecord(x) ? dropEmpty(x) : x)) : v;
  }
  return out as T;
}
