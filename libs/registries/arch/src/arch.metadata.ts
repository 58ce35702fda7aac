import { InvalidArtifactError, NameGrammar, TarCompression, checkName } from '@wharf/packages-core';

/*
 * Names, the `.PKGINFO` parser, pacman's version ordering and what an upload is stored as
 * (docs/protocols/arch.md §3). Pure: no Nest, no database.
 */

/** The file's repository (`''` for none): the pacman `[section]` it is listed in. */
export const REPOSITORY_PROPERTY = 'arch.repository';
export const ARCHITECTURE_PROPERTY = 'arch.architecture';
/** The file's {@link ArchFileMetadata} as JSON: what the database lists. */
export const METADATA_PROPERTY = 'arch.metadata';
/** Base64 of Wharf's detached binary OpenPGP signature of the stored package. */
export const SIGNATURE_PROPERTY = 'arch.signature';

/** Repository path segments (`core`, `extra`, `testing/x`); the URL's `$repo`. */
export const ARCH_REPOSITORY: NameGrammar = {
  what: 'arch repository',
  pattern: /^[A-Za-z0-9_][A-Za-z0-9._+-]*$/,
  rule: 'path segments of letters, digits, "_", ".", "+" and "-" (core, testing/x86)',
  maxLength: 200,
  allowSlash: true,
  fileName: true,
};

/** Package names as makepkg allows them (`pkgname`: alphanumerics and `@._+-`, not starting with `-` or `.`). */
export const ARCH_NAME: NameGrammar = {
  what: 'arch package name',
  pattern: /^[A-Za-z0-9@_+][A-Za-z0-9@._+-]*$/,
  rule: 'letters, digits, "@", ".", "_", "+" and "-", not starting with "-" or "."',
  maxLength: 127,
  fileName: true,
};

/** `[epoch:]pkgver-pkgrel` (`1.4.1-3`, `2:1.0rc1-1.1`); pkgver holds no `-`. */
export const ARCH_VERSION: NameGrammar = {
  what: 'arch package version',
  pattern: /^(?:[0-9]+:)?[A-Za-z0-9_+~][A-Za-z0-9._+~]*-[A-Za-z0-9_+~][A-Za-z0-9._+~]*$/,
  rule: '[epoch:]pkgver-pkgrel, each of letters, digits and "._+~" (1.0.2-1)',
  maxLength: 127,
  fileName: true,
};

/** Architectures (`x86_64`, `aarch64`, `any`). */
export const ARCH_ARCHITECTURE: NameGrammar = {
  what: 'arch architecture',
  pattern: /^[A-Za-z0-9_]+$/,
  rule: 'letters, digits and "_" (x86_64, any)',
  maxLength: 64,
  fileName: true,
};

/** File names under `{repository}/{arch}/` (packages, databases and their `.sig`). */
export const ARCH_FILE: NameGrammar = {
  what: 'arch file name',
  pattern: /^[A-Za-z0-9@_+][A-Za-z0-9@._+~:-]*$/,
  rule: 'letters, digits and "@._+~:-" ({name}-{version}-{arch}.pkg.tar.zst, {repo}.db)',
  maxLength: 300,
  fileName: true,
};

export const ANY_ARCH = 'any';

/** Package containers accepted, by their magic bytes (docs/protocols/arch.md §3). */
export const PACKAGE_EXTENSIONS: Record<string, TarCompression> = {
  zst: 'zstd',
  xz: 'xz',
  gz: 'gzip',
};

/** The container of a package from its first bytes: `zst`, `xz` or `gz`; undefined otherwise. */
export function packageExtension(head: Buffer): 'zst' | 'xz' | 'gz' | undefined {
  if (head.subarray(0, 4).equals(Buffer.from([0x28, 0xb5, 0x2f, 0xfd]))) return 'zst';
  if (head.subarray(0, 6).equals(Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]))) return 'xz';
  if (head.subarray(0, 2).equals(Buffer.from([0x1f, 0x8b]))) return 'gz';
  return undefined;
}

