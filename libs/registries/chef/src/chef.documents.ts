import { ChefMetadata, compareCookbookVersions } from './chef.metadata';

/*
 * Pure builders of the Supermarket documents (docs/protocols/chef.md §4). `api` is the
 * absolute `{base}/api/v1`: knife and Berkshelf follow the URLs these documents carry.
 */

/** One stored version of a cookbook, as the builders need it. */
export interface CookbookVersion {
  name: string;
  version: string;
  metadata: ChefMetadata;
  createdUnix: number;
  size: number;
}

/** A cookbook in the listing: its newest version (by Chef's version order) and when it last changed. */
export interface CatalogEntry {
  name: string;
  maintainer: string;
  description: string;
  /** Newest upload of any version, unix seconds: the order of `recently_updated`. */
  updatedUnix: number;
}

export interface ListQuery {
  /** Case-insensitive substring of the name; '' for every cookbook. */
  q: string;
  start: number;
  items: number;
  /** Newest first (`recently_updated`, `recently_added`) rather than by name. */
  recent: boolean;
}

export const DEFAULT_ITEMS = 30;
export const MAX_ITEMS = 50;

const segment = encodeURIComponent;

export function cookbookUrl(api: string, name: string): string {
  return `${api}/cookbooks/${segment(name)}`;
}

export function versionUrl(api: string, name: string, version: string): string {
  return `${cookbookUrl(api, name)}/versions/${segment(version)}`;
}

/** `/universe`: every version of every cookbook with its dependencies (Berkshelf's resolver reads it). */
export function buildUniverse(api: string, versions: CookbookVersion[]): string {
  const universe: Record<string, Record<string, unknown>> = {};
  for (const v of versions) {
    (universe[v.name] ??= {})[v.version] = {
      location_type: 'opscode',
      location_path: api,
      download_url: `${versionUrl(api, v.name, v.version)}/download`,
      dependencies: v.metadata.dependencies ?? {},
    };
  }
  return JSON.stringify(universe);
}

/** One entry per cookbook, from its versions (any order): the newest version describes it. */
export function buildCatalog(versions: CookbookVersion[]): CatalogEntry[] {
  const byName = new Map<string, CookbookVersion[]>();
  for (const v of versions) {
    const list = byName.get(v.name) ?? [];
    list.push(v);
    byName.set(v.name, list);
  }
  return [...byName.values()].map((list) => {
    const newest = list.reduce((a, b) =>
      compareCookbookVersions(a.version, b.version) < 0 ? b : a,
    );
    return {
      name: newest.name,
      maintainer: newest.metadata.author ?? '',
      description: newest.metadata.description ?? '',
      updatedUnix: Math.max(...list.map((v) => v.createdUnix)),
    };
  });
}

/** `/search` and `/cookbooks`: a page of the catalog; `total` counts every match. */
export function buildList(api: string, catalog: CatalogEntry[], query: ListQuery): string {
  const q = query.q.toLowerCase();
  const matches = catalog
    .filter((c) => c.name.toLowerCase().includes(q))
    .sort((a, b) =>
      query.recent && a.updatedUnix !== b.updatedUnix
        ? b.updatedUnix - a.updatedUnix
        : a.name.toLowerCase().localeCompare(b.name.toLowerCase()),
    );
  const items = matches.slice(query.start, query.start + query.items).map((c) => ({
    cookbook_name: c.name,
    cookbook_maintainer: c.maintainer,
    cookbook_description: c.description,
    cookbook: cookbookUrl(api, c.name),
  }));
  return JSON.stringify({ start: query.start, total: matches.length, items });
}

/** `/cookbooks/{name}`: the newest version's description and every version's URL, oldest first. */
export function buildCookbook(api: string, versions: CookbookVersion[]): string {
  const sorted = [...versions].sort((a, b) => compareCookbookVersions(a.version, b.version));
  const latest = sorted[sorted.length - 1];
  const updated = Math.max(...versions.map((v) => v.createdUnix));
  return JSON.stringify({
    name: latest.name,
    maintainer: latest.metadata.author ?? '',
    description: latest.metadata.description ?? '',
    category: '',
    latest_version: versionUrl(api, latest.name, latest.version),
    source_url: latest.metadata.repository_url ?? '',
    created_at: rfc3339(Math.min(...versions.map((v) => v.createdUnix))),
    updated_at: rfc3339(updated),
    deprecated: false,
    versions: sorted.map((v) => versionUrl(api, v.name, v.version)),
  });
}

/** `/cookbooks/{name}/versions/{version}`: `file` is what knife downloads (dots, never `_`). */
export function buildVersion(api: string, v: CookbookVersion): string {
  return JSON.stringify({
    version: v.version,
    tarball_file_size: v.size,
    published_at: rfc3339(v.createdUnix),
    cookbook: cookbookUrl(api, v.name),
    file: `${versionUrl(api, v.name, v.version)}/download`,
    license: v.metadata.license ?? '',
    dependencies: v.metadata.dependencies ?? {},
  });
}

/** Reads `q`, `start`, `items` and `order` the way Forgejo does; bad numbers fall back to the defaults. */
export function listQuery(query: Record<string, unknown>, withQ: boolean): ListQuery {
  const str = (v: unknown) => (typeof v === 'string' ? v.trim() : '');
  const int = (v: unknown) => (/^\d{1,9}$/.test(str(v)) ? Number(str(v)) : undefined);
  const items = int(query.items);
  // knife supermarket list sends `sort_order`; Forgejo reads `order`.
  const order = (str(query.order) || str(query.sort_order)).toLowerCase();
  return {
    q: withQ ? str(query.q).slice(0, 255) : '',
    start: int(query.start) ?? 0,
    items: !items ? DEFAULT_ITEMS : Math.min(items, MAX_ITEMS),
    recent: order === 'recently_updated' || order === 'recently_added',
  };
}

function rfc3339(unix: number): string {
  return new Date(unix * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}
