import { Readable } from 'node:stream';
import { parse as parseToml, TomlError } from 'smol-toml';
import {
  checkName,
  InvalidArtifactError,
  NameGrammar,
  parseJsonDocument,
  RegistryError,
  walkTar,
} from '@wharf/packages-core';

/*
 * Pure parsing and validation for cargo (docs/protocols/cargo.md §3): the names a client
 * sends, the publish metadata JSON, and the `Cargo.toml` inside a `.crate`, which must
 * agree with that metadata. No Nest, no database.
 */

/** Version property: "true" while the version is yanked (docs/protocols/cargo.md §4). */
export const YANKED = 'cargo.yanked';
/** Version property: the crate's name key ({@link crateNameKey}), to find a differently spelled twin. */
export const NAME_KEY = 'cargo.name_key';

/**
 * Cargo's crate name rule (cargo's `validate_package_name` plus crates.io's limits): an
 * ASCII letter, then ASCII letters, digits, `-` and `_`, 64 characters at most.
 */
export const CRATE_NAME: NameGrammar = {
  what: 'crate name',
  pattern: /^[A-Za-z][A-Za-z0-9_-]*$/,
  rule: 'ASCII letters, digits, "-" and "_", starting with a letter',
  maxLength: 64,
};

// https://semver.org/#is-there-a-suggested-regular-expression-regex-to-check-a-semver-string
const SEMVER2 =
  /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$/;

/** A version is SemVer 2, as cargo requires (`1.0` is not a cargo version). */
export const CRATE_VERSION: NameGrammar = {
  what: 'crate version',
  pattern: SEMVER2,
  rule: 'a SemVer 2 version such as 1.2.3, 1.2.3-beta.1 or 1.2.3+build.5',
  maxLength: 128,
};

export function checkCrateName(name: string): string {
  return checkName(name, CRATE_NAME);
}

export function checkCrateVersion(version: string): string {
  return checkName(version, CRATE_VERSION);
}

/**
 * The key under which two spellings are one crate, as crates.io compares them: case and
 * `-`/`_` do not matter (`Foo_Bar` and `foo-bar` cannot both exist in one owner).
 */
export function crateNameKey(name: string): string {
  return name.toLowerCase().replace(/_/g, '-');
}

/** A version without its build metadata: `1.0.0+a` and `1.0.0+b` are one version to cargo. */
export function versionWithoutBuild(version: string): string {
  const plus = version.indexOf('+');
  return (plus < 0 ? version : version.slice(0, plus)).toLowerCase();
}

/** The sparse index path of a crate: `1/a`, `2/ab`, `3/a/abc`, `ab/cd/abcd…` (lower-cased). */
export function indexPath(name: string): string {
  const lower = name.toLowerCase();
  if (lower.length <= 2) return `${lower.length}/${lower}`;
  if (lower.length === 3) return `3/${lower[0]}/${lower}`;
  return `${lower.slice(0, 2)}/${lower.slice(2, 4)}/${lower}`;
}

export type DependencyKind = 'normal' | 'dev' | 'build';

/** A dependency as the index line carries it (docs/protocols/cargo.md §4). */
export interface CargoDependency {
  /** The name the depending crate uses: the rename when there is one. */
  name: string;
  req: string;
  features: string[];
  optional: boolean;
  default_features: boolean;
  target: string | null;
  kind: DependencyKind;
  registry: string | null;
  /** The real crate name, only for a renamed dependency. */
  package?: string;
}

/** What a version stores as its metadata: the index line's fields plus what search and pages show. */
export interface CargoVersionMetadata {
  name: string;
  vers: string;
  deps: CargoDependency[];
  features: Record<string, string[]>;
  links?: string;
  rust_version?: string;
  description?: string;
  authors?: string[];
  documentation?: string;
  homepage?: string;
  repository?: string;
  license?: string;
  license_file?: string;
  keywords?: string[];
  categories?: string[];
  readme?: string;
  readme_file?: string;
}

