import {
  checkName,
  InvalidArtifactError,
  NameGrammar,
  parseJsonDocument,
} from '@wharf/packages-core';

/*
 * Pure rules of the conda format (docs/protocols/conda.md §3): the grammars of a package's
 * coordinates, the file names of both package formats, and what Wharf keeps of a
 * package's info/index.json and info/about.json.
 */

/** File property: the channel the file was uploaded to ('' for the owner's default channel). */
export const CHANNEL_PROPERTY = 'conda.channel';
/** File property: the repodata record of the file (index.json's fields, as JSON). */
export const RECORD_PROPERTY = 'conda.record';

/** The two package formats and the repodata key each is listed under. */
export const PACKAGE_FORMATS = [
  { suffix: '.tar.bz2', key: 'packages' },
  { suffix: '.conda', key: 'packages.conda' },
] as const;
export type PackageSuffix = (typeof PACKAGE_FORMATS)[number]['suffix'];

/**
 * Package names as conda-build accepts them (conda_build/metadata.py): lower-case letters,
 * digits, `_`, `.` and `-`; `_` may lead (`_libgcc_mutex`).
 */
export const CONDA_NAME: NameGrammar = {
  what: 'conda package name',
  pattern: /^[a-z0-9_][a-z0-9_.-]*$/,
  rule: 'lower-case letters, digits, "_", "." and "-", starting with a letter, digit or "_"',
  maxLength: 200,
  fileName: true,
};

/**
 * Versions as conda's VersionOrder reads them, without `-` (it separates name, version and
 * build in a file name) and without the epoch's `!` (Forgejo refuses it too).
 */
export const CONDA_VERSION: NameGrammar = {
  what: 'conda version',
  pattern: /^[0-9A-Za-z_][0-9A-Za-z_.+]*$/,
  rule: 'letters, digits, "_", "." and "+", no "-" (1.0.1, 2024.1, 1.2.3+local)',
  maxLength: 128,
};

/** Build strings (`py_0`, `h1234abc_0`, `pyhd8ed1ab_0`): no `-` either. */
export const CONDA_BUILD: NameGrammar = {
  what: 'conda build string',
  pattern: /^[0-9A-Za-z_][0-9A-Za-z_.+]*$/,
  rule: 'letters, digits, "_", "." and "+", no "-" (py_0, h1234abc_0)',
  maxLength: 128,
};

/** Subdirs (`noarch`, `linux-64`, `osx-arm64`, `win-64`, `emscripten-wasm32`). */
export const CONDA_SUBDIR: NameGrammar = {
  what: 'conda subdir',
  pattern: /^[a-z0-9_]+(?:-[a-z0-9_]+)?$/,
  rule: 'a platform-architecture pair or noarch (noarch, linux-64, osx-arm64)',
  maxLength: 64,
  fileName: true,
};

/** Named channels, one or more lower-case segments (`test-channel`, `team/nightly`). */
export const CONDA_CHANNEL: NameGrammar = {
  what: 'conda channel',
  pattern: /^[a-z0-9][a-z0-9_.-]*(?:\/[a-z0-9][a-z0-9_.-]*)*$/,
  rule: 'lower-case path segments of letters, digits, "_", "." and "-" (test-channel, team/nightly)',
  maxLength: 200,
  allowSlash: true,
};

/** `{name}-{version}-{build}{.tar.bz2|.conda}`, split as conda splits it (from the right). */
export interface PackageFileName {
  name: string;
  version: string;
  build: string;
  suffix: PackageSuffix;
}

/** The suffix of a package file name, or undefined when it is none of the two formats. */
export function packageSuffix(file: string): PackageSuffix | undefined {
  const lower = file.toLowerCase();
  return PACKAGE_FORMATS.find((f) => lower.endsWith(f.suffix) && lower.length > f.suffix.length)
    ?.suffix;
}

/** Splits and checks a package file name of a download path; undefined when it is not one. */
export function parsePackageFileName(file: string): PackageFileName | undefined {
  const suffix = packageSuffix(file);
  if (!suffix) return undefined;
  const parts = /^(.+)-([^-]+)-([^-]+)$/.exec(file.slice(0, -suffix.length));
  if (!parts)
    throw new InvalidArtifactError(
      `invalid conda file name: expected {name}-{version}-{build}${suffix}`,
    );
  return {
    name: checkName(parts[1], CONDA_NAME),
    version: checkName(parts[2], CONDA_VERSION),
    build: checkName(parts[3], CONDA_BUILD),
    suffix,
  };
}

/** The stored (rebuilt) file name of a package. */
export function packageFileName(p: Omit<PackageFileName, 'suffix'>, suffix: PackageSuffix): string {
  return `${p.name}-${p.version}-${p.build}${suffix}`;
}

/**
 * A repodata record as conda's PackageRecord reads it (conda/models/records.py), without
 * the hashes and size, which come from the stored file.
 */
