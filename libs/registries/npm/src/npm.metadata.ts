import { Readable } from 'node:stream';
import semver from 'semver';
import {
  checkName,
  InvalidArtifactError,
  NameGrammar,
  readTarEntry,
  RegistryError,
} from '@wharf/packages-core';

/*
 * Pure rules of the npm format (docs/protocols/npm.md §3): names, versions, dist-tags, the version
 * manifest kept from a publish document, and the package.json inside the tarball.
 */

/** Package property holding a dist-tag: `npm.tag.<tag>` = version. */
export const NPM_TAG_PROPERTY = 'npm.tag.';

/** What a version row's metadata JSON holds. */
export interface NpmVersionMetadata {
  /** The version object of the publish document, without `_id`, `_rev` and `dist`. */
  manifest: Record<string, unknown>;
  /** Computed by Wharf from the stored tarball, never taken from the client. */
  dist: NpmDist;
}

export interface NpmDist {
  filename: string;
  shasum: string;
  integrity: string;
  size: number;
}

/*
 * The grammar of each coordinate (docs/protocols/npm.md §3), applied through core's checkName
 * (which also refuses look-alike dots and slashes, percent-encoded paths, control characters).
 */

// validate-npm-package-name for new packages: lower case, URL-safe, ≤ 214 characters, no
// leading `.` or `_`; a `/` only after an `@scope`. The pattern is per segment; the whole
// name is checked by NAME below.
const NAME = /^(?:@[a-z0-9-~][a-z0-9-._~]*\/)?[a-z0-9-~][a-z0-9-._~]*$/;
const NAME_RULE = 'lower-case letters, digits and "-._~", optionally under an @scope/';
export const NPM_NAME: NameGrammar = {
  what: 'package name',
  pattern: /^@?[a-z0-9-~][a-z0-9-._~]*$/,
  rule: NAME_RULE,
  maxLength: 214,
  allowSlash: true,
};
// Names npm's validator blacklists for any package.
const RESERVED_NAMES = new Set(['node_modules', 'favicon.ico']);

// SemVer 2 (semver.org's regex), with the `v` or `=` prefix node-semver accepts and drops.
const SEMVER_SOURCE =
  '(?:0|[1-9]\\d*)\\.(?:0|[1-9]\\d*)\\.(?:0|[1-9]\\d*)' +
  '(?:-(?:0|[1-9]\\d*|\\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\\.(?:0|[1-9]\\d*|\\d*[a-zA-Z-][0-9a-zA-Z-]*))*)?' +
  '(?:\\+[0-9a-zA-Z-]+(?:\\.[0-9a-zA-Z-]+)*)?';
export const NPM_VERSION: NameGrammar = {
  what: 'version',
  pattern: new RegExp(`^[v=]?${SEMVER_SOURCE}$`),
  rule: 'a SemVer 2 version such as 1.2.3 or 1.0.0-beta.1',
  maxLength: 256,
};

// npm publishes tags such as `latest`, `next`, `beta`, `v2-lts`: URL-safe without escaping.
export const NPM_DIST_TAG: NameGrammar = {
  what: 'dist-tag',
  pattern: /^[A-Za-z0-9_~-][A-Za-z0-9._~-]*$/,
  rule: 'letters, digits and "-._~", not starting with "."',
  maxLength: 128,
};

// What `npm pack` and the registry name a tarball: `<name without scope>-<version>.tgz`
// (Forgejo stores it lower-cased). The exact name is compared with tarballFileName.
export const NPM_TARBALL_NAME: NameGrammar = {
  what: 'tarball file name',
  pattern: new RegExp(`^[a-z0-9-~][a-z0-9-._~]*-v?${SEMVER_SOURCE}\\.tgz$`, 'i'),
  rule: '<package name without scope>-<version>.tgz',
  fileName: true,
};

// The CouchDB `_rev` npm sends back in `-rev/{rev}` (Wharf serves none; npm sends what the
// packument had, or a placeholder such as Forgejo's tests' `dummy`): an opaque token.
export const NPM_REVISION: NameGrammar = {
  what: 'revision',
  pattern: /^[A-Za-z0-9][A-Za-z0-9._-]*$/,
  rule: 'letters, digits and "-._"',
  maxLength: 128,
};