/** Largest publish metadata document: cargo puts the whole README in it. */
export const MAX_METADATA_BYTES = 10 * 1024 * 1024;

const FEATURE_NAME = /^[A-Za-z0-9_][A-Za-z0-9_+.-]*$/;
const KINDS: readonly DependencyKind[] = ['normal', 'dev', 'build'];

/** Parses and validates the JSON half of `PUT /api/v1/crates/new` (cargo's `NewCrate`). */
export function parsePublishMetadata(bytes: Buffer): CargoVersionMetadata {
  const doc = parseJsonDocument(bytes, 'the publish metadata');
  if (!isObject(doc)) throw invalid('the publish metadata must be a JSON object');
  const name = checkCrateName(str(doc.name, 'name') ?? '');
  const vers = checkCrateVersion(str(doc.vers, 'vers') ?? '');
  const deps = list(doc.deps, 'deps').map((d, i) => parseDependency(d, i));
  const features = parseFeatures(doc.features);
  const meta: CargoVersionMetadata = { name, vers, deps, features };
  const optional: (keyof CargoVersionMetadata & string)[] = [
    'links',
    'rust_version',
    'description',
    'license',
    'license_file',
    'readme',
    'readme_file',
  ];
  for (const key of optional) {
    const value = str(doc[key], key);
    if (value !== undefined && value !== '') Object.assign(meta, { [key]: value });
  }
  // Shown as links on pages: kept only when they are http(s) URLs (as Forgejo does).
  for (const key of ['documentation', 'homepage', 'repository'] as const) {
    const value = str(doc[key], key);
    if (value && /^https?:\/\/\S+$/i.test(value)) meta[key] = value;
  }
  for (const key of ['authors', 'keywords', 'categories'] as const) {
    const values = list(doc[key], key).map((v, i) => str(v, `${key}[${i}]`) ?? '');
    if (values.length) meta[key] = values;
  }
  return meta;
}

function parseDependency(raw: unknown, i: number): CargoDependency {
  const at = `deps[${i}]`;
  if (!isObject(raw)) throw invalid(`${at} must be an object`);
  const realName = checkName(str(raw.name, `${at}.name`) ?? '', {
    ...CRATE_NAME,
    what: `dependency name in ${at}`,
  });
  const rename = str(raw.explicit_name_in_toml, `${at}.explicit_name_in_toml`);
  if (rename !== undefined)
    checkName(rename, { ...CRATE_NAME, what: `dependency rename in ${at}` });
  const req = str(raw.version_req, `${at}.version_req`);
  // eslint-disable-next-line no-control-regex
  if (!req || req.length > 256 || /[\u0000-\u001f\u007f]/.test(req))
    throw invalid(`${at}.version_req must be a version requirement such as "^1.2"`);
  const kind = (str(raw.kind, `${at}.kind`) ?? 'normal') as DependencyKind;
  if (!KINDS.includes(kind)) throw invalid(`${at}.kind must be one of ${KINDS.join(', ')}`);
  const dep: CargoDependency = {
    name: rename ?? realName,
    req,
    features: list(raw.features, `${at}.features`).map(
      (f, j) => str(f, `${at}.features[${j}]`) ?? '',
    ),
    optional: bool(raw.optional, `${at}.optional`, false),
    default_features: bool(raw.default_features, `${at}.default_features`, true),
    target: str(raw.target, `${at}.target`) ?? null,
    kind,
    registry: str(raw.registry, `${at}.registry`) ?? null,
  };
  if (rename !== undefined) dep.package = realName;
  return dep;
}

function parseFeatures(raw: unknown): Record<string, string[]> {
  if (raw === undefined || raw === null) return {};
  if (!isObject(raw)) throw invalid('features must be an object of feature name to a list');
  const features: Record<string, string[]> = {};
  for (const [feature, values] of Object.entries(raw)) {
    if (!FEATURE_NAME.test(feature) || feature.length > 128)
      throw invalid(`feature name ${JSON.stringify(feature.slice(0, 64))} is not valid`);
    features[feature] = list(values, `features.${feature}`).map(
      (v, i) => str(v, `features.${feature}[${i}]`) ?? '',
    );
  }
  return features;
}

