import {
  checkName,
  InvalidArtifactError,
  NameGrammar,
  parseJsonDocument,
} from '@wharf/packages-core';
import { normalizeComposerVersion } from './composer-version';

/*
 * Pure validation of what a Composer upload carries (docs/protocols/composer.md §3): the
 * package name's two halves, the version, and the fields of `composer.json` that the
 * p2 documents serve. Composer's own grammar for names
 * (`^[a-z0-9]([_.-]?[a-z0-9]+)*\/[a-z0-9](([_.]|-{1,2})?[a-z0-9]+)*$`, getcomposer.org
 * schema `name`) split in two, so a route's `{vendor}` and `{project}` are checked
 * alone, through core's checkName.
 */

/** Version property: the package type (`library`, `composer-plugin`…), searched by `search.json?type=`. */
export const TYPE_PROPERTY = 'composer.type';

export const VENDOR_NAME: NameGrammar = {
  what: 'vendor name',
  pattern: /^[a-z0-9](?:[_.-]?[a-z0-9]+)*$/,
  rule: 'lower-case letters and digits, single ".", "_" or "-" between them',
  maxLength: 100,
};

export const PROJECT_NAME: NameGrammar = {
  what: 'project name',
  pattern: /^[a-z0-9](?:(?:[_.]|-{1,2})?[a-z0-9]+)*$/,
  rule: 'lower-case letters and digits, single "." or "_" or up to two "-" between them',
  maxLength: 100,
};

// What a published version may be spelled with: Composer's versions and branch names
// without `/` (it would be a path segment of the download URL), spaces or constraint syntax.
export const VERSION: NameGrammar = {
  what: 'package version',
  pattern: /^[A-Za-z0-9](?:[A-Za-z0-9._+-]*[A-Za-z0-9])?$/,
  rule: 'letters, digits, ".", "_", "+" and "-", starting and ending with a letter or digit',
  maxLength: 100,
};

export const FILE_NAME: NameGrammar = {
  what: 'file name',
  pattern: /^[a-z0-9][a-z0-9._+-]*$/i,
  rule: 'letters, digits, ".", "_", "+" and "-"',
  fileName: true,
};

const PACKAGE_TYPE = /^[a-z0-9][a-z0-9._-]*$/i;

/** `vendor/project`, each half checked against its grammar; returns it. */
export function checkPackageName(name: string): string {
  const parts = typeof name === 'string' ? name.split('/') : [];
  if (parts.length !== 2)
    throw new InvalidArtifactError(
      `package name is invalid: "${String(name).slice(0, 200)}" is not vendor/project (e.g. acme/http-client)`,
    );
  checkName(parts[0], VENDOR_NAME);
  checkName(parts[1], PROJECT_NAME);
  return name;
}

/** The archive kinds Composer's downloaders unpack: `zip`, and `tar` (plain, gzip or bzip2). */
export type ArchiveKind = 'zip' | 'tar' | 'tar.gz' | 'tar.bz2';

/** `dist.type` of a stored archive (Composer's TarDownloader takes every tar). */
export function distType(kind: ArchiveKind): 'zip' | 'tar' {
  return kind === 'zip' ? 'zip' : 'tar';
}

/** The stored file name: `{vendor}-{project}.{version}.{ext}`, lower case (Forgejo's, with the real extension). */
export function archiveFileName(name: string, version: string, kind: ArchiveKind): string {
  return `${name.replace('/', '-')}.${version}.${kind}`.toLowerCase();
}

/** The fields of one version a p2 document serves beside name, version, time and dist. */
export interface ComposerVersionMetadata {
  version_normalized: string;
  type: string;
  description?: string;
  keywords?: string[];
  homepage?: string;
  license?: string[];
  authors?: Record<string, string>[];
  support?: Record<string, string>;
  funding?: Record<string, string>[];
  require?: Record<string, string>;
  'require-dev'?: Record<string, string>;
  conflict?: Record<string, string>;
  replace?: Record<string, string>;
  provide?: Record<string, string>;
  suggest?: Record<string, string>;
  autoload?: Record<string, unknown>;
  'autoload-dev'?: Record<string, unknown>;
  'include-path'?: string[];
  'target-dir'?: string;
  bin?: string[];
  extra?: Record<string, unknown>;
}

/** A validated composer.json: the package's name, pretty version and served metadata. */
export interface ComposerManifest {
  name: string;
  version: string;
  metadata: ComposerVersionMetadata;
}

/**
 * Reads composer.json (bytes from the archive) and settles the version: the upload's
 * `?version=` or composer.json's `version`; when both are given they must be the same
 * version to Composer (`v1.0` = `1.0.0`). Everything refused is an InvalidArtifactError
 * naming the field.
 */
