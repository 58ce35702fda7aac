import { InvalidArtifactError, NameGrammar, parseJsonDocument } from '@wharf/packages-core';

/*
 * Pure rules of the Vagrant format (docs/protocols/vagrant.md §3): the grammars of the
 * three coordinates an upload path carries, what Wharf keeps of a box's info.json, the
 * metadata.json provider check, and the version order Vagrant itself applies.
 */

/** Property of a box file: the provider it was uploaded for (Forgejo's `vagrant.provider`). */
export const PROVIDER_PROPERTY = 'vagrant.provider';
/** The file extension of every box (`{provider}.box`). */
export const BOX_SUFFIX = '.box';
/** Route segments a box name cannot take: they are the format's own paths. */
export const RESERVED_BOX_NAMES = new Set(['authenticate']);

/**
 * Box names as Vagrant Cloud spells them (`ubuntu-22.04`, `debian_12`); one segment, as
 * the owner takes the place of Vagrant Cloud's organisation. Vagrant makes a directory of
 * it under VAGRANT_HOME, hence a file name.
 */
export const BOX_NAME: NameGrammar = {
  what: 'box name',
  pattern: /^[A-Za-z0-9][A-Za-z0-9._-]*$/,
  rule: 'letters, digits, ".", "_" and "-", starting with a letter or digit',
  maxLength: 200,
  fileName: true,
};

/**
 * What both Vagrant and Forgejo read as a version: Vagrant parses each one of a catalog
 * with Gem::Version (one it cannot parse makes the whole catalog unusable), Forgejo with a
 * semver parser. Their common ground: dot-separated numbers and an optional `-` suffix.
 */
export const BOX_VERSION: NameGrammar = {
  what: 'box version',
  pattern: /^[0-9]+(?:\.[0-9]+)*(?:-[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?$/,
  rule: 'numbers separated by dots with an optional "-" suffix (1.0.2, 2.0.0-rc.1)',
  maxLength: 128,
};

/**
 * Provider names as Vagrant's provider plugins register them (`virtualbox`, `libvirt`,
 * `vmware_desktop`, `hyperv`); lower case only, since the stored file name is
 * case-insensitive and Vagrant compares the name exactly with the box's metadata.json.
 */
export const BOX_PROVIDER: NameGrammar = {
  what: 'box provider',
  pattern: /^[a-z0-9][a-z0-9_-]*$/,
  rule: 'lower-case letters, digits, "_" and "-", starting with a letter or digit (virtualbox, libvirt)',
  maxLength: 64,
  fileName: true,
};

/** The version metadata kept from a box's info.json (all optional). */
export interface BoxMetadata {
  description?: string;
  author?: string;
  projectUrl?: string;
  repositoryUrl?: string;
}

// info.json has no schema (docs/protocols/vagrant.md §3): these are the keys box authors
// use, as Forgejo reads them, matched without regard to case.
const INFO_KEYS: Record<string, keyof BoxMetadata> = {
  description: 'description',
  short_description: 'description',
  author: 'author',
  authors: 'author',
  website: 'projectUrl',
  homepage: 'projectUrl',
  url: 'projectUrl',
  repository: 'repositoryUrl',
  source: 'repositoryUrl',
};
const URL_FIELDS = new Set<keyof BoxMetadata>(['projectUrl', 'repositoryUrl']);
const MAX_FIELD = 64 * 1024;

/**
 * What Wharf keeps of info.json: string values of the known keys; URLs only when they are
 * http(s) URLs. Not JSON or not an object → 400; other keys and values are the box
 * author's and are left alone (`vagrant box list -i` shows them from the box itself).
 */
export function parseInfoJson(bytes: Buffer): BoxMetadata {
  const info = parseObject(bytes, 'info.json');
  const metadata: BoxMetadata = {};
  for (const [key, value] of Object.entries(info)) {
    const field = INFO_KEYS[key.toLowerCase()];
    if (!field || typeof value !== 'string' || !value.trim() || value.length > MAX_FIELD) continue;
    if (URL_FIELDS.has(field) && !isHttpUrl(value)) continue;
    metadata[field] = value;
  }
  return metadata;
}

/**
 * metadata.json names the provider the box was built for; Vagrant refuses to add a box
 * whose metadata.json disagrees with the catalog's provider, so such an upload is a 400.
 */
export function checkMetadataJson(bytes: Buffer, provider: string): void {
  const metadata = parseObject(bytes, 'metadata.json');
  const declared = metadata.provider;
  if (declared === undefined) return;
  if (typeof declared !== 'string')
    throw new InvalidArtifactError('metadata.json: "provider" must be a string');
  if (declared !== provider)
    throw new InvalidArtifactError(
      `metadata.json says the box is for provider "${declared.slice(0, 64)}", but it is uploaded as ${provider}${BOX_SUFFIX}: Vagrant would refuse it`,
    );
}

function parseObject(bytes: Buffer, what: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = parseJsonDocument(bytes, what);
  } catch (err) {
    throw new InvalidArtifactError(
      `${what} in the box is not valid JSON: ${err instanceof Error ? err.message : String(err)}`,
    );
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed))
    throw new InvalidArtifactError(`${what} in the box must be a JSON object`);
  return parsed as Record<string, unknown>;
}

function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    return false;
  }
}

/**
 * Orders versions as Vagrant does (Gem::Version): numeric segments by value, a
 * pre-release (`-rc.1`, read as `.pre.rc.1`) before its release; ties broken by the text so
 * the order is total.
 */
export function compareBoxVersions(a: string, b: string): number {
  const sa = segments(a);
  const sb = segments(b);
  for (let i = 0; i < Math.max(sa.length, sb.length); i++) {
    const x = sa[i] ?? 0;
    const y = sb[i] ?? 0;
    if (x === y) continue;
    if (typeof x === 'number' && typeof y === 'number') return x < y ? -1 : 1;
    // A letter segment sorts before any number (a pre-release before its release).
    if (typeof x === 'string' && typeof y === 'string') return x < y ? -1 : 1;
    return typeof x === 'string' ? -1 : 1;
  }
  return a < b ? -1 : a > b ? 1 : 0;
}

/** True when Vagrant reads both spellings as one version (`1.0` and `1.0.0`). */
export function sameBoxVersion(a: string, b: string): boolean {
  const sa = segments(a);
  const sb = segments(b);
  for (let i = 0; i < Math.max(sa.length, sb.length); i++)
    if ((sa[i] ?? 0) !== (sb[i] ?? 0)) return false;
  return true;
}

/** Gem::Version's canonical segments: `-` reads as `.pre.`, letters split from digits, trailing zeros dropped. */
function segments(version: string): (number | string)[] {
  const parts = (version.replace(/-/g, '.pre.').match(/[0-9]+|[a-z]+/gi) ?? []).map((p) =>
    /^[0-9]/.test(p) ? Number(p) : p,
  );
  // Zeros directly before the first letter segment, and at the end, do not count.
  const firstLetter = parts.findIndex((p) => typeof p === 'string');
  const release = firstLetter < 0 ? parts : parts.slice(0, firstLetter);
  const pre = firstLetter < 0 ? [] : parts.slice(firstLetter);
  while (release.length > 1 && release[release.length - 1] === 0) release.pop();
  while (pre.length && pre[pre.length - 1] === 0) pre.pop();
  return [...release, ...pre];
}
