import type { Readable } from 'node:stream';
import {
  checkName,
  InvalidArtifactError,
  NameGrammar,
  RegistryError,
  walkTar,
} from '@wharf/packages-core';

/*
 * Pure rules of Conan references and of the files a Conan remote stores
 * (docs/protocols/conan.md §1, §3): the grammar of each coordinate, the composite keys
 * files are stored under, and the checks on what an upload carries (conanfile.py fields,
 * conaninfo.txt, conanmanifest.txt, the .tgz archives). No Nest, no database.
 */

/** File property: the package's conaninfo.txt, parsed, as package search serves it. */
export const INFO_PROPERTY = 'conan.info';

// Conan 2's rule for every part of an exported reference (conans/model/recipe_ref.py
// `validate_ref`), upper case allowed as Conan 1 and Forgejo allow it. Conan 1 makes each
// part a folder of its cache (`data/<name>/<version>/<user>/<channel>`): file-name rules too.
const REFERENCE_PART = /^[a-zA-Z0-9_][a-zA-Z0-9_+.-]{1,100}$/;
const REFERENCE_RULE =
  '2 to 101 letters, digits, "_", "+", "." and "-", not starting with "+", "." or "-"';

export const RECIPE_NAME: NameGrammar = {
  what: 'recipe name',
  pattern: REFERENCE_PART,
  rule: REFERENCE_RULE,
  maxLength: 101,
  fileName: true,
};

export const RECIPE_VERSION: NameGrammar = {
  what: 'recipe version',
  pattern: REFERENCE_PART,
  rule: REFERENCE_RULE,
  maxLength: 101,
  fileName: true,
};

// User and channel are at most 51 characters (Conan 1's and Forgejo's bound): with three
// revisions of at most 40 they fit the 255 characters of a file's composite key.
const USER_CHANNEL = /^[a-zA-Z0-9_][a-zA-Z0-9_+.-]{1,50}$/;
const USER_CHANNEL_RULE =
  '2 to 51 letters, digits, "_", "+", "." and "-", not starting with "+", "." or "-"';

export const RECIPE_USER: NameGrammar = {
  what: 'recipe user',
  pattern: USER_CHANNEL,
  rule: USER_CHANNEL_RULE,
  maxLength: 51,
  fileName: true,
};

export const RECIPE_CHANNEL: NameGrammar = {
  what: 'recipe channel',
  pattern: USER_CHANNEL,
  rule: USER_CHANNEL_RULE,
  maxLength: 51,
  fileName: true,
};

// Revisions are an md5 (32) or a git commit id (40); package ids a sha1 (40), and a
// folder of Conan 1's cache.
const HASH_LIKE = /^[a-zA-Z0-9]{1,40}$/;
const HASH_RULE = '1 to 40 letters and digits';

export const RECIPE_REVISION: NameGrammar = {
  what: 'recipe revision',
  pattern: HASH_LIKE,
  rule: HASH_RULE,
  maxLength: 40,
  fileName: true,
};

export const PACKAGE_ID: NameGrammar = {
  what: 'package id',
  pattern: HASH_LIKE,
  rule: HASH_RULE,
  maxLength: 40,
  fileName: true,
};

export const PACKAGE_REVISION: NameGrammar = {
  what: 'package revision',
  pattern: HASH_LIKE,
  rule: HASH_RULE,
  maxLength: 40,
  fileName: true,
};

export const CONANFILE = 'conanfile.py';
export const CONANINFO = 'conaninfo.txt';
export const MANIFEST = 'conanmanifest.txt';

/** The files a recipe revision may hold, and a package revision (Forgejo's sets). */
export const RECIPE_FILES: ReadonlySet<string> = new Set([
  CONANFILE,
  MANIFEST,
  'conan_sources.tgz',
  'conan_export.tgz',
]);
export const PACKAGE_FILES: ReadonlySet<string> = new Set([
  CONANINFO,
  MANIFEST,
  'conan_package.tgz',
]);

/** v1 clients without revisions use revision `0` (docs/protocols/conan.md §1). */
export const DEFAULT_REVISION = '0';

/** `name/version[@user/channel]`; user and channel are both set or both empty. */
export interface RecipeRef {
  name: string;
  version: string;
  user: string;
  channel: string;
}

/** A recipe revision. */
export interface RecipeRevisionRef extends RecipeRef {
  revision: string;
}

