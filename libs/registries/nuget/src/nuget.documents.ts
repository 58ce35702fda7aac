import type { NuGetMetadata } from './nuget.metadata';
import { isPrerelease } from './nuget-version';

/*
 * Pure builders of the NuGet v3 documents (docs/protocols/nuget.md §4): the service
 * index, the flat container's version list, registration index and leaves, and search
 * results. Plain values in, JSON text out. URLs use the lower-case id and version, as
 * the flat container requires and the NuGet client writes them itself.
 */

/** One stored version, as every NuGet document (v2 and v3) is built from. */
export interface NuGetVersionEntry {
  /** The package id as first pushed. */
  id: string;
  /** Normalised. */
  version: string;
  createdUnix: number;
  downloads: number;
  /** Bytes of the .nupkg. */
  size: number;
  sha512: string;
  metadata: NuGetMetadata;
}

/** The URLs of one owner's feed; `root` has no trailing slash. */
export class NuGetLinks {
  constructor(readonly root: string) {}

  registrationIndex(id: string): string {
    return `${this.root}/registration/${seg(id)}/index.json`;
  }

  registrationLeaf(id: string, version: string): string {
    return `${this.root}/registration/${seg(id)}/${seg(version)}.json`;
  }

  nupkg(id: string, version: string): string {
    return `${this.root}/package/${seg(id)}/${seg(version)}/${seg(id)}.${seg(version)}.nupkg`;
  }
}

function seg(value: string): string {
  return encodeURIComponent(value.toLowerCase());
}

/** `index.json`: the resources NuGet 3+ looks up by type. */
export function buildServiceIndex(root: string): string {
  const resource = (id: string, types: string[]) => types.map((t) => ({ '@id': id, '@type': t }));
  return JSON.stringify({
    version: '3.0.0',
    resources: [
      ...resource(`${root}/query`, [
        'SearchQueryService',
        'SearchQueryService/3.0.0-beta',
        'SearchQueryService/3.0.0-rc',
      ]),
      ...resource(`${root}/registration`, [
        'RegistrationsBaseUrl',
        'RegistrationsBaseUrl/3.0.0-beta',
        'RegistrationsBaseUrl/3.0.0-rc',
      ]),
      ...resource(`${root}/package`, ['PackageBaseAddress/3.0.0']),
      ...resource(root, ['PackagePublish/2.0.0']),
      ...resource(`${root}/symbolpackage`, ['SymbolPackagePublish/4.9.0']),
    ],
  });
}

/** `package/{id}/index.json`: the versions, lower case, in NuGet's order. */
export function buildVersionList(versions: NuGetVersionEntry[]): string {
  return JSON.stringify({ versions: versions.map((v) => v.version.toLowerCase()) });
}

/** `registration/{id}/index.json`: one inline page with every version, in NuGet's order. */
export function buildRegistrationIndex(links: NuGetLinks, versions: NuGetVersionEntry[]): string {
  const first = versions[0];
  const last = versions[versions.length - 1];
  const index = links.registrationIndex(first.id);
  return JSON.stringify({
    '@id': index,
    '@type': ['catalog:CatalogRoot', 'PackageRegistration', 'catalog:Permalink'],
    count: 1,
    items: [
      {
        '@id': `${index}#page/${first.version.toLowerCase()}/${last.version.toLowerCase()}`,
        '@type': 'catalog:CatalogPage',
        count: versions.length,
        lower: first.version.toLowerCase(),
        upper: last.version.toLowerCase(),
        parent: index,
        items: versions.map((v) => ({
          '@id': links.registrationLeaf(v.id, v.version),
          '@type': 'Package',
          catalogEntry: catalogEntry(links, v),
          packageContent: links.nupkg(v.id, v.version),
          registration: index,
        })),
      },
    ],
  });
}

function catalogEntry(links: NuGetLinks, v: NuGetVersionEntry) {
  const m = v.metadata;
  return {
    '@id': links.registrationLeaf(v.id, v.version),
    '@type': 'PackageDetails',
    id: v.id,
    version: v.version,
    authors: m.authors,
    description: m.description,
    title: m.title ?? '',
    summary: m.summary ?? '',
    releaseNotes: m.releaseNotes ?? '',
    language: m.language ?? '',
    tags: tagList(m.tags),
    projectUrl: m.projectUrl ?? '',
    licenseUrl: m.licenseUrl ?? '',
    iconUrl: m.iconUrl ?? '',
    minClientVersion: m.minClientVersion ?? '',
    requireLicenseAcceptance: m.requireLicenseAcceptance,
    listed: true,
    published: isoTime(v.createdUnix),
    packageContent: links.nupkg(v.id, v.version),
    dependencyGroups: m.dependencyGroups.map((g) => ({
      targetFramework: g.targetFramework,
      dependencies: g.dependencies.map((d) => ({
        id: d.id,
        range: d.range ?? '',
        registration: links.registrationIndex(d.id),
      })),
    })),
  };
}