/** Version metadata (Forgejo's Arch VersionMetadata). */
export interface ArchVersionMetadata {
  description?: string;
  project_url?: string;
  licenses?: string[];
}

/** What one package file contributes to a database: `.PKGINFO` and its file list. */
export interface ArchFileMetadata {
  name: string;
  base?: string;
  version: string;
  description?: string;
  url?: string;
  licenses?: string[];
  architecture: string;
  packager?: string;
  build_date?: number;
  installed_size?: number;
  groups?: string[];
  provides?: string[];
  replaces?: string[];
  conflicts?: string[];
  depends?: string[];
  optdepends?: string[];
  makedepends?: string[];
  checkdepends?: string[];
  backup?: string[];
  /** Paths of the regular files and links the package installs, in archive order. */
  files: string[];
}

/** An upload as stored. */
export interface ArchUpload {
  name: string;
  version: string;
  architecture: string;
  versionMetadata: ArchVersionMetadata;
  fileMetadata: ArchFileMetadata;
}

type ListKey =
  | 'licenses'
  | 'groups'
  | 'provides'
  | 'replaces'
  | 'conflicts'
  | 'depends'
  | 'optdepends'
  | 'makedepends'
  | 'checkdepends'
  | 'backup';

const LIST_KEYS: Record<string, ListKey> = {
  license: 'licenses',
  group: 'groups',
  provides: 'provides',
  replaces: 'replaces',
  conflict: 'conflicts',
  depend: 'depends',
  optdepend: 'optdepends',
  makedepend: 'makedepends',
  checkdepend: 'checkdepends',
  backup: 'backup',
};

/** One-line `.PKGINFO` values: no control characters (they would break the database's lines). */
function lineValue(key: string, value: string): string {
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(value))
    throw new InvalidArtifactError(`.PKGINFO: "${key}" holds a control character`);
  return value;
}

function integer(key: string, value: string): number {
  if (!/^[0-9]{1,15}$/.test(value))
    throw new InvalidArtifactError(`.PKGINFO: "${key}" must be a whole number, not "${value}"`);
  return Number(value);
}

/**
 * Parses `.PKGINFO` (`key = value` lines, `#` comments) into what is stored, names checked
 * against the grammars: they become URL segments, a file name and database entries.
 */
export function parsePkgInfo(text: string, files: string[]): ArchUpload {
  const single = new Map<string, string>();
  const lists: Partial<Record<ListKey, string[]>> = {};
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const eq = line.indexOf('=');
    if (eq < 0) continue;
    const key = line.slice(0, eq).trim();
    const value = lineValue(key, line.slice(eq + 1).trim());
    const listKey = Object.hasOwn(LIST_KEYS, key) ? LIST_KEYS[key] : undefined;
    if (listKey) {
      if (value !== '') (lists[listKey] ??= []).push(value);
    } else single.set(key, value);
  }
  const need = (key: string) => {
    const value = single.get(key);
    if (!value) throw new InvalidArtifactError(`.PKGINFO has no "${key}"`);
    return value;
  };
  const name = checkName(need('pkgname'), ARCH_NAME);
  const version = checkName(need('pkgver'), ARCH_VERSION);
  const architecture = checkName(need('arch'), ARCH_ARCHITECTURE);
  const url = single.get('url');
  const validUrl = url && /^https?:\/\/[^\s]+$/i.test(url) ? url : undefined;
  const description = single.get('pkgdesc') || undefined;
  const buildDate = single.get('builddate');
  const size = single.get('size');
  const fileMetadata: ArchFileMetadata = {
    name,
    base: single.get('pkgbase') || undefined,
    version,
    description,
    url: validUrl,
    architecture,
    packager: single.get('packager') || undefined,
    build_date: buildDate ? integer('builddate', buildDate) : undefined,
    installed_size: size ? integer('size', size) : undefined,
    ...lists,
    files,
  };
  return {
    name,
    version,
    architecture,
    versionMetadata: {
      ...(description ? { description } : {}),
      ...(validUrl ? { project_url: validUrl } : {}),
      ...(lists.licenses ? { licenses: lists.licenses } : {}),
    },
    fileMetadata,
  };
}