export interface CondaRecord {
  name: string;
  version: string;
  build: string;
  build_number: number;
  subdir: string;
  depends: string[];
  constrains?: string[];
  track_features?: string;
  features?: string;
  noarch?: string | boolean;
  arch?: string | null;
  platform?: string | null;
  license?: string;
  license_family?: string;
  timestamp?: number;
}

/** What Wharf keeps of info/about.json, per version (all optional). */
export interface CondaVersionMetadata {
  summary?: string;
  description?: string;
  projectUrl?: string;
  repositoryUrl?: string;
  documentationUrl?: string;
  license?: string;
}

const MAX_SPECS = 4096;
const MAX_TEXT = 64 * 1024;

/**
 * Reads info/index.json (docs/protocols/conda.md §3): name, version and build through the
 * grammars, the subdir from the file (or `noarch` for a noarch package without one),
 * dependency lists as lists of strings; anything else of the wrong type is a 400.
 */
export function parseIndexJson(bytes: Buffer): CondaRecord {
  const index = parseObject(bytes, 'info/index.json');
  const text = (key: string, required = false): string | undefined => {
    const v = index[key];
    if (v === undefined || v === null) {
      if (required) throw new InvalidArtifactError(`info/index.json has no "${key}"`);
      return undefined;
    }
    if (typeof v !== 'string' || v.length > MAX_TEXT)
      throw new InvalidArtifactError(`info/index.json: "${key}" must be a string`);
    return v;
  };
  const list = (key: string): string[] | undefined => {
    const v = index[key];
    if (v === undefined || v === null) return undefined;
    if (
      !Array.isArray(v) ||
      v.length > MAX_SPECS ||
      v.some((s) => typeof s !== 'string' || s.length > 1024)
    )
      throw new InvalidArtifactError(`info/index.json: "${key}" must be a list of strings`);
    return v as string[];
  };
  const name = checkName(text('name', true)!, CONDA_NAME);
  const version = checkName(text('version', true)!, CONDA_VERSION);
  const build = checkName(text('build', true)!, CONDA_BUILD);
  const buildNumber = index.build_number ?? 0;
  if (typeof buildNumber !== 'number' || !Number.isSafeInteger(buildNumber) || buildNumber < 0)
    throw new InvalidArtifactError('info/index.json: "build_number" must be a whole number');
  const noarchValue = index.noarch;
  if (
    noarchValue !== undefined &&
    noarchValue !== null &&
    typeof noarchValue !== 'string' &&
    typeof noarchValue !== 'boolean'
  )
    throw new InvalidArtifactError('info/index.json: "noarch" must be a string');
  const noarch = noarchValue === null ? undefined : (noarchValue as string | boolean | undefined);
  const subdir = text('subdir') ?? (noarch ? 'noarch' : undefined);
  if (!subdir) throw new InvalidArtifactError('info/index.json has no "subdir"');
  checkName(subdir, CONDA_SUBDIR);
  const timestamp = index.timestamp;
  const record: CondaRecord = {
    name,
    version,
    build,
    build_number: buildNumber,
    subdir,
    depends: list('depends') ?? [],
    constrains: list('constrains'),
    track_features: text('track_features'),
    features: text('features'),
    noarch,
    arch: text('arch'),
    platform: text('platform'),
    license: text('license'),
    license_family: text('license_family'),
    timestamp:
      typeof timestamp === 'number' && Number.isSafeInteger(timestamp) ? timestamp : undefined,
  };
  for (const key of Object.keys(record) as (keyof CondaRecord)[])
    if (record[key] === undefined) delete record[key];
  return record;
}

/** What Wharf keeps of info/about.json: short strings; URLs only when they are http(s). */
export function parseAboutJson(bytes: Buffer): CondaVersionMetadata {
  const about = parseObject(bytes, 'info/about.json');
  const fields: [string, keyof CondaVersionMetadata, boolean][] = [
    ['summary', 'summary', false],
    ['description', 'description', false],
    ['license', 'license', false],
    ['home', 'projectUrl', true],
    ['dev_url', 'repositoryUrl', true],
    ['doc_url', 'documentationUrl', true],
  ];
  const metadata: CondaVersionMetadata = {};
  for (const [key, field, url] of fields) {
    const v = about[key];
    if (typeof v !== 'string' || !v.trim() || v.length > MAX_TEXT) continue;
    if (url && !isHttpUrl(v)) continue;
    metadata[field] = v;
  }
  return metadata;
}

function parseObject(bytes: Buffer, what: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = parseJsonDocument(bytes, what);
  } catch (err) {
    throw new InvalidArtifactError(
      `${what} is not valid JSON: ${err instanceof Error ? err.message : String(err)}`,
    );
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed))
    throw new InvalidArtifactError(`${what} must be a JSON object`);
  return parsed as Record<string, unknown>;
}

function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    return false;
  }
}
