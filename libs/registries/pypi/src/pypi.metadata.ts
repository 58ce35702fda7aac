import { checkName, InvalidArtifactError, NameGrammar, RegistryError } from '@wharf/packages-core';

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

/*
 * The grammar of each coordinate (docs/protocols/pypi.md §3), applied through core's checkName
 * (which also refuses look-alike dots and slashes, percent-encoded paths, control characters).
 */

// PEP 508's project name, case-insensitive (PEP 503 then normalises it).
export const PYPI_PROJECT: NameGrammar = {
  what: 'project name',
  pattern: /^([A-Za-z0-9]|[A-Za-z0-9][A-Za-z0-9._-]*[A-Za-z0-9])$/,
  rule: 'letters, digits and "-_.", starting and ending with a letter or digit (PEP 508)',
};

// PEP 440's grammar (packaging's VERSION_PATTERN), case-insensitive; the groups feed canonicalVersion.
const PEP440_SOURCE =
  'v?(?:(?:(?<epoch>[0-9]+)!)?(?<release>[0-9]+(?:\\.[0-9]+)*)' +
  '(?<pre>[-_.]?(?<pre_l>alpha|a|beta|b|preview|pre|c|rc)[-_.]?(?<pre_n>[0-9]+)?)?' +
  '(?<post>(?:-(?<post_n1>[0-9]+))|(?:[-_.]?(?<post_l>post|rev|r)[-_.]?(?<post_n2>[0-9]+)?))?' +
  '(?<dev>[-_.]?(?<dev_l>dev)[-_.]?(?<dev_n>[0-9]+)?)?)' +
  '(?:\\+(?<local>[a-z0-9]+(?:[-_.][a-z0-9]+)*))?';
const PEP440 = new RegExp(`^${PEP440_SOURCE}$`, 'i');
export const PYPI_VERSION: NameGrammar = {
  what: 'version',
  pattern: PEP440,
  rule: 'a PEP 440 version such as 1.0, 2.0rc1, 1!1.0.post2 or 1.0+local.1',
};

// Wheel (PEP 427) and sdist (PEP 625) names: the escaped project name, the version, tags.
// The characters only; assertDistributionFilename checks the structure.
export const PYPI_FILENAME: NameGrammar = {
  what: 'file name',
  pattern: /^[A-Za-z0-9][A-Za-z0-9._+!-]*$/,
  rule: 'letters, digits and "._+!-" (a wheel or sdist file name)',
  fileName: true,
};

/** PEP 503: runs of `-`, `_`, `.` become one `-`, lower case. `Foo_Bar.baz` ≡ `foo-bar-baz`. */
export function normalizeProjectName(name: string): string {
  return name.replace(/[-_.]+/g, '-').toLowerCase();
}

/** A project name as uploaded (PEP 508 rule); the stored display form keeps case, with separators made `-`. */
export function projectDisplayName(name: string): string {
  checkName(name, PYPI_PROJECT);
  return name.replace(/[-_.]+/g, '-');
}

/**
 * The canonical PEP 440 form of a version (`1.0RC1` → `1.0rc1`, `1.0-alpha` → `1.0a0`,
 * `v1.0.1` → `1.0.1`), so spellings pip treats as one version are stored as one.
 */
export function canonicalVersion(version: string): string {
  const m = typeof version === 'string' ? PEP440.exec(version.trim()) : null;
  if (!m?.groups)
    throw RegistryError.invalid(
      `invalid version ${JSON.stringify(version)}: it is not a PEP 440 version`,
    );
  checkName(version.trim(), PYPI_VERSION);
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

/** Kinds of distribution files pip installs from (PEP 527 left these three). */
export function distributionKind(filename: string): 'wheel' | 'sdist-tar' | 'sdist-zip' | 'other' {
  const lower = filename.toLowerCase();
  if (lower.endsWith('.whl')) return 'wheel';
  if (lower.endsWith('.tar.gz')) return 'sdist-tar';
  if (lower.endsWith('.zip')) return 'sdist-zip';
  return 'other';
}

/**
 * The uploaded file's name must be a distribution of the project and version of the form:
 * a wheel `{name}-{version}(-{build})?-{python}-{abi}-{platform}.whl` (PEP 427), or an sdist
 * `{name}-{version}.tar.gz` (PEP 625) — also with the project name as written rather than
 * escaped, and as a legacy `.zip`, which setuptools made and Wharf has accepted.
 */
export function assertDistributionFilename(
  filename: string,
  project: string,
  version: string,
): void {
  checkName(filename, PYPI_FILENAME);
  const kind = distributionKind(filename);
  if (kind === 'other')
    throw RegistryError.invalid(
      `invalid file name ${filename}: a distribution is a wheel (.whl) or an sdist (.tar.gz, or a legacy .zip)`,
    );
  if (kind === 'wheel') return assertWheelFilename(filename, project, version);
  const stem = filename.slice(0, kind === 'sdist-tar' ? -'.tar.gz'.length : -'.zip'.length);
  // The project name may itself hold `-` (legacy sdists): try each split into name-version.
  for (let at = stem.indexOf('-'); at > 0; at = stem.indexOf('-', at + 1)) {
    if (normalizeProjectName(stem.slice(0, at)) !== normalizeProjectName(project)) continue;
    if (versionOrUndefined(stem.slice(at + 1)) === version) return;
  }
  throw RegistryError.invalid(
    `invalid sdist file name ${filename}: expected ${project.replace(/-/g, '_').toLowerCase()}-${version}.tar.gz for ${project} ${version}`,
  );
}

function assertWheelFilename(filename: string, project: string, version: string): void {
  const parts = filename.slice(0, -4).split('-');
  if ((parts.length !== 5 && parts.length !== 6) || parts.some((p) => p === ''))
    throw RegistryError.invalid(
      `invalid wheel file name ${filename}: expected {name}-{version}(-{build})?-{python}-{abi}-{platform}.whl`,
    );
  if (parts.length === 6 && !/^[0-9]/.test(parts[2]))
    throw RegistryError.invalid(
      `invalid wheel file name ${filename}: the build tag must start with a digit`,
    );
  if (normalizeProjectName(parts[0]) !== normalizeProjectName(project)) {
    throw RegistryError.invalid(`the wheel ${filename} is for project ${parts[0]}, not ${project}`);
  }
  if (versionOrUndefined(parts[1].replace(/_/g, '-')) !== version)
    throw RegistryError.invalid(`the wheel ${filename} is version ${parts[1]}, not ${version}`);
}

function versionOrUndefined(text: string): string | undefined {
  try {
    return canonicalVersion(text);
  } catch {
    return undefined;
  }
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
