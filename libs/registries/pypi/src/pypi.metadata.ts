import { assertSafeName, InvalidArtifactError, RegistryError } from '@wharf/packages-core';

/*
 * Pure rules of the PyPI format (docs/protocols/pypi.md §3): project names (PEP 503), versions (PEP 440),
 * distribution file names, and core metadata (METADATA / PKG-INFO, RFC 822 style).
 */

/** File property: sha256 of the wheel's `*.dist-info/METADATA` (PEP 658/714), when it has one. */
export const CORE_METADATA_SHA256 = 'pypi.core-metadata.sha256';
/** File property: the `Requires-Python` the upload declared for this file. */
export const REQUIRES_PYTHON = 'pypi.requires-python';

/** What a version row's metadata JSON holds (set by the upload that created the version). */
export interface PypiVersionMetadata {
  name: string;
  version: string;
  summary?: string;
  description?: string;
  descriptionContentType?: string;
  author?: string;
  authorEmail?: string;
  license?: string;
  keywords?: string;
  classifiers?: string[];
  requiresDist?: string[];
  requiresPython?: string;
  projectUrl?: string;
  projectUrls?: string[];
}

const NAME = /^([A-Za-z0-9]|[A-Za-z0-9][A-Za-z0-9._-]*[A-Za-z0-9])$/;

/** PEP 503: runs of `-`, `_`, `.` become one `-`, lower case. `Foo_Bar.baz` ≡ `foo-bar-baz`. */
export function normalizeProjectName(name: string): string {
  return name.replace(/[-_.]+/g, '-').toLowerCase();
}

/** A project name as uploaded (PEP 508 rule); the stored display form keeps case, with separators made `-`. */
export function projectDisplayName(name: string): string {
  if (typeof name !== 'string' || !NAME.test(name)) {
    throw RegistryError.invalid(
      `invalid project name ${JSON.stringify(name)}: use letters, digits and "-_.", starting and ending with a letter or digit`,
    );
  }
  assertSafeName(name, { what: 'project name' });
  return name.replace(/[-_.]+/g, '-');
}

// PEP 440's grammar (packaging's VERSION_PATTERN), case-insensitive.
const PEP440 = new RegExp(
  '^\\s*v?(?:(?:(?<epoch>[0-9]+)!)?(?<release>[0-9]+(?:\\.[0-9]+)*)' +
    '(?<pre>[-_.]?(?<pre_l>alpha|a|beta|b|preview|pre|c|rc)[-_.]?(?<pre_n>[0-9]+)?)?' +
    '(?<post>(?:-(?<post_n1>[0-9]+))|(?:[-_.]?(?<post_l>post|rev|r)[-_.]?(?<post_n2>[0-9]+)?))?' +
    '(?<dev>[-_.]?(?<dev_l>dev)[-_.]?(?<dev_n>[0-9]+)?)?)' +
    '(?:\\+(?<local>[a-z0-9]+(?:[-_.][a-z0-9]+)*))?\\s*$',
  'i',
);

/**
 * The canonical PEP 440 form of a version (`1.0RC1` → `1.0rc1`, `1.0-alpha` → `1.0a0`,
 * `v1.0.1` → `1.0.1`), so spellings pip treats as one version are stored as one.
 */
export function canonicalVersion(version: string): string {
  const m = typeof version === 'string' ? PEP440.exec(version) : null;
  if (!m?.groups)
    throw RegistryError.invalid(
      `invalid version ${JSON.stringify(version)}: it is not a PEP 440 version`,
    );
  const g = m.groups;
  const num = (s: string | undefined) => String(Number(s ?? '0'));
  let out = '';
  if (g.epoch && Number(g.epoch) !== 0) out += `${num(g.epoch)}!`;
  out += g.release.split('.').map(num).join('.');
  if (g.pre) {
    const l = g.pre_l.toLowerCase();
    out += `${l === 'alpha' ? 'a' : l === 'beta' ? 'b' : ['c', 'pre', 'preview'].includes(l) ? 'rc' : l}${num(g.pre_n)}`;
  }
  if (g.post) out += `.post${num(g.post_n1 ?? g.post_n2)}`;
  if (g.dev) out += `.dev${num(g.dev_n)}`;
  if (g.local) out += `+${g.local.toLowerCase().replace(/[-_]/g, '.')}`;
  return out;
}

/** Kinds of distribution files pip installs from. */
export function distributionKind(filename: string): 'wheel' | 'sdist-tar' | 'sdist-zip' | 'other' {
  const lower = filename.toLowerCase();
  if (lower.endsWith('.whl')) return 'wheel';
  if (lower.endsWith('.tar.gz') || lower.endsWith('.tgz')) return 'sdist-tar';
  if (lower.endsWith('.zip')) return 'sdist-zip';
  return 'other';
}

