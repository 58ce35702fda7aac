import * as semver from 'semver';
import {
  InvalidArtifactError,
  NameGrammar,
  parseJsonDocument,
  RegistryError,
  RegistryErrorCode,
} from '@wharf/packages-core';

/*
 * Pure rules of the Swift registry (docs/protocols/swift.md §3): the grammars of scope,
 * name and version, which archive entries are manifests, and what Wharf keeps of the
 * publish metadata.
 */

/** Version property: a repository URL from the publish metadata (`/identifiers`). */
export const REPOSITORY_URL_PROPERTY = 'swift.repository_url';
/** Package properties: the scope and name as published. */
export const SCOPE_PROPERTY = 'swift.scope';
export const NAME_PROPERTY = 'swift.name';

/** SE-0292 §3.6: alphanumerics and hyphens, no leading, trailing or double hyphen, 1–39. */
export const SWIFT_SCOPE: NameGrammar = {
  what: 'package scope',
  pattern: /^[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}$/,
  rule: 'letters, digits and single "-" between them, at most 39 characters',
  maxLength: 39,
};

/** SE-0292 §3.6: alphanumerics, `-` and `_`, not leading, trailing or doubled, 1–100. */
export const SWIFT_NAME: NameGrammar = {
  what: 'package name',
  pattern: /^[A-Za-z0-9](?:[A-Za-z0-9]|[-_](?=[A-Za-z0-9])){0,99}$/,
  rule: 'letters, digits and single "-" or "_" between them, at most 100 characters',
  maxLength: 100,
  fileName: true,
};