/** A package name as npm allows new ones; a 400 that names the rule otherwise. */
export function assertNpmName(name: string): void {
  checkName(name, NPM_NAME);
  if (!NAME.test(name)) {
    throw RegistryError.invalid(
      `invalid package name ${JSON.stringify(name)}: it must consist of ${NAME_RULE}`,
    );
  }
  if (RESERVED_NAMES.has(name.replace(/^@[^/]+\//, '')))
    throw RegistryError.invalid(`invalid package name ${JSON.stringify(name)}: it is reserved`);
}

/** A version or a dist-tag from a URL (`GET /{pkg}/{versionOrTag}`). */
export function assertVersionOrTag(value: string): void {
  if (semver.valid(value) !== null) checkName(value, NPM_VERSION);
  else checkName(value, NPM_DIST_TAG);
}

/**
 * The tarball a URL names (`/{pkg}/-/[{version}/]{file}`): npm's own name for a version of
 * `name`, and of `version` when the URL names one. Returns the version the name carries.
 */
export function tarballVersion(name: string, filename: string, version?: string): string {
  checkName(filename, NPM_TARBALL_NAME);
  if (version !== undefined) checkName(version, NPM_VERSION);
  const prefix = `${name.replace(/^@[^/]+\//, '')}-`;
  const inName = filename.slice(prefix.length, -'.tgz'.length);
  const canonical = filename.toLowerCase().startsWith(prefix) ? semver.valid(inName) : null;
  // Compared without case: Forgejo stores the file name lower-cased, prerelease included.
  const asked = version === undefined ? undefined : semver.valid(version)?.toLowerCase();
  if (!canonical || (asked !== undefined && asked !== canonical.toLowerCase())) {
    throw RegistryError.invalid(
      `invalid tarball file name ${filename}: npm names it ${tarballFileName(name, version ?? '<version>')}`,
    );
  }
  return canonical;
}

/**
 * The attachment key of a publish document is the file name npm gives the tarball:
 * libnpmpublish writes `<name>-<version>.tgz` with the scope (`@scope/pkg-1.0.0.tgz`),
 * the registry serves it without (`pkg-1.0.0.tgz`); either names this version.
 */
export function assertAttachmentName(key: string, name: string, version: string): void {
  const unscoped = name.replace(/^@[^/]+\//, '');
  const scope = name.length > unscoped.length ? name.slice(0, -unscoped.length) : '';
  const file = scope && key.toLowerCase().startsWith(scope) ? key.slice(scope.length) : key;
  tarballVersion(unscoped, file);
  const named = semver.valid(file.slice(unscoped.length + 1, -'.tgz'.length));
  if (named?.toLowerCase() !== version.toLowerCase())
    throw RegistryError.invalid(
      `invalid attachment ${JSON.stringify(key)}: the document publishes ${name}@${version}`,
    );
}

/** The package name a URL names: `name`, `@scope/name`, or its escaped forms (decoded by the router). */
export function packageNameFromPath(first: string, second?: string): string {
  const name = second === undefined ? first : `${first}/${second}`;
  assertNpmName(name);
  return name;
}

/** The canonical SemVer 2 form of a version (`v1.0.0` → `1.0.0`); a 400 when it is none. */
export function canonicalVersion(version: unknown): string {
  const canonical = typeof version === 'string' ? semver.valid(version) : null;
  if (!canonical)
    throw RegistryError.invalid(
      `invalid package version ${JSON.stringify(version)}: it must be SemVer`,
    );
  // node-semver also takes what the grammar does not (surrounding spaces): refused.
  checkName(version as string, NPM_VERSION);
  return canonical;
}

/** A dist-tag name: npm refuses tags that read as a version or range (`1.0`, `v1.0`), since `pkg@<tag>` would be ambiguous. */
export function assertDistTag(tag: string): void {
  checkName(tag, NPM_DIST_TAG);
  if (semver.validRange(tag) !== null) {
    throw RegistryError.invalid(
      `invalid dist-tag ${JSON.stringify(tag)}: a tag must not be a version or range, nor contain special characters`,
    );
  }
}

/**
 * The one version a publish document (`PUT /{pkg}`, docs/protocols/npm.md §3) publishes, checked against
 * the package the URL names: its canonical version, its version object, and the dist-tags
 * to move (`latest` when the document names none).
 */
export function readPublishedVersion(
  doc: Record<string, unknown>,
  name: string,
): { version: string; raw: unknown; tags: string[] } {
  if (doc.name !== undefined && doc.name !== name) {
    throw RegistryError.invalid(
      `the document publishes ${JSON.stringify(doc.name)}, but the URL names ${name}`,
    );
  }
  const entries = isRecord(doc.versions) ? Object.entries(doc.versions) : [];
  if (entries.length !== 1)
    throw RegistryError.invalid('package is invalid: a publish document holds exactly one version');
  const [key, raw] = entries[0];
  const version = canonicalVersion(isRecord(raw) && raw.version !== undefined ? raw.version : key);
  if (isRecord(raw) && raw.name !== undefined && raw.name !== name) {
    throw RegistryError.invalid(
      `the version object names ${JSON.stringify(raw.name)}, but the URL names ${name}`,
    );
  }
  const tags =
    isRecord(doc['dist-tags']) && Object.keys(doc['dist-tags']).length
      ? Object.keys(doc['dist-tags'])
      : ['latest'];
  tags.forEach(assertDistTag);
  return { version, raw, tags };
}

/** The stored tarball name, as Forgejo names it: lower-cased `<name without scope>-<version>.tgz`. */
export function tarballFileName(name: string, version: string): string {
  return `${name.replace(/^@[^/]+\//, '')}-${version}.tgz`.toLowerCase();
}

/** The version object kept from a publish document: what the client described, minus what Wharf owns. */
export function versionManifest(
  raw: unknown,
  name: string,
  version: string,
): Record<string, unknown> {
  if (!isRecord(raw))
    throw RegistryError.invalid('invalid publish document: versions must hold one version object');
  const { _id, _rev, dist, _attachments, ...manifest } = raw; // eslint-disable-line @typescript-eslint/no-unused-vars
  return { ...manifest, name, version };
}

/**
 * `dist.integrity` as npm computes it (`sha512-<base64>`, or `sha1-…` from old clients),
 * against the stored bytes. Several space-separated hashes: each must match.
 */
export function assertIntegrity(
  integrity: unknown,
  digests: { sha1: string; sha512: string },
): void {
  if (integrity === undefined) return;
  const ok =
    typeof integrity === 'string' &&
    integrity.trim().length > 0 &&
    integrity
      .trim()
      .split(/\s+/)
      .every((entry) => {
        const [algo, b64] = [
          entry.slice(0, entry.indexOf('-')),
          entry.slice(entry.indexOf('-') + 1).replace(/\?.*$/, ''),
        ];
        if (algo === 'sha512') return b64 === Buffer.from(digests.sha512, 'hex').toString('base64');
        if (algo === 'sha1') return b64 === Buffer.from(digests.sha1, 'hex').toString('base64');
        return true; // an algorithm we do not compute cannot be checked (and npm ignores it too)
      });
  if (!ok)
    throw new InvalidArtifactError(
      'failed to validate integrity: dist.integrity does not match the attached tarball',
    );
}

/** `dist.integrity` served for a stored tarball. */
export function integrityOf(sha512Hex: string): string {
  return `sha512-${Buffer.from(sha512Hex, 'hex').toString('base64')}`;
}

// package.json is a few KB; npm itself refuses a manifest over 1 MiB... generous here.
const MAX_PACKAGE_JSON = 4 * 1024 * 1024;
// Decompressed bytes of the whole tarball (a gzip bomb stops here).
const MAX_UNPACKED = 512 * 1024 * 1024;

/**
 * Name and version from `package/package.json` of a gzip'd tarball (npm packs everything
 * under `package/`; the first `<dir>/package.json` at depth one counts, as npm's own reader does).
 */
export async function readTarballManifest(
  archive: Readable,
): Promise<{ name: unknown; version: unknown }> {
  const text = await readTarEntry(
    archive,
    (e) => /^[^/]+\/package\.json$/.test(e.name.replace(/^\.\//, '')),
    {
      compression: 'gzip',
      maxEntrySize: MAX_PACKAGE_JSON,
      maxUnpacked: MAX_UNPACKED,
      label: 'the tarball',
      // Links refused: npm's extractor drops link entries, so a package never needs one.
    },
  );
  if (!text) throw new InvalidArtifactError('the tarball has no package/package.json');
  let json: unknown;
  try {
    json = JSON.parse(text.toString('utf8').replace(/^\uFEFF/, ''));
  } catch {
    throw new InvalidArtifactError('package/package.json in the tarball is not valid JSON');
  }
  if (!isRecord(json))
    throw new InvalidArtifactError('package/package.json in the tarball is not a JSON object');
  return { name: json.name, version: json.version };
}

/** The tarball's package.json must describe the version the document publishes (docs/protocols/npm.md §3, issue 6). */
export function assertManifestAgrees(
  found: { name: unknown; version: unknown },
  name: string,
  version: string,
): void {
  if (found.name !== name) {
    throw new InvalidArtifactError(
      `the tarball's package.json names ${JSON.stringify(found.name)}, but the document publishes ${name}`,
    );
  }
  const v = typeof found.version === 'string' ? semver.valid(found.version) : null;
  if (v !== version) {
    throw new InvalidArtifactError(
      `the tarball's package.json has version ${JSON.stringify(found.version)}, but the document publishes ${version}`,
    );
  }
}

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