export function parseComposerJson(bytes: Buffer, queryVersion?: string): ComposerManifest {
  const doc = parseJsonDocument(bytes, 'composer.json');
  if (!isRecord(doc)) throw new InvalidArtifactError('composer.json must be a JSON object');
  const f = new Fields(doc);
  const name = f.string('name');
  if (!name) throw new InvalidArtifactError('package name is invalid: composer.json has no name');
  checkPackageName(name);
  const version = settleVersion(f.string('version'), queryVersion);
  const type = f.string('type') || 'library';
  if (!PACKAGE_TYPE.test(type) || type.length > 100)
    throw new InvalidArtifactError(
      `composer.json is invalid: type "${type.slice(0, 100)}" may hold letters, digits, ".", "_" and "-"`,
    );
  const homepage = f.string('homepage');
  const metadata: ComposerVersionMetadata = {
    version_normalized: normalizeComposerVersion(version),
    type,
    description: f.string('description'),
    keywords: f.strings('keywords'),
    homepage: homepage && /^https?:\/\/\S+$/i.test(homepage) ? homepage : undefined,
    license: f.stringOrStrings('license'),
    authors: f.list('authors', (a, at) => new Fields(a, at).stringMap()),
    support: f.object('support', (s, at) => new Fields(s, at).stringMap()),
    funding: f.list('funding', (a, at) => new Fields(a, at).stringMap()),
    require: f.links('require'),
    'require-dev': f.links('require-dev'),
    conflict: f.links('conflict'),
    replace: f.links('replace'),
    provide: f.links('provide'),
    suggest: f.links('suggest'),
    autoload: f.object('autoload'),
    'autoload-dev': f.object('autoload-dev'),
    'include-path': f.strings('include-path'),
    'target-dir': f.string('target-dir'),
    bin: f.stringOrStrings('bin'),
    extra: f.object('extra'),
  };
  return { name, version, metadata: dropEmpty(metadata) };
}

function settleVersion(fromFile: string | undefined, fromQuery: string | undefined): string {
  const file = fromFile?.trim() || undefined;
  const query = fromQuery?.trim() || undefined;
  const version = query ?? file;
  if (!version)
    throw new InvalidArtifactError(
      'package version is missing: give it as ?version= or as "version" in composer.json',
    );
  for (const v of [query, file]) if (v !== undefined) checkName(v, VERSION);
  if (query && file && normalizeComposerVersion(query) !== normalizeComposerVersion(file))
    throw new InvalidArtifactError(
      `package version is invalid: ?version=${query} disagrees with composer.json's version ${file}`,
    );
  normalizeComposerVersion(version);
  return version;
}

/** Typed reads of composer.json fields; a field of the wrong type is a 400 naming it. */
class Fields {
  constructor(
    private readonly obj: Record<string, unknown>,
    private readonly at = '',
  ) {}

  string(key: string): string | undefined {
    const v = this.obj[key];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'string') throw this.wrong(key, 'a string');
    return v;
  }

  strings(key: string): string[] | undefined {
    const v = this.obj[key];
    if (v === undefined || v === null) return undefined;
    if (!Array.isArray(v) || !v.every((s) => typeof s === 'string'))
      throw this.wrong(key, 'a list of strings');
    return v as string[];
  }

  /** `license` and `bin` may be one string or a list (Composer schema). */
  stringOrStrings(key: string): string[] | undefined {
    const v = this.obj[key];
    return typeof v === 'string' ? [v] : this.strings(key);
  }

  object<T = Record<string, unknown>>(
    key: string,
    map?: (value: Record<string, unknown>, at: string) => T,
  ): T | undefined {
    const v = this.obj[key];
    if (v === undefined || v === null) return undefined;
    // PHP's json_encode writes an empty object as `[]`: Composer reads both.
    if (Array.isArray(v) && v.length === 0) return undefined;
    if (!isRecord(v)) throw this.wrong(key, 'an object');
    return map ? map(v, this.path(key)) : (v as T);
  }

  /** `require`, `conflict`…: package name → constraint, both strings. */
  links(key: string): Record<string, string> | undefined {
    return this.object(key, (v, at) => new Fields(v, at).stringMap());
  }

  list<T>(key: string, map: (item: Record<string, unknown>, at: string) => T): T[] | undefined {
    const v = this.obj[key];
    if (v === undefined || v === null) return undefined;
    if (!Array.isArray(v)) throw this.wrong(key, 'a list');
    return v.map((item, i) => {
      if (!isRecord(item)) throw this.wrong(`${key}[${i}]`, 'an object');
      return map(item, `${this.path(key)}[${i}]`);
    });
  }

  /** This object, whose every value must be a string. */
  stringMap(): Record<string, string> {
    for (const [k, v] of Object.entries(this.obj))
      if (typeof v !== 'string') throw this.wrong(k, 'a string');
    return this.obj as Record<string, string>;
  }

  private path(key: string): string {
    return this.at ? `${this.at}.${key}` : key;
  }

  private wrong(key: string, expected: string): InvalidArtifactError {
    return new InvalidArtifactError(
      `composer.json is invalid: ${this.path(key).slice(0, 200)} must be ${expected}`,
    );
  }
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function dropEmpty<T extends object>(obj: T): T {
  return Object.fromEntries(
    Object.entries(obj).filter(
      ([, v]) => v !== undefined && v !== '' && !(Array.isArray(v) && !v.length),
    ),
  ) as T;
}
