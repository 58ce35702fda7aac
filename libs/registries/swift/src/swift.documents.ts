import type { SwiftManifest, SwiftMetadata } from './swift.metadata';

/*
 * Documents the registry serves (docs/protocols/swift.md §4), from plain values.
 */

/** `GET /{scope}/{name}`: `{"releases": {"1.0.3": {"url": …}}}`. */
export function buildReleases(releases: { version: string; url: string }[]): string {
  const body: Record<string, { url: string }> = {};
  for (const r of releases) body[r.version] = { url: r.url };
  return JSON.stringify({ releases: body });
}

export interface ReleaseInput {
  scope: string;
  name: string;
  version: string;
  checksum: string;
  publishedAt?: Date;
  metadata: SwiftMetadata;
}

/** `GET /{scope}/{name}/{version}`: id, version, the source archive resource, schema.org metadata. */
export function buildReleaseMetadata(r: ReleaseInput): string {
  const m = r.metadata;
  const metadata: Record<string, unknown> = {
    '@context': ['http://schema.org/'],
    '@type': 'SoftwareSourceCode',
    name: r.name,
    version: r.version,
    description: m.description,
    keywords: m.keywords,
    codeRepository: m.codeRepository,
    license: m.license,
    readmeURL: m.readmeURL,
    repositoryURLs: m.repositoryURLs,
    author: m.author && { '@type': 'Person', ...m.author },
    programmingLanguage: {
      '@type': 'ComputerLanguage',
      name: 'Swift',
      url: 'https://swift.org',
    },
  };
  return JSON.stringify({
    id: `${r.scope}.${r.name}`,
    version: r.version,
    resources: [{ name: 'source-archive', type: 'application/zip', checksum: r.checksum }],
    metadata,
    publishedAt: r.publishedAt?.toISOString(),
  });
}

/** The `Link` of the unqualified manifest: one `alternate` per `Package@swift-X.swift` (SE-0292 §4.3). */
export function manifestLinks(manifestUrl: string, manifests: SwiftManifest[]): string | undefined {
  const links = manifests
    .filter((m) => m.key !== '')
    .map((m) => {
      const tools = m.toolsVersion ? `; swift-tools-version="${m.toolsVersion}"` : '';
      return `<${manifestUrl}?swift-version=${m.key}>; rel="alternate"; filename="${manifestFileName(m.key)}"${tools}`;
    });
  return links.length ? links.join(', ') : undefined;
}

export function manifestFileName(key: string): string {
  return key ? `Package@swift-${key}.swift` : 'Package.swift';
}

/** `GET /identifiers?url=`: `{"identifiers": ["scope.name"]}`. */
export function buildIdentifiers(ids: string[]): string {
  return JSON.stringify({ identifiers: ids });
}
