import type { ConanInfo, RecipeRef } from './conan.metadata';
import { formatRef } from './conan.metadata';

/*
 * Pure builders of the JSON a Conan remote answers (docs/protocols/conan.md §4): revision
 * lists, the latest revision, file lists, v1 snapshots and URL maps, recipe and package
 * search. Plain values in, JSON text out.
 */

/** One revision and when it last changed (unix seconds); `order` breaks ties of one second. */
export interface RevisionEntry {
  revision: string;
  time: number;
  order: number;
}

/** A stored file as the builders see it. */
export interface RevisionFile {
  revision: string;
  createdUnix: number;
  id: number;
}

/**
 * Revisions newest first: a revision's time is its newest file's upload, so the one
 * uploaded last is `latest` (Forgejo), whatever its name.
 */
export function revisionsOf(files: RevisionFile[]): RevisionEntry[] {
  const byRevision = new Map<string, RevisionEntry>();
  for (const f of files) {
    const entry = byRevision.get(f.revision);
    if (!entry)
      byRevision.set(f.revision, { revision: f.revision, time: f.createdUnix, order: f.id });
    else {
      entry.time = Math.max(entry.time, f.createdUnix);
      entry.order = Math.max(entry.order, f.id);
    }
  }
  return [...byRevision.values()].sort((a, b) => b.time - a.time || b.order - a.order);
}

/** ISO 8601 with an offset, as conan_server and Artifactory write it (Conan reads it with dateutil's isoparse). */
export function conanTime(unix: number): string {
  return new Date(unix * 1000).toISOString().replace(/\.\d{3}Z$/, '+00:00');
}

const revision = (r: RevisionEntry) => ({ revision: r.revision, time: conanTime(r.time) });

/** `{"revisions":[{"revision","time"}]}`, newest first. */
export function buildRevisions(revisions: RevisionEntry[]): string {
  return JSON.stringify({ revisions: revisions.map(revision) });
}

/** `{"revision","time"}` of the newest revision. */
export function buildLatest(latest: RevisionEntry): string {
  return JSON.stringify(revision(latest));
}

/** `{"files":{"conanfile.py":{}}}`: Conan reads the keys only. */
export function buildFileList(names: string[]): string {
  return JSON.stringify({ files: Object.fromEntries([...names].sort().map((n) => [n, {}])) });
}

/** v1 snapshot `{file: md5}`, or URL map `{file: url}`. */
export function buildFileMap(entries: [string, string][]): string {
  return JSON.stringify(Object.fromEntries([...entries].sort(([a], [b]) => a.localeCompare(b))));
}

/** The parts of a recipe search `q`: `name[/version[@user[/channel]]]`, `@` read as `/`, `*` any. */
export interface RecipeQuery {
  name?: RegExp;
  version?: RegExp;
  user?: RegExp;
  channel?: RegExp;
}

/**
 * Forgejo's reading of `q`: split at `/` and `@`; a missing or empty part, or `*`, matches
 * anything; otherwise `*` is a wildcard and the rest literal, compared case-insensitively.
 */
export function parseRecipeQuery(q: string): RecipeQuery {
  const parts = q.trim().replace(/@/g, '/').split('/');
  const pattern = (part: string | undefined) =>
    part === undefined || part === '' || part === '*'
      ? undefined
      : new RegExp(
          `^${part
            .split('*')
            .map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
            .join('.*')}$`,
          'i',
        );
  return {
    name: pattern(parts[0]),
    version: pattern(parts[1]),
    user: pattern(parts[2]),
    channel: pattern(parts[3]),
  };
}

function matches(query: RecipeQuery, ref: RecipeRef): boolean {
  const test = (p: RegExp | undefined, v: string) => !p || p.test(v);
  // `_` stands for no user and channel in Conan's own patterns (`*/*@_/_`).
  const user = ref.user || '_';
  const channel = ref.channel || '_';
  return (
    test(query.name, ref.name) &&
    test(query.version, ref.version) &&
    test(query.user, user) &&
    test(query.channel, channel)
  );
}

/** `{"results":["name/version@user/channel","name/version"]}`, sorted, without duplicates. */
export function buildRecipeSearch(refs: RecipeRef[], query: RecipeQuery): string {
  const results = new Set(refs.filter((r) => matches(query, r)).map(formatRef));
  return JSON.stringify({ results: [...results].sort() });
}

/** `{"<package_id>": <conaninfo>}` for package search. */
export function buildPackageSearch(packages: Map<string, ConanInfo>): string {
  return JSON.stringify(Object.fromEntries([...packages].sort(([a], [b]) => a.localeCompare(b))));
}