/** SE-0292 §3.6: a semantic version (pre-release and build metadata kept). */
export const SWIFT_VERSION: NameGrammar = {
  what: 'version',
  pattern:
    /^(?:0|[1-9][0-9]*)\.(?:0|[1-9][0-9]*)\.(?:0|[1-9][0-9]*)(?:-[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?(?:\+[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?$/,
  rule: 'a semantic version (1.0.3, 2.0.0-beta.1)',
  maxLength: 128,
};

/** `?swift-version=` and the `@swift-X` of a manifest's name. */
export const SWIFT_TOOLS_VERSION: NameGrammar = {
  what: 'swift version',
  pattern: /^[0-9]+(?:\.[0-9]+){0,2}$/,
  rule: 'major[.minor[.patch]] (5.6, 5.6.0)',
  maxLength: 32,
};

const MANIFEST = /^Package(?:@swift-([0-9]+(?:\.[0-9]+){0,2}))?\.swift$/;

/** The version-specific key of a manifest file name: '' for Package.swift, `5.6` for Package@swift-5.6.swift; undefined otherwise. */
export function manifestKey(baseName: string): string | undefined {
  const m = MANIFEST.exec(baseName);
  if (!m) return undefined;
  return m[1] === undefined ? '' : trimSwiftVersion(m[1]);
}

/** `5.6.0` → `5.6`, `5` → `5.0`: the form manifests are keyed by. */
export function trimSwiftVersion(v: string): string {
  const [major, minor = '0', patch = '0'] = v.split('.').map((p) => String(Number(p)));
  return patch === '0' ? `${major}.${minor}` : `${major}.${minor}.${patch}`;
}

/** The `// swift-tools-version:X.Y` of a manifest's first line, trimmed; undefined when absent. */
export function toolsVersion(manifest: string): string | undefined {
  const first = manifest.split('\n', 1)[0];
  const m = /^\/\/\s*swift-tools-version\s*:\s*([0-9]+(?:\.[0-9]+){0,2})/.exec(first);
  return m ? trimSwiftVersion(m[1]) : undefined;
}

/** One manifest of a release: key ('' or `5.6`), tools version, text. */
export interface SwiftManifest {
  key: string;
  toolsVersion?: string;
  content: string;
}

/** The version metadata Wharf stores (docs/protocols/swift.md §3). */
export interface SwiftMetadata {
  description?: string;
  keywords?: string[];
  license?: string;
  readmeURL?: string;
  codeRepository?: string;
  repositoryURLs?: string[];
  author?: { name?: string; email?: string; givenName?: string; familyName?: string };
  manifests: SwiftManifest[];
}

const MAX_TEXT = 64 * 1024;
const MAX_URLS = 32;

/**
 * The publish `metadata` part (SE-0391's package-metadata.json, or Forgejo's schema.org
 * subset): not JSON or not an object → 400; fields of the wrong type are left out.
 */
export function parsePublishMetadata(bytes: Buffer): Omit<SwiftMetadata, 'manifests'> {
  let parsed: unknown;
  try {
    parsed = parseJsonDocument(bytes, 'the metadata');
  } catch (err) {
    throw new InvalidArtifactError(
      `the metadata is not valid JSON: ${err instanceof Error ? err.message : String(err)}`,
    );
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed))
    throw new InvalidArtifactError('the metadata must be a JSON object');
  const m = parsed as Record<string, unknown>;
  const out: Omit<SwiftMetadata, 'manifests'> = {};
  const text = (v: unknown) =>
    typeof v === 'string' && v.trim() && v.length <= MAX_TEXT ? v : undefined;
  out.description = text(m.description);
  out.license = text(m.licenseURL) ?? text(m.license);
  out.readmeURL = url(m.readmeURL);
  out.codeRepository = url(m.codeRepository);
  if (Array.isArray(m.keywords))
    out.keywords = m.keywords.filter((k): k is string => !!text(k)).slice(0, 64);
  if (Array.isArray(m.repositoryURLs))
    out.repositoryURLs = m.repositoryURLs
      .filter((u): u is string => typeof u === 'string' && !!u && u.length <= 2048)
      .slice(0, MAX_URLS);
  if (m.author && typeof m.author === 'object' && !Array.isArray(m.author)) {
    const a = m.author as Record<string, unknown>;
    const author = {
      givenName: text(a.givenName),
      familyName: text(a.familyName),
      email: text(a.email),
      name: text(a.name),
    };
    author.name ??=
      [author.givenName, text(a.middleName), author.familyName].filter(Boolean).join(' ') ||
      undefined;
    if (Object.values(author).some(Boolean)) out.author = author;
  }
  for (const k of Object.keys(out) as (keyof typeof out)[]) if (out[k] === undefined) delete out[k];
  return out;
}

function url(v: unknown): string | undefined {
  if (typeof v !== 'string' || v.length > 2048) return undefined;
  try {
    const u = new URL(v);
    return u.protocol === 'http:' || u.protocol === 'https:' ? v : undefined;
  } catch {
    return undefined;
  }
}

/** Semantic-version order, highest last. */
export function compareSwiftVersions(a: string, b: string): number {
  return semver.compare(a, b);
}

/** The highest version, releases before pre-releases (`latest-version`). */
export function latestVersion(versions: string[]): string | undefined {
  const releases = versions.filter((v) => !semver.prerelease(v));
  return (releases.length ? releases : versions).sort(compareSwiftVersions).at(-1);
}

/** The media kinds SE-0292 §3.5 defines: `application/vnd.swift.registry.v1+{kind}`. */
export type SwiftMediaKind = 'json' | 'zip' | 'swift';

/**
 * Checks `Accept` (SE-0292 §3.5): absent, a wildcard or `application/vnd.swift.registry[.v1]+x`
 * passes; the registry type with another API version is a 415; anything else a 400.
 */
export function checkAccept(accept: string | undefined): void {
  if (!accept?.trim()) return;
  let otherVersion: string | undefined;
  for (const range of accept.split(',')) {
    const type = range.split(';')[0].trim().toLowerCase();
    if (type === '*/*' || type === 'application/*') return;
    const m = /^application\/vnd\.swift\.registry(?:\.v([0-9a-z]+))?\+(json|zip|swift)$/.exec(type);
    if (!m) continue;
    if (m[1] === undefined || m[1] === '1') return;
    otherVersion = m[1];
  }
  if (otherVersion !== undefined)
    throw new UnsupportedApiVersionError(
      `API version ${otherVersion.slice(0, 16)} is not supported: this registry speaks version 1`,
    );
  throw RegistryError.invalid(
    'unknown Accept header: send application/vnd.swift.registry.v1+json, +zip or +swift',
  );
}

/** A registry media type of another API version: the Swift filter answers it 415. */
export class UnsupportedApiVersionError extends RegistryError {
  constructor(message: string) {
    super(RegistryErrorCode.InvalidArgument, message);
  }
}