/** A file name must be path-safe, and a wheel's name must carry the project and version it is uploaded as (PEP 427). */
export function assertDistributionFilename(
  filename: string,
  project: string,
  version: string,
): void {
  assertSafeName(filename, { what: 'file name' });
  if (distributionKind(filename) !== 'wheel') return;
  const parts = filename.slice(0, -4).split('-');
  if (parts.length !== 5 && parts.length !== 6)
    throw RegistryError.invalid(
      `invalid wheel file name ${filename}: expected {name}-{version}(-{build})?-{python}-{abi}-{platform}.whl`,
    );
  if (normalizeProjectName(parts[0]) !== normalizeProjectName(project)) {
    throw RegistryError.invalid(`the wheel ${filename} is for project ${parts[0]}, not ${project}`);
  }
  let fileVersion: string | undefined;
  try {
    fileVersion = canonicalVersion(parts[1].replace(/_/g, '-'));
  } catch {
    fileVersion = undefined;
  }
  if (fileVersion !== version)
    throw RegistryError.invalid(`the wheel ${filename} is version ${parts[1]}, not ${version}`);
}

/** Core metadata headers: single values, and the multiple-use fields as lists. */
export interface CoreMetadata {
  fields: Record<string, string>;
  multi: Record<string, string[]>;
}

const MULTI = new Set([
  'classifier',
  'requires-dist',
  'project-url',
  'provides-extra',
  'platform',
  'supported-platform',
  'dynamic',
  'license-file',
]);

/** Parses METADATA / PKG-INFO (core metadata 1.0–2.4: RFC 822 headers, then an optional body that is the description). */
export function parseCoreMetadata(text: string): CoreMetadata {
  const fields: Record<string, string> = {};
  const multi: Record<string, string[]> = {};
  const lines = text.replace(/\r\n?/g, '\n').split('\n');
  let last: { key: string; multi: boolean } | undefined;
  let i = 0;
  for (; i < lines.length; i++) {
    const line = lines[i];
    if (line === '') break;
    if (/^[ \t]/.test(line) && last) {
      const cont = `\n${line.replace(/^( {8}|\t|\s+\|)/, '')}`;
      if (last.multi) multi[last.key][multi[last.key].length - 1] += cont;
      else fields[last.key] += cont;
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0)
      throw new InvalidArtifactError(
        `the core metadata has an invalid line: ${JSON.stringify(line.slice(0, 80))}`,
      );
    const key = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    if (MULTI.has(key)) (multi[key] ??= []).push(value);
    else fields[key] = value;
    last = { key, multi: MULTI.has(key) };
  }
  const body = lines
    .slice(i + 1)
    .join('\n')
    .trim();
  if (body && !fields.description) fields.description = body;
  if (!fields['metadata-version'] || !fields.name || !fields.version) {
    throw new InvalidArtifactError('the core metadata lacks Metadata-Version, Name or Version');
  }
  return { fields, multi };
}

/** The file's metadata must describe the project and version of the upload form. */
export function assertMetadataAgrees(
  meta: CoreMetadata,
  project: string,
  version: string,
  where: string,
): void {
  if (normalizeProjectName(meta.fields.name) !== normalizeProjectName(project)) {
    throw new InvalidArtifactError(
      `${where} names project ${meta.fields.name}, but the upload is for ${project}`,
    );
  }
  let v: string | undefined;
  try {
    v = canonicalVersion(meta.fields.version);
  } catch {
    v = undefined;
  }
  if (v !== version)
    throw new InvalidArtifactError(
      `${where} has version ${meta.fields.version}, but the upload is for ${version}`,
    );
}

/** Project-URL labels compare without punctuation and case (`Home-page`, `Home page` → `homepage`). */
export function normalizeLabel(label: string): string {
  return label.replace(/[\s\p{P}\p{S}]/gu, '').toLowerCase();
}

/** The homepage: a `Homepage` project URL, else the old Home-page field; only http(s) URLs. */
export function pickHomepage(projectUrls: string[], homePage?: string): string | undefined {
  for (const entry of projectUrls) {
    const comma = entry.indexOf(',');
    if (comma > 0 && normalizeLabel(entry.slice(0, comma)) === 'homepage') {
      const url = entry.slice(comma + 1).trim();
      if (isHttpUrl(url)) return url;
    }
  }
  return homePage && isHttpUrl(homePage.trim()) ? homePage.trim() : undefined;
}

function isHttpUrl(value: string): boolean {
  try {
    return ['http:', 'https:'].includes(new URL(value).protocol);
  } catch {
    return false;
  }
}
