import { createHash } from 'node:crypto';
import type { IndexedGem } from './rubygems.documents';
import { requirementText } from './rubygems.documents';
import { GemRequirement, versionKey } from './rubygems.metadata';

/*
 * The compact index Bundler reads (docs/protocols/rubygems.md §4, the Compact Index API of
 * rubygems.org): `/versions` lists every gem with its versions and the MD5 of its
 * `/info/{name}` file; Bundler compares that MD5 with its cached copy to decide which info
 * files to fetch, and checks each body against the ETag (the quoted MD5 hex).
 */

/** `/info/{name}`: one line per version (and platform), oldest upload first. */
export function buildInfo(versions: IndexedGem[]): string {
  const lines = byUpload(versions).map(({ metadata: m, sha256 }) => {
    const deps = m.dependencies
      .filter((d) => d.type === 'runtime')
      .map((d) => `${d.name}:${requirementText(d.requirement, '&')}`)
      .join(',');
    const reqs = [`checksum:${sha256}`];
    if (meaningful(m.requiredRubyVersion))
      reqs.push(`ruby:${requirementText(m.requiredRubyVersion, '&')}`);
    if (meaningful(m.requiredRubygemsVersion))
      reqs.push(`rubygems:${requirementText(m.requiredRubygemsVersion, '&')}`);
    return `${versionKey(m.version, m.platform)} ${deps}|${reqs.join(',')}\n`;
  });
  return `---\n${lines.join('')}`;
}

/**
 * `/versions`: `created_at` (ignored by Bundler, here the newest upload so the body only
 * changes with the index), `---`, then `name v1,v2 md5(info)` per gem, by name.
 */
export function buildVersions(gems: IndexedGem[]): string {
  const byName = new Map<string, IndexedGem[]>();
  for (const g of gems) {
    const list = byName.get(g.metadata.name) ?? [];
    list.push(g);
    byName.set(g.metadata.name, list);
  }
  const newest = Math.max(0, ...gems.map((g) => g.createdUnix));
  const lines = [...byName.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([name, list]) => {
      const versions = byUpload(list).map((g) =>
        versionKey(g.metadata.version, g.metadata.platform),
      );
      return `${name} ${versions.join(',')} ${md5(buildInfo(list))}\n`;
    });
  return `created_at: ${new Date(newest * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z')}\n---\n${lines.join('')}`;
}

/** `/names`: every gem name, sorted. */
export function buildNames(names: string[]): string {
  return `---\n${[...names]
    .sort()
    .map((n) => `${n}\n`)
    .join('')}`;
}

/** Bundler's ETag for a compact index file: the MD5 hex of the body, quoted. */
export function compactIndexEtag(body: string): string {
  return `"${md5(body)}"`;
}

/** `Repr-Digest` (RFC 9530) newer Bundlers check: `sha-256=:<base64>:`. */
export function reprDigest(body: string | Buffer): string {
  return `sha-256=:${createHash('sha256').update(body).digest('base64')}:`;
}

export function md5(body: string): string {
  return createHash('md5').update(body).digest('hex');
}

function byUpload(gems: IndexedGem[]): IndexedGem[] {
  return [...gems].sort((a, b) => a.createdUnix - b.createdUnix);
}

/** A requirement other than the `>= 0` every gem meets, which the index leaves out. */
function meaningful(req: GemRequirement | undefined): req is GemRequirement {
  return !!req?.length && !(req.length === 1 && req[0][0] === '>=' && req[0][1] === '0');
}