/** `{name}-{version}-{arch}.pkg.tar.{ext}`, the stored file name (makepkg's). */
export function packageFileName(
  name: string,
  version: string,
  architecture: string,
  ext: string,
): string {
  return `${packageFilePrefix(name, version, architecture)}${ext}`;
}

/** The stored name without its compression: one package per prefix, whatever the container. */
export function packageFilePrefix(name: string, version: string, architecture: string): string {
  return `${name}-${version}-${architecture}.pkg.tar.`;
}

/** A package file name split back into name, version and architecture; undefined when it is none. */
export function parsePackageFileName(
  fileName: string,
): { name: string; version: string; architecture: string; ext: string } | undefined {
  const match = /^(.+)-([^-]+-[^-]+)-([^-]+)\.pkg\.tar\.(zst|xz|gz)$/.exec(fileName);
  if (!match) return undefined;
  return { name: match[1], version: match[2], architecture: match[3], ext: match[4] };
}

/** A database request (`{anything}.db`, `.db.tar.gz`, `.files`, `.files.tar.gz`): which kind. */
export function databaseKind(fileName: string): 'db' | 'files' | undefined {
  const match = /\.(db|files)(?:\.tar\.gz)?$/.exec(fileName);
  return match ? (match[1] as 'db' | 'files') : undefined;
}

/*
 * pacman's version ordering (libalpm's alpm_pkg_vercmp): epoch, then pkgver, then pkgrel
 * when both have one, each compared segment by segment as rpmvercmp does.
 */
export function vercmp(a: string, b: string): number {
  if (a === b) return 0;
  const x = splitEvr(a);
  const y = splitEvr(b);
  return (
    segmentCompare(x.epoch, y.epoch) ||
    segmentCompare(x.version, y.version) ||
    (x.release !== undefined && y.release !== undefined ? segmentCompare(x.release, y.release) : 0)
  );
}

function splitEvr(evr: string): { epoch: string; version: string; release?: string } {
  const digits = /^[0-9]*/.exec(evr)![0];
  let epoch = '0';
  let rest = evr;
  if (evr[digits.length] === ':') {
    epoch = digits || '0';
    rest = evr.slice(digits.length + 1);
  }
  const dash = rest.lastIndexOf('-');
  return dash < 0
    ? { epoch, version: rest }
    : { epoch, version: rest.slice(0, dash), release: rest.slice(dash + 1) };
}

const isAlnum = (c: string | undefined) => c !== undefined && /[A-Za-z0-9]/.test(c);
const isDigit = (c: string | undefined) => c !== undefined && /[0-9]/.test(c);
const isAlpha = (c: string | undefined) => c !== undefined && /[A-Za-z]/.test(c);

/** rpmvercmp as libalpm has it (separator lengths count; a trailing alpha loses). */
function segmentCompare(a: string, b: string): number {
  if (a === b) return 0;
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const si = i;
    const sj = j;
    while (i < a.length && !isAlnum(a[i])) i++;
    while (j < b.length && !isAlnum(b[j])) j++;
    if (i >= a.length || j >= b.length) break;
    if (i - si !== j - sj) return i - si < j - sj ? -1 : 1;
    const numeric = isDigit(a[i]);
    const take = numeric ? isDigit : isAlpha;
    const ei = scan(a, i, take);
    const ej = scan(b, j, take);
    if (ej === j) return numeric ? 1 : -1;
    let one = a.slice(i, ei);
    let two = b.slice(j, ej);
    if (numeric) {
      one = one.replace(/^0+/, '');
      two = two.replace(/^0+/, '');
      if (one.length !== two.length) return one.length > two.length ? 1 : -1;
    }
    if (one !== two) return one < two ? -1 : 1;
    i = ei;
    j = ej;
  }
  if (i >= a.length && j >= b.length) return 0;
  return (i >= a.length && !isAlpha(b[j])) || isAlpha(a[i]) ? -1 : 1;
}

function scan(s: string, from: number, take: (c: string) => boolean): number {
  let k = from;
  while (k < s.length && take(s[k])) k++;
  return k;
}
