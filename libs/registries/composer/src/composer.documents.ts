import type { ComposerVersionMetadata } from './composer.metadata';
import { isDevVersion } from './composer-version';

/*
 * Pure builders of the documents a Composer repository serves (docs/protocols/composer.md §4):
 * the repository root `packages.json`, the p2 metadata of one package, `search.json`
 * and `list.json`. Plain values in, JSON text out.
 */

/** One stored version as the p2 documents list it. */
export interface ComposerVersion {
  name: string;
  version: string;
  createdUnix: number;
  metadata: ComposerVersionMetadata;
  dist: { type: 'zip' | 'tar'; url: string; shasum: string };
}

/** `packages.json`: where Composer 2 finds each package's metadata, the search and the list. */
export function buildPackagesJson(base: string): string {
  return JSON.stringify({
    search: `${base}/search.json?q=%query%&type=%type%`,
    'metadata-url': `${base}/p2/%package%.json`,
    list: `${base}/list.json`,
  });
}

/**
 * `p2/{name}.json` (tagged releases) or `p2/{name}~dev.json` (`dev` true: branches and
 * `-dev` versions), as Packagist splits them. Not minified: each entry is complete, so
 * Composer needs no `composer/2.0` expansion and a version without a field never
 * inherits it from the one before. Newest first; `versions` are given oldest first.
 */
export function buildP2Json(name: string, versions: ComposerVersion[], dev: boolean): string {
  // Versions come oldest first; reversed, a stable sort keeps the later of two in one second first.
  const entries = versions
    .filter((v) => isDevVersion(v.metadata.version_normalized) === dev)
    .reverse()
    .sort((a, b) => b.createdUnix - a.createdUnix)
    .map((v) => ({
      name: v.name,
      version: v.version,
      ...v.metadata,
      time: composerTime(v.createdUnix),
      dist: v.dist,
    }));
  return JSON.stringify({ packages: { [name]: entries } });
}

/** Composer parses `time` with PHP's DateTime; Packagist writes ISO 8601 with an offset. */
function composerTime(unix: number): string {
  return new Date(unix * 1000).toISOString().replace(/\.\d{3}Z$/, '+00:00');
}

/** One package as `search.json` shows it: its newest version's description and type. */
export interface CatalogEntry {
  name: string;
  description: string;
  type: string;
  downloads: number;
}

export interface SearchQuery {
  q: string;
  type: string;
  page: number;
  perPage: number;
}

/** Packagist's default page size and Forgejo's cap. */
export const DEFAULT_PER_PAGE = 30;
export const MAX_PER_PAGE = 50;

/** The query as Forgejo reads it: page ≥ 1, per_page 1–50 (30 when absent or 0). */
export function searchQuery(raw: Record<string, unknown>): SearchQuery {
  const text = (v: unknown) => (typeof v === 'string' ? v.trim() : '');
  const int = (v: unknown) => (/^\d{1,9}$/.test(text(v)) ? Number(text(v)) : 0);
  const perPage = int(raw.per_page);
  return {
    q: text(raw.q).slice(0, 200),
    type: text(raw.type).slice(0, 100),
    page: Math.max(1, int(raw.page)),
    perPage: perPage < 1 ? DEFAULT_PER_PAGE : Math.min(perPage, MAX_PER_PAGE),
  };
}

/**
 * `search.json` (Packagist's search API as Forgejo serves it): `q` a case-insensitive
 * substring of the name, `type` the exact package type; `next` only when the page is full.
 */
export function buildSearchJson(catalog: CatalogEntry[], query: SearchQuery, base: string): string {
  const q = query.q.toLowerCase();
  const matching = catalog.filter(
    (e) => e.name.includes(q) && (!query.type || e.type === query.type),
  );
  const start = (query.page - 1) * query.perPage;
  const page = matching.slice(start, start + query.perPage);
  const next = new URLSearchParams({
    q: query.q,
    type: query.type,
    page: String(query.page + 1),
    per_page: String(query.perPage),
  });
  return JSON.stringify({
    total: matching.length,
    results: page.map(({ name, description, downloads }) => ({ name, description, downloads })),
    ...(page.length === query.perPage ? { next: `${base}/search.json?${next.toString()}` } : {}),
  });
}

/** `list.json`: every package name of the owner. */
export function buildListJson(names: string[]): string {
  return JSON.stringify({ packageNames: names });
}
