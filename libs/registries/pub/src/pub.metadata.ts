import { Readable } from 'node:stream';
import { compare as compareSemver, prerelease } from 'semver';
import {
  checkName,
  InvalidArtifactError,
  NameGrammar,
  parseYamlDocument,
  readTarEntry,
} from '@wharf/packages-core';

/*
 * Pure rules of the pub format (docs/protocols/pub.md §3): the package name and version
 * grammars, reading `pubspec.yaml` from the root of an uploaded tar.gz through core's tar
 * reader, safe YAML, and pub's version order.
 */

/** Dart's reserved words: `dart pub publish` refuses them as package names (lib/src/validator/name.dart). */
export const DART_RESERVED_WORDS = new Set([
  'assert',
  'break',
  'case',
  'catch',
  'class',
  'const',
  'continue',
  'default',
  'do',
  'else',
  'enum',
  'extends',
  'false',
  'final',
  'finally',
  'for',
  'if',
  'in',
  'is',
  'new',
  'null',
  'rethrow',
  'return',
  'super',
  'switch',
  'this',
  'throw',
  'true',
  'try',
  'var',
  'void',
  'while',
  'with',
]);

/**
 * Dart package names: a Dart identifier in lower case (`[a-z_][a-z0-9_]*`), as pub's name
 * validator and pub.dev require; 64 characters is pub.dev's bound. Reserved words are
 * refused by {@link checkPackageName}.
 */
export const PUB_NAME: NameGrammar = {
  what: 'package name',
  pattern: /^[a-z_][a-z0-9_]*$/,
  rule: 'lower-case letters, digits and "_", not starting with a digit, and not a Dart reserved word',
  maxLength: 64,
  fileName: true,
};

// https://semver.org/#is-there-a-suggested-regular-expression-regex-to-check-a-semver-string
const SEMVER2 =
  /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$/;

/** pub versions are SemVer 2 (pub_semver's Version.parse). */
export const PUB_VERSION: NameGrammar = {
  what: 'package version',
  pattern: SEMVER2,
  rule: 'a SemVer 2 version such as 1.2.3 or 2.0.0-beta.1',
  maxLength: 128,
};

/** The archive file of a version, as Forgejo stores it: `{version}.tar.gz`, lower case. */
export const ARCHIVE_SUFFIX = '.tar.gz';
export const PUB_ARCHIVE: NameGrammar = {
  what: 'archive file name',
  pattern: new RegExp(`${SEMVER2.source.slice(0, -1)}\\.tar\\.gz$`, 'i'),
  rule: '{version}.tar.gz',
  maxLength: 140,
  fileName: true,
};

/** Checks a package name: the grammar, then Dart's reserved words. */
export function checkPackageName(name: string): string {
  checkName(name, PUB_NAME);
  if (DART_RESERVED_WORDS.has(name))
    throw new InvalidArtifactError(`invalid package name: "${name}" is a Dart reserved word`);
  return name;
}

export function archiveFileName(version: string): string {
  return `${version}${ARCHIVE_SUFFIX}`.toLowerCase();
}

/** What a version keeps: the pubspec as parsed (served back as JSON) and its description. */
export interface PubMetadata {
  pubspec: Record<string, unknown>;
}

export interface PubspecLimits {
  /** Bytes of pubspec.yaml (Forgejo: 128 KiB). */
  maxPubspec: number;
  /** Unpacked bytes of the whole archive; a gzip bomb stops here (pub.dev: 100 MiB upload). */
  maxUnpacked: number;
}

export const DEFAULT_PUBSPEC_LIMITS: PubspecLimits = {
  maxPubspec: 128 * 1024,
  maxUnpacked: 256 * 1024 * 1024,
};

const MAX_YAML_DEPTH = 32;

export interface Pubspec {
  name: string;
  version: string;
  pubspec: Record<string, unknown>;
}

/**
 * Reads `pubspec.yaml` at the archive root (`dart pub publish` writes it there, as
 * `pubspec.yaml`, no leading folder) from a tar.gz stream, every entry checked under
 * core's budgets. Missing → 400.
 */
export async function readPubspec(
  archive: Readable,
  limits: PubspecLimits = DEFAULT_PUBSPEC_LIMITS,
): Promise<Pubspec> {
  const bytes = await readTarEntry(
    archive,
    (e) => e.name.replace(/^(?:\.\/)+/, '') === 'pubspec.yaml',
    {
      compression: 'gzip',
      maxEntrySize: limits.maxPubspec,
      maxUnpacked: limits.maxUnpacked,
      label: 'the package archive',
    },
  );
  if (!bytes)
    throw new InvalidArtifactError(
      'Pubspec file is missing: the archive must hold pubspec.yaml at its root',
    );
  return parsePubspec(bytes.toString('utf8'));
}

/** Validates pubspec.yaml text: a mapping with a valid `name` and a SemVer `version`. */
export function parsePubspec(text: string): Pubspec {
  const doc = parseYamlDocument(text, 'pubspec.yaml', { maxDepth: MAX_YAML_DEPTH });
  if (!doc || typeof doc !== 'object' || Array.isArray(doc))
    throw new InvalidArtifactError('pubspec.yaml must be a YAML mapping');
  const pubspec = toJson(doc) as Record<string, unknown>;
  const { name, version } = pubspec;
  if (typeof name !== 'string') throw new InvalidArtifactError('pubspec.yaml has no name');
  if (version === undefined || version === null)
    throw new InvalidArtifactError('pubspec.yaml has no version (a SemVer 2 string)');
  // `version: 1.0` is a YAML number; pub_semver reads only strings.
  if (typeof version !== 'string')
    throw new InvalidArtifactError(
      `pubspec.yaml: invalid package version ${JSON.stringify(version)}: a SemVer 2 string such as 1.2.3`,
    );
  try {
    checkPackageName(name);
    checkName(version, PUB_VERSION);
  } catch (err) {
    throw new InvalidArtifactError(`pubspec.yaml: ${(err as Error).message}`);
  }
  return { name, version, pubspec };
}

/** A YAML value as JSON: map keys become strings, dates ISO strings (docs/protocols/pub.md §8). */
function toJson(value: unknown): unknown {
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.map(toJson);
  if (value instanceof Map)
    return Object.fromEntries([...value].map(([k, v]) => [String(k), toJson(v)]));
  if (value && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, toJson(v)]));
  if (typeof value === 'number' && !Number.isFinite(value)) return null;
  return value;
}

/** pub's order: SemVer precedence (build metadata breaks ties by text). */
export function comparePubVersions(a: string, b: string): number {
  return compareSemver(a, b) || (a < b ? -1 : a > b ? 1 : 0);
}

/**
 * The `latest` pub shows: the highest version that is not a pre-release, or the highest
 * of all when every version is one (pub_semver's Version.primary).
 */
export function latestVersion(versions: string[]): string | undefined {
  const sorted = [...versions].sort(comparePubVersions);
  const releases = sorted.filter((v) => !prerelease(v));
  return (releases.length ? releases : sorted).at(-1);
}