/** A package revision of a recipe revision. */
export interface PackageRevisionRef {
  recipe: RecipeRevisionRef;
  packageId: string;
  revision: string;
}

/**
 * The recipe reference of a route: `{name}/{version}/{user}/{channel}`, `_` meaning none,
 * each part through its grammar; a user without a channel (or the reverse) is a 400.
 */
export function recipeRef(name: string, version: string, user: string, channel: string): RecipeRef {
  checkName(name, RECIPE_NAME);
  checkName(version, RECIPE_VERSION);
  const u = user === '_' ? '' : checkName(user, RECIPE_USER);
  const c = channel === '_' ? '' : checkName(channel, RECIPE_CHANNEL);
  if (!u !== !c)
    throw RegistryError.invalid(
      'invalid recipe reference: give both user and channel, or "_" for both',
    );
  return { name, version, user: u, channel: c };
}

export function checkRevision(revision: string, grammar = RECIPE_REVISION): string {
  return checkName(revision, grammar);
}

/** `name/version[@user/channel]`, as search answers list it. */
export function formatRef(ref: RecipeRef): string {
  return ref.user
    ? `${ref.name}/${ref.version}@${ref.user}/${ref.channel}`
    : `${ref.name}/${ref.version}`;
}

// Forgejo's composite keys: `user|channel|rrev` and `user|channel|rrev|package_id|prev`.
export function recipeKey(ref: RecipeRevisionRef): string {
  return `${ref.user}|${ref.channel}|${ref.revision}`;
}

export function packageKey(ref: PackageRevisionRef): string {
  return `${recipeKey(ref.recipe)}|${ref.packageId}|${ref.revision}`;
}

/** A stored file's key read back: the recipe part always, the package part for package files. */
export interface ParsedKey {
  user: string;
  channel: string;
  revision: string;
  packageId?: string;
  packageRevision?: string;
}

export function parseKey(key: string): ParsedKey | undefined {
  const parts = key.split('|');
  if (parts.length === 3) return { user: parts[0], channel: parts[1], revision: parts[2] };
  if (parts.length === 5)
    return {
      user: parts[0],
      channel: parts[1],
      revision: parts[2],
      packageId: parts[3],
      packageRevision: parts[4],
    };
  return undefined;
}

/** 400 for a file name outside the recipe's (or package's) set, before any byte is read. */
export function checkFileName(file: string, kind: 'recipe' | 'package'): string {
  const allowed = kind === 'recipe' ? RECIPE_FILES : PACKAGE_FILES;
  if (!allowed.has(file))
    throw RegistryError.invalid(
      `invalid ${kind} file name "${file.slice(0, 100)}": a ${kind} holds only ${[...allowed].join(', ')}`,
    );
  return file;
}

/** What Forgejo reads from conanfile.py for the version's page (docs/protocols/conan.md §3). */
export interface ConanMetadata {
  author?: string;
  license?: string;
  projectUrl?: string;
  repositoryUrl?: string;
  description?: string;
  keywords?: string[];
}

const FIELD = (name: string) => new RegExp(`^\\s*${name}\\s*=\\s*['"(](.+)['")]\\s*$`, 'im');

