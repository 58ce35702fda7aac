import type { Readable } from 'node:stream';
import {
  checkName,
  InvalidArtifactError,
  NameGrammar,
  parseJsonDocument,
  walkTar,
} from '@wharf/packages-core';

/*
 * Pure reading of an uploaded cookbook (docs/protocols/chef.md §3) and the names of the
 * format. `knife supermarket share` runs `tar -czf {name}.tgz {name}` in a staging
 * directory where it has written metadata.json, so the archive holds `{name}/…` with
 * `{name}/metadata.json`; the archive goes through core's tar reader, so `..` names,
 * links, devices and bombs refuse the cookbook.
 */

/**
 * Cookbook names as the Chef Infra Server accepts them (letters, digits, `_`, `-`, `.`);
 * Forgejo only refuses white space, which would let `a/b` or `..` through.
 */
export const COOKBOOK_NAME: NameGrammar = {
  what: 'cookbook name',
  pattern: /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/,
  rule: 'letters, digits, "_", "-" and ".", not starting with "." or "-"',
  fileName: true,
};

/** Chef::Version: `x.y` or `x.y.z`, numbers only (no pre-release, no fourth segment). */
export const COOKBOOK_VERSION: NameGrammar = {
  what: 'cookbook version',
  pattern: /^\d{1,9}\.\d{1,9}(?:\.\d{1,9})?$/,
  rule: 'two or three numbers separated by dots (1.0 or 1.0.2)',
  maxLength: 32,
};

/** The version metadata Wharf stores for a cookbook (Forgejo's fields). */
export interface ChefMetadata {
  description?: string;
  long_description?: string;
  /** metadata.json's `maintainer`. */
  author?: string;
  license?: string;
  /** metadata.json's `source_url`, kept only when it is an http(s) URL. */
  repository_url?: string;
  /** cookbook name → version constraint (`>= 2.0`). */
  dependencies?: Record<string, string>;
}

export interface Cookbook {
  name: string;
  version: string;
  metadata: ChefMetadata;
}

export interface CookbookLimits {
  /** Bytes of metadata.json (real ones are a few KiB; long_description can hold a README). */
  maxMetadataJson: number;
  /** Unpacked bytes of the whole archive: a gzip bomb is a 413 here. */
  maxUnpacked: number;
}

export const DEFAULT_COOKBOOK_LIMITS: CookbookLimits = {
  maxMetadataJson: 4 * 1024 * 1024,
  maxUnpacked: 512 * 1024 * 1024,
};

/** The stored file name: `{version}.tar.gz`, as Forgejo names it. */
export function cookbookFileName(version: string): string {
  return `${version}.tar.gz`.toLowerCase();
}

/**
 * Reads `{dir}/metadata.json` from a cookbook archive (the stream is consumed): the first
 * regular file one directory deep with that name, as Forgejo takes it. The whole archive
 * is walked, so an unsafe entry anywhere refuses it (400), and a budget passed is a 413.
 */
export async function readCookbook(
  archive: Readable,
  limits: CookbookLimits = DEFAULT_COOKBOOK_LIMITS,
): Promise<Cookbook> {
  let metadataJson: Buffer | undefined;
  for await (const entry of walkTar(archive, {
    compression: 'gzip',
    maxEntrySize: limits.maxMetadataJson,
    maxUnpacked: limits.maxUnpacked,
    label: 'the cookbook',
    // Links refused: knife copies the cookbook's files into its staging directory.
  })) {
    if (metadataJson || (entry.type !== 'file' && entry.type !== 'contiguous-file')) continue;
    // `tar -czf x.tgz ./name` writes `./name/metadata.json`; it unpacks to the same place.
    if (/^[^/]+\/metadata\.json$/.test(entry.name.replace(/^(?:\.\/)+/, '')))
      metadataJson = await entry.read();
  }
  if (!metadataJson)
    throw new InvalidArtifactError(
      'metadata.json file is missing: the cookbook must hold {name}/metadata.json (knife supermarket share writes it)',
    );
  return parseMetadataJson(metadataJson);
}

/** Validates a cookbook's metadata.json and keeps what the served documents show. */
export function parseMetadataJson(bytes: Buffer): Cookbook {
  const doc = parseJsonDocument(bytes, "the cookbook's metadata.json");
  if (!isObject(doc))
    throw new InvalidArtifactError("the cookbook's metadata.json must be a JSON object");
  const name = doc.name;
  const version = doc.version;
  if (typeof name !== 'string' || !name)
    throw new InvalidArtifactError("the cookbook's metadata.json has no name");
  if (typeof version !== 'string' || !version)
    throw new InvalidArtifactError("the cookbook's metadata.json has no version");
  checkName(name, COOKBOOK_NAME);
  checkName(version, COOKBOOK_VERSION);
  const metadata: ChefMetadata = {
    description: text(doc.description),
    long_description: text(doc.long_description),
    author: text(doc.maintainer),
    license: text(doc.license),
    repository_url: webUrl(doc.source_url),
    dependencies: dependencies(doc.dependencies),
  };
  return { name, version, metadata: dropEmpty(metadata) };
}

/** `depends 'apt', '>= 2.0'` becomes `{"apt": ">= 2.0"}`; names go through the grammar. */
function dependencies(value: unknown): Record<string, string> | undefined {
  if (value === undefined || value === null) return undefined;
  if (!isObject(value))
    throw new InvalidArtifactError("metadata.json's dependencies must be an object");
  const out: Record<string, string> = {};
  for (const [dep, constraint] of Object.entries(value)) {
    checkName(dep, { ...COOKBOOK_NAME, what: 'dependency name' });
    if (typeof constraint !== 'string' || constraint.length > 128)
      throw new InvalidArtifactError(
        `the constraint of dependency ${dep} must be a string such as ">= 1.0"`,
      );
    out[dep] = constraint;
  }
  return Object.keys(out).length ? out : undefined;
}

function webUrl(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:' ? value : undefined;
  } catch {
    return undefined;
  }
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value ? value : undefined;
}

function dropEmpty(metadata: ChefMetadata): ChefMetadata {
  return Object.fromEntries(
    Object.entries(metadata).filter(([, v]) => v !== undefined),
  ) as ChefMetadata;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Chef::Version ordering: segment by segment, numerically; `1.0` equals `1.0.0`. */
export function compareCookbookVersions(a: string, b: string): number {
  const sa = a.split('.').map(Number);
  const sb = b.split('.').map(Number);
  for (let i = 0; i < 3; i++) {
    const d = (sa[i] ?? 0) - (sb[i] ?? 0);
    if (d) return d < 0 ? -1 : 1;
  }
  return 0;
}
