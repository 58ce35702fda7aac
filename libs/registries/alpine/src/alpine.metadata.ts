import { InvalidArtifactError, NameGrammar } from '@wharf/packages-core';

/*
 * Names, stored metadata and the mapping from an apk's `.PKGINFO` to them
 * (docs/protocols/alpine.md §3). Pure: no Nest, no database.
 */

export const BRANCH_PROPERTY = 'alpine.branch';
export const REPOSITORY_PROPERTY = 'alpine.repository';
export const ARCHITECTURE_PROPERTY = 'alpine.architecture';
/** The file's {@link AlpineFileMetadata} as JSON: what APKINDEX lists. */
export const METADATA_PROPERTY = 'alpine.metadata';

/** The architecture of packages that run anywhere: listed in every architecture's index. */
export const NOARCH = 'noarch';

/** At most this many `depend` and `provides` lines together (Gitea's bound too). */
export const MAX_RELATIONS = 1024;

/** Branches as Alpine names them (`v3.20`, `edge`), or any single segment an uploader picks. */
export const ALPINE_BRANCH: NameGrammar = {
  what: 'alpine branch',
  pattern: /^[A-Za-z0-9][A-Za-z0-9._+-]*$/,
  rule: 'letters, digits, ".", "_", "+" and "-", starting with a letter or digit (v3.20, edge)',
  maxLength: 100,
  fileName: true,
};

/** Repositories of a branch (`main`, `community`, `testing`). */
export const ALPINE_REPOSITORY: NameGrammar = {
  ...ALPINE_BRANCH,
  what: 'alpine repository',
  rule: 'letters, digits, ".", "_", "+" and "-", starting with a letter or digit (main, community)',
};

/** Architectures as apk spells them (`x86_64`, `aarch64`, `armv7`, `noarch`). */
export const ALPINE_ARCH: NameGrammar = {
  what: 'alpine architecture',
  pattern: /^[A-Za-z0-9_]+$/,
  rule: 'letters, digits and "_" (x86_64, aarch64, noarch)',
  maxLength: 64,
  fileName: true,
};

/** Package names as apk-tools accepts them (`musl`, `libstdc++`, `py3-requests`). */
export const ALPINE_NAME: NameGrammar = {
  what: 'alpine package name',
  pattern: /^[A-Za-z0-9_][A-Za-z0-9._+-]*$/,
  rule: 'letters, digits, "_", "+", "." and "-", not starting with "." "+" or "-"',
  maxLength: 200,
  fileName: true,
};

/** Versions (`1.2.3-r0`, `2.0_rc1-r4`, `1.4.1_git20240101-r3`). */
export const ALPINE_VERSION: NameGrammar = {
  what: 'alpine version',
  pattern: /^[0-9A-Za-z][0-9A-Za-z._+~-]*$/,
  rule: 'letters, digits and "._+~-", starting with a letter or digit (1.2.3-r0)',
  maxLength: 200,
  fileName: true,
};

/** A file in a repository (`{name}-{version}.apk`) or its index, as the URL names it. */
export const ALPINE_FILE_NAME: NameGrammar = {
  what: 'alpine file name',
  pattern: /^[A-Za-z0-9_][A-Za-z0-9._+~-]*$/,
  rule: 'letters, digits and "._+~-" ({name}-{version}.apk, APKINDEX.tar.gz)',
  maxLength: 420,
  fileName: true,
};

/** Version metadata (Forgejo's alpine VersionMetadata). */
export interface AlpineVersionMetadata {
  description?: string;
  license?: string;
  project_url?: string;
  maintainer?: string;
}

/** File metadata: what one APKINDEX record says about the file beyond name and version. */
export interface AlpineFileMetadata {
  /** `Q1` + base64 SHA-1 of the control segment's gzip member, as apk computes it. */
  checksum: string;
  packager?: string;
  build_date?: number;
  /** Installed size. */
  size?: number;
  architecture: string;
  origin?: string;
  commit_hash?: string;
  install_if?: string;
  provides?: string[];
  dependencies?: string[];
  provider_priority?: number;
}

