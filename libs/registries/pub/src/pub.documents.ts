import { comparePubVersions, latestVersion } from './pub.metadata';

/*
 * The hosted-pub v2 documents (docs/protocols/pub.md §4), built from plain values.
 */

export const PUB_JSON = 'application/vnd.pub.v2+json';

export interface PubVersionEntry {
  version: string;
  archiveUrl: string;
  archiveSha256: string;
  pubspec: Record<string, unknown>;
  /** Seconds since the epoch. */
  publishedUnix: number;
}

/** One version as the spec lists it: `{version, archive_url, archive_sha256, pubspec, published}`. */
export function versionObject(v: PubVersionEntry): Record<string, unknown> {
  return {
    version: v.version,
    archive_url: v.archiveUrl,
    archive_sha256: v.archiveSha256,
    pubspec: v.pubspec,
    published: new Date(v.publishedUnix * 1000).toISOString(),
  };
}

/**
 * `GET api/packages/{name}`: `{name, latest, versions}` with versions in ascending SemVer
 * order and `latest` the highest non-prerelease (the spec's "latest", not Forgejo's first).
 */
export function buildPackageDocument(name: string, versions: PubVersionEntry[]): string {
  const sorted = [...versions].sort((a, b) => comparePubVersions(a.version, b.version));
  const latest = latestVersion(sorted.map((v) => v.version));
  const latestEntry = sorted.find((v) => v.version === latest);
  return JSON.stringify({
    name,
    latest: latestEntry ? versionObject(latestEntry) : null,
    versions: sorted.map(versionObject),
  });
}
