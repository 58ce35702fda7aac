import type { Readable } from 'node:stream';
import { promisify } from 'node:util';
import { gunzip } from 'node:zlib';
import {
  ArchiveBudgetError,
  checkName,
  InvalidArtifactError,
  NameGrammar,
  walkTar,
} from '@wharf/packages-core';
import { Gemspec, parseGemspecYaml } from './gemspec-yaml';

export type { GemDependency, GemRequirement, Gemspec } from './gemspec-yaml';

/*
 * Pure reading of an uploaded .gem (docs/protocols/rubygems.md §3) and the names of the
 * format: a gem is a plain tar holding metadata.gz (the gzip'd gemspec YAML),
 * data.tar.gz (the files) and checksums.yaml.gz; both tars go through core's tar reader,
 * so unsafe entries, links and bombs refuse the gem.
 */

const gunzipAsync = promisify(gunzip);

/** RubyGems' own name rule (Gem::Specification#validate_name): no leading `.`, `-` or `_`. */
export const GEM_NAME: NameGrammar = {
  what: 'gem name',
  pattern: /^[A-Za-z0-9][A-Za-z0-9._-]*$/,
  rule: 'letters, digits, ".", "_" and "-", starting with a letter or digit',
  fileName: true,
};

// Gem::Version::VERSION_PATTERN, anchored, without the surrounding whitespace it tolerates.
export const GEM_VERSION: NameGrammar = {
  what: 'gem version',
  pattern: /^[0-9]+(?:\.[0-9a-zA-Z]+)*(?:-[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?$/,
  rule: 'a RubyGems version: numbers and letters separated by dots (1.0.2, 2.0.0.rc1)',
  maxLength: 128,
};

/** Gem::Platform strings: `ruby`, `java`, `x86_64-linux`, `universal-darwin-20`, `x64-mingw-ucrt`. */
export const GEM_PLATFORM: NameGrammar = {
  what: 'gem platform',
  pattern: /^[A-Za-z0-9][A-Za-z0-9._-]*$/,
  rule: 'letters, digits, ".", "_" and "-" (ruby, java, x86_64-linux…)',
  maxLength: 128,
  fileName: true,
};

/** `{name}-{version}[-{platform}]`, as a download or quick-spec path names a gem. */
export const GEM_FULL_NAME: NameGrammar = {
  what: 'gem file name',
  pattern: /^[A-Za-z0-9][A-Za-z0-9._-]*$/,
  rule: 'a gem full name: {name}-{version}[-{platform}]',
  fileName: true,
};

export interface GemLimits {
  /** Compressed bytes of metadata.gz. */
  maxMetadataGz: number;
  /** Bytes of the gemspec YAML once unzipped (a gzip bomb stops here). */
  maxGemspec: number;
  /** Unpacked bytes of data.tar.gz. */
  maxDataUnpacked: number;
}

// Real gemspecs are a few KiB (tens for gems listing thousands of files).
export const DEFAULT_GEM_LIMITS: GemLimits = {
  maxMetadataGz: 1024 * 1024,
  maxGemspec: 8 * 1024 * 1024,
  maxDataUnpacked: 1024 * 1024 * 1024,
};

/** The version metadata Wharf stores for a gem (one version row per version and platform). */
export type GemMetadata = Gemspec;

export const RUBY_PLATFORM = 'ruby';

/** Checks a gemspec's names and normalises the version as Gem::Version does (`-` → `.pre.`). */
export function validateGemspec(spec: Gemspec): GemMetadata {
  checkName(spec.name, GEM_NAME);
  checkName(spec.version, GEM_VERSION);
  checkName(spec.platform, GEM_PLATFORM);
  for (const dep of spec.dependencies)
    checkName(dep.name, { ...GEM_NAME, what: 'dependency name' });
  return { ...spec, version: spec.version.replace(/-/g, '.pre.') };
}

/** `name-version` or `name-version-platform` (RubyGems' full_name; `ruby` is left out). */
export function gemFullName(meta: Pick<GemMetadata, 'name' | 'version' | 'platform'>): string {
  return meta.platform === RUBY_PLATFORM
    ? `${meta.name}-${meta.version}`
    : `${meta.name}-${meta.version}-${meta.platform}`;
}

/** The version row of a gem: its version, with `-platform` for a platform gem (as the compact index writes it). */
export function versionKey(version: string, platform = RUBY_PLATFORM): string {
  return platform === RUBY_PLATFORM || platform === '' ? version : `${version}-${platform}`;
}

/** The stored file name: `{full_name}.gem`, lower-cased (Forgejo). */
export function gemFileName(meta: Pick<GemMetadata, 'name' | 'version' | 'platform'>): string {
  return `${gemFullName(meta)}.gem`.toLowerCase();
}

/** Gem::Version#prerelease?: any letter in the version. */
export function isPrerelease(version: string): boolean {
  return /[a-zA-Z]/.test(version);
}

/**
 * Gem::Version#<=>: versions split into numeric and alphabetic segments, compared in turn
 * with the shorter padded by zeros; a letter segment sorts before any number (1.0.a < 1.0).
 */
export function compareGemVersions(a: string, b: string): number {
  const sa = segments(a);
  const sb = segments(b);
  for (let i = 0; i < Math.max(sa.length, sb.length); i++) {
    const x = sa[i] ?? 0;
    const y = sb[i] ?? 0;
    if (x === y) continue;
    if (typeof x === 'string' && typeof y === 'number') return -1;
    if (typeof x === 'number' && typeof y === 'string') return 1;
    return x < y ? -1 : 1;
  }
  return 0;
}

function segments(version: string): (number | string)[] {
  const parts = version.match(/[0-9]+|[a-z]+/gi) ?? [];
  const segs = parts.map((p) => (/^\d/.test(p) ? Number(p) : p));
  // Trailing zeros do not count (1.0 == 1), as in Gem::Version#canonical_segments.
  while (segs.length > 1 && segs[segs.length - 1] === 0) segs.pop();
  return segs;
}

/**
 * Reads and validates the gemspec of a .gem stream (consumed or destroyed): metadata.gz is
 * required, data.tar.gz must be a safe tar within its budget. 400 for what is not a gem,
 * 413 for a budget passed.
 */
export async function readGem(gem: Readable, limits = DEFAULT_GEM_LIMITS): Promise<GemMetadata> {
  let metadataGz: Buffer | undefined;
  let hasData = false;
  for await (const entry of walkTar(gem, {
    compression: 'none',
    maxEntrySize: limits.maxMetadataGz,
    maxUnpacked: Number.MAX_SAFE_INTEGER,
    maxEntries: 64,
    label: 'the gem',
  })) {
    if (entry.type !== 'file' && entry.type !== 'contiguous-file') continue;
    if (entry.name === 'metadata.gz') {
      if (metadataGz) throw new InvalidArtifactError('the gem holds metadata.gz twice');
      metadataGz = await entry.read();
    } else if (entry.name === 'data.tar.gz') {
      if (hasData) throw new InvalidArtifactError('the gem holds data.tar.gz twice');
      hasData = true;
      await checkDataTar(entry.stream(), limits);
    }
  }
  if (!metadataGz)
    throw new InvalidArtifactError('the gem has no metadata.gz: build it with `gem build`');
  if (!hasData) throw new InvalidArtifactError('the gem has no data.tar.gz');
  return validateGemspec(parseGemspecYaml(await unzipGemspec(metadataGz, limits)));
}

/** Walks the gem's file tree: unsafe names, links out of it or a bomb refuse the gem. */
async function checkDataTar(data: Readable, limits: GemLimits): Promise<void> {
  for await (const entry of walkTar(data, {
    compression: 'gzip',
    maxEntrySize: 0,
    maxUnpacked: limits.maxDataUnpacked,
    // `gem build` stores symlinks of the gem's own files; their targets stay inside.
    allowLinks: true,
    label: 'the gem (data.tar.gz)',
  }))
    entry.stream().resume();
}

async function unzipGemspec(metadataGz: Buffer, limits: GemLimits): Promise<string> {
  try {
    return (await gunzipAsync(metadataGz, { maxOutputLength: limits.maxGemspec })).toString('utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE')
      throw new ArchiveBudgetError(
        `the gem's metadata.gz unpacks to more than ${limits.maxGemspec} bytes`,
      );
    throw new InvalidArtifactError(`the gem's metadata.gz is not gzip: ${(err as Error).message}`);
  }
}