/** What `Cargo.toml` inside the crate says, for comparison with the metadata. */
export interface CrateManifest {
  name: string;
  version: string;
}

export interface CrateReadLimits {
  /** Bytes of Cargo.toml. */
  maxManifest: number;
  /** Decompressed bytes of the whole crate (a gzip bomb stops here). */
  maxUnpacked: number;
}

// crates.io refuses crates that unpack past 512 MB; a Cargo.toml is a few kilobytes.
export const DEFAULT_CRATE_LIMITS: CrateReadLimits = {
  maxManifest: 1024 * 1024,
  maxUnpacked: 512 * 1024 * 1024,
};

/**
 * Reads `{name}-{vers}/Cargo.toml` from a `.crate` (a gzip'd tar) through core's tar reader
 * and checks that every entry lies under that directory, as `cargo package` writes it and
 * crates.io requires. The stream is consumed or destroyed.
 */
export async function readCrateManifest(
  crate: Readable,
  expected: { name: string; vers: string },
  limits: CrateReadLimits = DEFAULT_CRATE_LIMITS,
): Promise<CrateManifest> {
  const root = `${expected.name}-${expected.vers}/`;
  let manifest: Buffer | undefined;
  for await (const entry of walkTar(crate, {
    maxEntrySize: limits.maxManifest,
    maxUnpacked: limits.maxUnpacked,
    compression: 'gzip',
    label: 'the .crate',
  })) {
    const name = entry.name.replace(/^\.\//, '');
    if (!name.startsWith(root) && name !== root.slice(0, -1))
      throw new InvalidArtifactError(
        `the .crate has an entry ${JSON.stringify(entry.name.slice(0, 200))} outside ${root}`,
      );
    if (name === `${root}Cargo.toml` && entry.type === 'file') manifest = await entry.read();
  }
  if (!manifest) throw new InvalidArtifactError(`the .crate has no ${root}Cargo.toml`);
  return parseManifest(manifest);
}

/** `[package] name` and `version` of a Cargo.toml (a crate's is always normalised by cargo). */
export function parseManifest(bytes: Buffer): CrateManifest {
  let doc: Record<string, unknown>;
  try {
    doc = parseToml(bytes.toString('utf8'));
  } catch (err) {
    const why = err instanceof TomlError ? err.message.split('\n')[0] : String(err);
    throw new InvalidArtifactError(`the crate's Cargo.toml is not valid TOML (${why})`);
  }
  const pkg = doc.package;
  if (!isObject(pkg)) throw new InvalidArtifactError("the crate's Cargo.toml has no [package]");
  if (typeof pkg.name !== 'string' || typeof pkg.version !== 'string')
    throw new InvalidArtifactError(
      "the crate's Cargo.toml must set package.name and package.version as strings",
    );
  return { name: pkg.name, version: pkg.version };
}

/** The crate's Cargo.toml must name the crate and version the metadata publishes. */
export function assertManifestAgrees(manifest: CrateManifest, meta: CargoVersionMetadata): void {
  if (manifest.name !== meta.name || manifest.version !== meta.vers)
    throw new InvalidArtifactError(
      `the crate's Cargo.toml is ${manifest.name} ${manifest.version}, but the publish metadata says ${meta.name} ${meta.vers}`,
    );
}

function invalid(message: string): RegistryError {
  return RegistryError.invalid(`invalid publish metadata: ${message}`);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function str(value: unknown, what: string): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw invalid(`${what} must be a string`);
  return value;
}

function list(value: unknown, what: string): unknown[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw invalid(`${what} must be a list`);
  return value;
}

function bool(value: unknown, what: string, fallback: boolean): boolean {
  if (value === undefined || value === null) return fallback;
  if (typeof value !== 'boolean') throw invalid(`${what} must be true or false`);
  return value;
}