/** The fields of a recipe's class attributes, by line, as Forgejo reads them; absent ones are left out. */
export function parseConanfile(text: string): ConanMetadata {
  const read = (name: string) => FIELD(name).exec(text)?.[1].trim();
  const unquote = (s?: string) => s?.replace(/^['"]+|['"]+$/g, '');
  const topics = read('topics');
  const metadata: ConanMetadata = {
    author: unquote(read('author')),
    license: unquote(read('license'))?.replace(/['"]/g, ''),
    projectUrl: unquote(read('homepage')),
    repositoryUrl: unquote(read('url')),
    description: unquote(read('description')),
    keywords: topics
      ?.split(',')
      .map((t) => t.trim().replace(/^['"]+|['"]+$/g, ''))
      .filter(Boolean),
  };
  return Object.fromEntries(
    Object.entries(metadata).filter(
      ([, v]) => v !== undefined && v !== '' && !(Array.isArray(v) && !v.length),
    ),
  ) as ConanMetadata;
}

/**
 * conaninfo.txt as package search serves it: Forgejo's fields (settings, options, requires,
 * recipe_hash…; a section of `key=value` lines is an object, any other a list) plus
 * `content`, the text itself, which Conan ≥ 1.48 and 2 parse on their own.
 */
export type ConanInfo = Record<string, unknown> & { content: string };

const SECTION = /^\[([A-Za-z0-9_.-]{1,64})\]$/;

export function parseConaninfo(text: string): ConanInfo {
  if (text.includes('\u0000')) throw new InvalidArtifactError('conaninfo.txt is not a text file');
  const sections = new Map<string, string[]>();
  let current: string[] | undefined;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const header = SECTION.exec(line);
    if (header) {
      current = [];
      sections.set(header[1], current);
    } else if (!current) {
      throw new InvalidArtifactError(
        `conaninfo.txt is invalid: "${line.slice(0, 80)}" comes before the first [section]`,
      );
    } else current.push(line);
  }
  const info: Record<string, unknown> = {
    settings: {},
    full_settings: {},
    requires: [],
    full_requires: [],
    options: {},
    full_options: {},
    recipe_hash: '',
    environment: {},
  };
  for (const [name, lines] of sections) {
    if (name === 'recipe_hash') info.recipe_hash = lines[0] ?? '';
    else if (name === 'env') info.environment = keyValues(lines, true) ?? {};
    else info[name] = keyValues(lines, false) ?? lines;
  }
  return { ...info, content: text };
}

/** `key=value` lines as an object; undefined when a line has no `=`. `[a,b]` values become lists in [env]. */
function keyValues(lines: string[], lists: boolean): Record<string, unknown> | undefined {
  const out: Record<string, unknown> = {};
  for (const line of lines) {
    const eq = line.indexOf('=');
    if (eq <= 0) return undefined;
    const value = line.slice(eq + 1).trim();
    out[line.slice(0, eq).trim()] =
      lists && /^\[.*\]$/.test(value)
        ? value
            .slice(1, -1)
            .split(',')
            .map((v) => v.trim())
            .filter(Boolean)
        : value;
  }
  return out;
}

const MANIFEST_LINE = /^(.+): ([0-9a-f]{32})$/;

/**
 * conanmanifest.txt: a timestamp line, then `path: md5` for each file of the export or
 * package. Every path must be one a client can write under its folder.
 */
export function checkManifest(text: string): void {
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '');
  if (!lines.length || !/^\d+$/.test(lines[0].trim()))
    throw new InvalidArtifactError(
      'conanmanifest.txt is invalid: its first line must be a timestamp',
    );
  for (const line of lines.slice(1)) {
    const match = MANIFEST_LINE.exec(line.trimEnd());
    if (!match)
      throw new InvalidArtifactError(
        `conanmanifest.txt is invalid: "${line.slice(0, 80)}" is not "path: md5"`,
      );
    assertSafePath(match[1]);
  }
}

function assertSafePath(path: string): void {
  const bad =
    path.startsWith('/') ||
    /^[A-Za-z]:/.test(path) ||
    path.includes('\\') ||
    [...path].some((c) => c.charCodeAt(0) < 0x20) ||
    path.split('/').some((s) => s === '..' || s === '');
  if (bad)
    throw new InvalidArtifactError(
      `conanmanifest.txt is invalid: "${path.slice(0, 80)}" is not a path inside the package`,
    );
}

/** Budgets for reading a .tgz: entries are not kept, only walked. */
export interface ArchiveLimits {
  /** Unpacked bytes per byte of the archive, past a floor. */
  ratio: number;
  floor: number;
  maxEntries: number;
}

export const DEFAULT_ARCHIVE_LIMITS: ArchiveLimits = {
  ratio: 64,
  floor: 256 * 1024 * 1024,
  maxEntries: 200_000,
};

/**
 * Walks conan_export.tgz, conan_sources.tgz or conan_package.tgz to the end: a gzip'd
 * tar whose every entry a client can unpack in place (no `..`, absolute or backslash
 * names; links only to targets inside, as packages carry `libfoo.so -> libfoo.so.1`).
 */
export async function checkConanArchive(
  archive: Readable,
  size: number,
  file: string,
  limits: ArchiveLimits = DEFAULT_ARCHIVE_LIMITS,
): Promise<void> {
  const maxUnpacked = Math.max(limits.floor, size * limits.ratio);
  for await (const entry of walkTar(archive, {
    maxEntrySize: maxUnpacked,
    maxUnpacked,
    maxEntries: limits.maxEntries,
    compression: 'gzip',
    allowLinks: true,
    label: file,
  })) {
    void entry;
  }
}
