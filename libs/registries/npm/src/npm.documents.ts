import semver from 'semver';
import { NpmVersionMetadata } from './npm.metadata';

/*
 * Pure builders of the documents npm reads (docs/protocols/npm.md §4): the packument, its abbreviated
 * "corgi" form for installs, and search results. Inputs are plain values from the read model.
 */

export interface StoredNpmVersion {
  version: string;
  metadata: NpmVersionMetadata;
  createdUnix: number;
  creatorId?: number;
}

export interface PackumentInput {
  name: string;
  versions: StoredNpmVersion[];
  /** tag → version, already limited to versions that exist. */
  tags: Record<string, string>;
  /** `{base}` of the owner's npm registry, absolute, no trailing slash. */
  registryUrl: string;
  createdUnix: number;
}

/** Media type of the abbreviated ("corgi") packument. */
export const ABBREVIATED_PACKUMENT = 'application/vnd.npm.install-v1+json';

// The abbreviated document only when npm prefers it: `application/vnd.npm.install-v1+json; q=1.0, application/json; q=0.8, */*`.
export function wantsAbbreviated(accept: string | undefined): boolean {
  if (!accept) return false;
  const first = accept.split(',')[0].split(';')[0].trim().toLowerCase();
  return first === ABBREVIATED_PACKUMENT;
}

// Fields of the version object npm's abbreviated metadata keeps (npm registry docs, "Abbreviated version object").
const ABBREVIATED_FIELDS = [
  'name',
  'version',
  'deprecated',
  'dependencies',
  'optionalDependencies',
  'devDependencies',
  'bundleDependencies',
  'peerDependencies',
  'peerDependenciesMeta',
  'acceptDependencies',
  'bin',
  'directories',
  'engines',
  'os',
  'cpu',
  'funding',
  'license',
  '_hasShrinkwrap',
];

// Top-level fields taken from the version dist-tag `latest` points at (or the highest version).
const TOP_LEVEL_FIELDS = [
  'description',
  'readme',
  'homepage',
  'keywords',
  'repository',
  'author',
  'bugs',
  'license',
  'maintainers',
  'contributors',
];

/** The absolute URL `dist.tarball` points at; kept under `{base}` because `npm unpublish` deletes `<tarball>/-rev/<rev>`. */
export function tarballUrl(
  registryUrl: string,
  name: string,
  version: string,
  filename: string,
): string {
  return `${registryUrl}/${encodeURIComponent(name)}/-/${encodeURIComponent(version)}/${encodeURIComponent(filename)}`;
}

/** Versions in SemVer order, lowest first. */
export function sortVersions<T extends { version: string }>(versions: T[]): T[] {
  return [...versions].sort((a, b) => semver.compare(a.version, b.version));
}

/** The version a package is described by: `latest` if it exists, else the highest release, else the highest. */
export function headVersion(
  versions: StoredNpmVersion[],
  tags: Record<string, string>,
): StoredNpmVersion | undefined {
  const sorted = sortVersions(versions);
  return (
    sorted.find((v) => v.version === tags.latest) ??
    [...sorted].reverse().find((v) => !semver.prerelease(v.version)) ??
    sorted[sorted.length - 1]
  );
}

/** The full packument (`GET /{pkg}`, also with `?write=true`). */
export function buildPackument(input: PackumentInput): Record<string, unknown> {
  const versions = sortVersions(input.versions);
  const head = headVersion(versions, input.tags);
  const doc: Record<string, unknown> = { _id: input.name, name: input.name };
  for (const field of TOP_LEVEL_FIELDS) {
    if (head?.metadata.manifest[field] !== undefined) doc[field] = head.metadata.manifest[field];
  }
  doc['dist-tags'] = input.tags;
  doc.versions = Object.fromEntries(versions.map((v) => [v.version, versionDocument(input, v)]));
  doc.time = {
    created: iso(input.createdUnix),
    modified: iso(Math.max(input.createdUnix, ...versions.map((v) => v.createdUnix))),
    ...Object.fromEntries(versions.map((v) => [v.version, iso(v.createdUnix)])),
  };
  return doc;
}

/** One version object as the packument holds it (also `GET /{pkg}/{version}`). */
export function versionDocument(
  input: Pick<PackumentInput, 'name' | 'registryUrl'>,
  v: StoredNpmVersion,
): Record<string, unknown> {
  return {
    ...v.metadata.manifest,
    _id: `${input.name}@${v.version}`,
    name: input.name,
    version: v.version,
    dist: distOf(input, v),
  };
}

/** The abbreviated packument npm asks for on install (`Accept: application/vnd.npm.install-v1+json`). */
export function buildAbbreviatedPackument(input: PackumentInput): Record<string, unknown> {
  const versions = sortVersions(input.versions);
  return {
    name: input.name,
    modified: iso(Math.max(input.createdUnix, ...versions.map((v) => v.createdUnix))),
    'dist-tags': input.tags,
    versions: Object.fromEntries(
      versions.map((v) => {
        const manifest = v.metadata.manifest;
        const abbreviated: Record<string, unknown> = {};
        for (const field of ABBREVIATED_FIELDS)
          if (manifest[field] !== undefined) abbreviated[field] = manifest[field];
        abbreviated.name = input.name;
        abbreviated.version = v.version;
        if (hasInstallScript(manifest)) abbreviated.hasInstallScript = true;
        abbreviated.dist = distOf(input, v);
        return [v.version, abbreviated];
      }),
    ),
  };
}

export interface SearchHit {
  name: string;
  head: StoredNpmVersion;
  publisher?: string;
}

/** `GET /-/v1/search` (docs/protocols/npm.md §4). npm prints `maintainers` and `publisher` and breaks without them. */
export function buildSearchResults(
  hits: SearchHit[],
  total: number,
  registryUrl: string,
  now: Date,
): Record<string, unknown> {
  return {
    objects: hits.map(({ name, head, publisher }) => {
      const m = head.metadata.manifest;
      const scope = name.startsWith('@') ? name.slice(1, name.indexOf('/')) : 'unscoped';
      const people = publisher ? [{ username: publisher }] : [];
      return {
        package: {
          // The full name, as npmjs answers (Forgejo's unscoped name makes `npm search` print the wrong package).
          name,
          scope,
          version: head.version,
          description: typeof m.description === 'string' ? m.description : undefined,
          keywords: Array.isArray(m.keywords) ? m.keywords : [],
          date: iso(head.createdUnix),
          links: {
            npm: `${registryUrl}/${encodeURIComponent(name)}`,
            ...(typeof m.homepage === 'string' ? { homepage: m.homepage } : {}),
          },
          publisher: people[0],
          maintainers: people,
        },
        score: { final: 1, detail: { quality: 1, popularity: 1, maintenance: 1 } },
        searchScore: 1,
      };
    }),
    total,
    time: now.toUTCString(),
  };
}

function distOf(
  input: Pick<PackumentInput, 'name' | 'registryUrl'>,
  v: StoredNpmVersion,
): Record<string, unknown> {
  const dist = v.metadata.dist;
  return {
    shasum: dist.shasum,
    integrity: dist.integrity,
    tarball: tarballUrl(input.registryUrl, input.name, v.version, dist.filename),
  };
}

function hasInstallScript(manifest: Record<string, unknown>): boolean {
  const scripts = manifest.scripts as Record<string, unknown> | undefined;
  return (
    !!scripts &&
    typeof scripts === 'object' &&
    ['preinstall', 'install', 'postinstall'].some((s) => s in scripts)
  );
}

function iso(unix: number): string {
  return new Date(unix * 1000).toISOString();
}