/** What an upload stores. */
export interface AlpineUpload {
  name: string;
  version: string;
  architecture: string;
  fileName: string;
  versionMetadata: AlpineVersionMetadata;
  fileMetadata: AlpineFileMetadata;
}

/** `{name}-{version}.apk`: the file name apk asks for (`{arch}/{name}-{version}.apk`). */
export function apkFileName(name: string, version: string): string {
  return `${name}-${version}.apk`;
}

/** The file's composite key: its branch, repository and architecture. */
export function repositoryKey(branch: string, repository: string, arch: string): string {
  return `${branch}|${repository}|${arch}`;
}

/**
 * `.PKGINFO` as abuild writes it: `key = value` lines; comments, blank lines and lines
 * without ` = ` are skipped; `depend`, `provides` (and others) may repeat. Values are kept
 * as written, trimmed.
 */
export function parsePkgInfo(text: string): Map<string, string[]> {
  const fields = new Map<string, string[]>();
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const eq = line.indexOf('=');
    if (eq < 0) continue;
    const key = line.slice(0, eq).trim();
    const value = line.slice(eq + 1).trim();
    if (!key) continue;
    let list = fields.get(key);
    if (!list) fields.set(key, (list = []));
    list.push(value);
  }
  return fields;
}

/**
 * The upload a `.PKGINFO` describes (docs/protocols/alpine.md §3): name, version and
 * architecture are required and checked against the grammars (they become a file name
 * and index lines); an index line cannot hold a newline, so no value may.
 */
export function alpineUploadOf(pkginfo: string, checksum: string): AlpineUpload {
  const fields = parsePkgInfo(pkginfo);
  const one = (key: string): string | undefined => {
    const v = fields.get(key)?.at(-1);
    return v === undefined || v === '' ? undefined : v;
  };
  const required = (key: string, grammar: NameGrammar): string => {
    const v = one(key);
    if (v === undefined) throw new InvalidArtifactError(`.PKGINFO has no ${key}`);
    if (!grammar.pattern.test(v) || v.length > (grammar.maxLength ?? 255))
      throw new InvalidArtifactError(`.PKGINFO ${key} ${JSON.stringify(v)}: ${grammar.rule}`);
    return v;
  };
  const int = (key: string): number | undefined => {
    const v = one(key);
    return v !== undefined && /^[0-9]{1,15}$/.test(v) ? Number(v) : undefined;
  };
  const words = (key: string): string[] =>
    (fields.get(key) ?? []).flatMap((v) => v.split(/\s+/)).filter((v) => v !== '');
  const name = required('pkgname', ALPINE_NAME);
  const version = required('pkgver', ALPINE_VERSION);
  const architecture = required('arch', ALPINE_ARCH);
  const provides = words('provides');
  const dependencies = words('depend');
  if (provides.length + dependencies.length > MAX_RELATIONS)
    throw new InvalidArtifactError(
      `.PKGINFO lists more than ${MAX_RELATIONS} depend and provides entries`,
    );
  const url = one('url');
  const versionMetadata: AlpineVersionMetadata = {
    description: one('pkgdesc'),
    license: one('license'),
    project_url: url && /^https?:\/\/[^\s]+$/.test(url) ? url : undefined,
    maintainer: one('maintainer'),
  };
  const fileMetadata: AlpineFileMetadata = {
    checksum,
    packager: one('packager'),
    build_date: int('builddate'),
    size: int('size'),
    architecture,
    origin: one('origin'),
    commit_hash: one('commit'),
    install_if: words('install_if').join(' ') || undefined,
    provides: provides.length ? provides : undefined,
    dependencies: dependencies.length ? dependencies : undefined,
    provider_priority: int('provider_priority'),
  };
  return {
    name,
    version,
    architecture,
    fileName: apkFileName(name, version),
    versionMetadata: dropUndefined(versionMetadata),
    fileMetadata: dropUndefined(fileMetadata),
  };
}

function dropUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