/** `registration/{id}/{version}.json`. */
export function buildRegistrationLeaf(links: NuGetLinks, v: NuGetVersionEntry): string {
  return JSON.stringify({
    '@id': links.registrationLeaf(v.id, v.version),
    '@type': ['Package', 'http://schema.nuget.org/catalog#Permalink'],
    catalogEntry: links.registrationLeaf(v.id, v.version),
    listed: true,
    packageContent: links.nupkg(v.id, v.version),
    published: isoTime(v.createdUnix),
    registration: links.registrationIndex(v.id),
  });
}

export interface SearchQuery {
  q: string;
  skip: number;
  take: number;
  prerelease: boolean;
}

export const DEFAULT_TAKE = 20;
export const MAX_TAKE = 1000;

/** The v3 search query: `q` trimmed, `skip` ≥ 0, `take` 0–1000 (20 when absent), `prerelease` true/false. */
export function searchQuery(raw: Record<string, unknown>): SearchQuery {
  const text = (v: unknown) => (typeof v === 'string' ? v.trim() : '');
  const int = (v: unknown, fallback: number) =>
    /^\d{1,9}$/.test(text(v)) ? Number(text(v)) : fallback;
  return {
    q: text(raw.q).slice(0, 200),
    skip: int(raw.skip, 0),
    take: Math.min(int(raw.take, DEFAULT_TAKE), MAX_TAKE),
    prerelease: text(raw.prerelease).toLowerCase() === 'true',
  };
}

/**
 * Each package whose id contains `q` (case-insensitive), paged by package; `prerelease`
 * false hides pre-release versions (a package with nothing else is left out). A `take`
 * of 0 is Forgejo's "every result". `packages` come sorted by id, versions in NuGet's order.
 */
export function searchPackages(
  packages: NuGetVersionEntry[][],
  q: string,
  prerelease: boolean,
): NuGetVersionEntry[][] {
  const needle = q.toLowerCase();
  return packages
    .filter((versions) => versions[0].id.toLowerCase().includes(needle))
    .map((versions) => (prerelease ? versions : versions.filter((v) => !isPrerelease(v.version))))
    .filter((versions) => versions.length);
}

/** `query?q=&skip=&take=&prerelease=`. */
export function buildSearchResult(
  links: NuGetLinks,
  packages: NuGetVersionEntry[][],
  query: SearchQuery,
): string {
  const matching = searchPackages(packages, query.q, query.prerelease);
  const page = matching.slice(query.skip, query.take ? query.skip + query.take : undefined);
  return JSON.stringify({
    totalHits: matching.length,
    data: page.map((versions) => {
      const latest = versions[versions.length - 1];
      const m = latest.metadata;
      return {
        '@id': links.registrationIndex(latest.id),
        '@type': 'Package',
        registration: links.registrationIndex(latest.id),
        id: latest.id,
        version: latest.version,
        description: m.description,
        summary: m.summary ?? '',
        title: m.title ?? latest.id,
        authors: m.authors,
        owners: m.owners ?? '',
        tags: tagList(m.tags),
        projectUrl: m.projectUrl ?? '',
        licenseUrl: m.licenseUrl ?? '',
        iconUrl: m.iconUrl ?? '',
        totalDownloads: versions.reduce((sum, v) => sum + v.downloads, 0),
        verified: false,
        packageTypes: [{ name: 'Dependency' }],
        versions: versions.map((v) => ({
          '@id': links.registrationLeaf(v.id, v.version),
          version: v.version,
          downloads: v.downloads,
        })),
      };
    }),
  });
}

function tagList(tags: string | undefined): string[] {
  return tags ? tags.split(/[\s,]+/).filter(Boolean) : [];
}

/** RFC 3339 in UTC, as nuget.org writes `published`. */
export function isoTime(unix: number): string {
  return new Date(unix * 1000).toISOString();
}
