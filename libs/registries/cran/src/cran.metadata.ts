import { checkName, InvalidArtifactError, NameGrammar, RegistryError } from '@wharf/packages-core';

/*
 * Pure rules of the CRAN format (docs/protocols/cran.md §3): R's names and versions, the
 * DESCRIPTION file (Debian Control File syntax as R's read.dcf reads it), what Wharf keeps
 * of it, the stored file names and R's version order. No Nest, no database.
 */

/** R's `valid_package_name` (tools:::.standard_regexps), ASCII as CRAN requires. */
export const PACKAGE_NAME: NameGrammar = {
  what: 'R package name',
  pattern: /^[A-Za-z][A-Za-z0-9.]*[A-Za-z0-9]$/,
  rule: 'letters, digits and ".", at least two characters, starting with a letter and not ending with "."',
  maxLength: 128,
  fileName: true,
};

/** R's `valid_package_version`: at least two numbers separated by "." or "-" (1.0, 0.1-2, 2.3.0.9000). */
export const PACKAGE_VERSION: NameGrammar = {
  what: 'R package version',
  pattern: /^[0-9]+(?:[.-][0-9]+)+$/,
  rule: 'at least two numbers separated by "." or "-" (1.0, 0.1-2, 2.3.0.9000)',
  maxLength: 64,
};

/** A file name in a download path: `{package}_{version}.tar.gz|.zip|.tgz` (parsed after this check). */
export const FILE_NAME: NameGrammar = {
  what: 'file name',
  pattern: /^[A-Za-z0-9._-]+$/,
  rule: 'letters, digits, ".", "_" and "-"',
  maxLength: 256,
  fileName: true,
};

/**
 * One segment of a binary platform: `windows`, `macosx`, and the second segment of the
 * macOS layouts R ≥ 4.1 asks for (`macosx/big-sur-arm64`). Lower case, as R writes them,
 * so the path compares alike on every database.
 */
export const PLATFORM_SEGMENT: NameGrammar = {
  what: 'binary platform',
  pattern: /^[a-z0-9][a-z0-9._-]*$/,
  rule: 'lower-case letters, digits, ".", "_" and "-" (windows, macosx, macosx/big-sur-arm64)',
  maxLength: 64,
  fileName: true,
};

/** The R version of a binary directory: `major.minor`, the form R derives its path from. */
export const R_VERSION: NameGrammar = {
  what: 'R version',
  pattern: /^[0-9]+\.[0-9]+$/,
  rule: 'major.minor (4.2), as R names its binary directory bin/{platform}/contrib/{major.minor}',
  maxLength: 16,
};

/** A platform of one or two segments (`windows`, `macosx/big-sur-arm64`). */
export function checkPlatform(platform: string): string {
  const segments = platform.split('/');
  if (segments.length > 2)
    throw RegistryError.invalid(
      'invalid binary platform: at most two segments (windows, macosx/big-sur-arm64)',
    );
  for (const s of segments) checkName(s, PLATFORM_SEGMENT);
  return platform;
}

/** Where a binary lives: `bin/{platform}/contrib/{rversion}`; the file key of its stored file. */
export interface BinaryTarget {
  platform: string;
  rversion: string;
}

export function binaryKey(target: BinaryTarget): string {
  return `${target.platform}|${target.rversion}`;
}

export type ArchiveKind = 'tar' | 'zip';

/** `{package}_{version}.tar.gz` for sources; `.zip` (Windows) or `.tgz` (macOS) for binaries. */
export function packageFileName(
  name: string,
  version: string,
  kind: 'source' | ArchiveKind,
): string {
  const ext = kind === 'source' ? '.tar.gz' : kind === 'zip' ? '.zip' : '.tgz';
  return `${name}_${version}${ext}`;
}

const FILE_PATTERN =
  /^([A-Za-z][A-Za-z0-9.]*[A-Za-z0-9])_([0-9]+(?:[.-][0-9]+)+)\.(tar\.gz|zip|tgz)$/;

/** Package and version of a file name in a download path, or undefined when it names none. */
export function parsePackageFileName(
  file: string,
): { name: string; version: string; ext: string } | undefined {
  const m = FILE_PATTERN.exec(file);
  return m ? { name: m[1], version: m[2], ext: m[3] } : undefined;
}

/** What Wharf keeps of a DESCRIPTION: the fields the PACKAGES index and the UI show, verbatim (folded). */
export interface CranMetadata {
  package: string;
  version: string;
  title?: string;
  description?: string;
  license?: string;
  author?: string;
  maintainer?: string;
  url?: string;
  depends?: string;
  imports?: string;
  linkingTo?: string;
  suggests?: string;
  enhances?: string;
  priority?: string;
  osType?: string;
  licenseIsFoss?: string;
  licenseRestrictsUse?: string;
  needsCompilation: boolean;
}

// DESCRIPTION field → metadata property, for the optional fields kept.
const KEPT_FIELDS: Record<string, keyof CranMetadata> = {
  Title: 'title',
  Description: 'description',
  License: 'license',
  Author: 'author',
  Maintainer: 'maintainer',
  URL: 'url',
  Depends: 'depends',
  Imports: 'imports',
  LinkingTo: 'linkingTo',
  Suggests: 'suggests',
  Enhances: 'enhances',
  Priority: 'priority',
  OS_type: 'osType',
  License_is_FOSS: 'licenseIsFoss',
  License_restricts_use: 'licenseRestrictsUse',
};

const FIELD_LINE = /^([^\s:]+):[ \t]*(.*)$/;

/**
 * R's read.dcf on one record: `Field: value` lines, continuation lines starting with
 * whitespace (folded into the value with one space, so no value spans lines), CR LF
 * accepted. A DESCRIPTION is one record: a blank line followed by more fields, a line that
 * is neither a field nor a continuation, a field given twice or a control character is a
 * 400 naming the line.
 */
export function parseDcf(text: string): Map<string, string> {
  const fields = new Map<string, string>();
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  let current: string | undefined;
  let ended = false;
  lines.forEach((line, i) => {
    const where = `DESCRIPTION line ${i + 1}`;
    if (/^[ \t]*$/.test(line)) {
      if (fields.size) ended = true;
      return;
    }
    // eslint-disable-next-line no-control-regex
    if (/[\x00-\x08\x0b-\x1f\x7f]/.test(line))
      throw new InvalidArtifactError(`${where} holds a control character`);
    if (ended)
      throw new InvalidArtifactError(
        `${where}: the DESCRIPTION holds more than one record (a blank line inside it)`,
      );
    if (/^[ \t]/.test(line)) {
      if (current === undefined)
        throw new InvalidArtifactError(`${where} is a continuation line before any field`);
      const more = line.trim();
      // A lone "." stands for an empty line inside a long field.
      if (more && more !== '.') fields.set(current, `${fields.get(current)} ${more}`.trim());
      return;
    }
    const m = FIELD_LINE.exec(line);
    if (!m) throw new InvalidArtifactError(`${where} is not "Field: value"`);
    if (fields.has(m[1])) throw new InvalidArtifactError(`${where}: field ${m[1]} appears twice`);
    current = m[1];
    fields.set(current, m[2].trim());
  });
  return fields;
}

/** Bytes of a DESCRIPTION as text: UTF-8 unless its `Encoding:` field says latin1. */
export function decodeDescription(bytes: Buffer): string {
  const utf8 = bytes.toString('utf8');
  const encoding = /^Encoding:[ \t]*(\S+)/m.exec(utf8)?.[1]?.toLowerCase();
  return encoding === 'latin1' || encoding === 'iso-8859-1' ? bytes.toString('latin1') : utf8;
}

/**
 * The metadata of a DESCRIPTION: Package and Version required and checked against R's
 * grammar (a 400 naming what is missing or wrong), the other fields kept as written.
 */
export function parseDescription(bytes: Buffer): CranMetadata {
  const fields = parseDcf(decodeDescription(bytes));
  const required = (field: string): string => {
    const value = fields.get(field);
    if (!value)
      throw new InvalidArtifactError(
        `the DESCRIPTION has no ${field} field: R needs Package and Version`,
      );
    return value;
  };
  const metadata: CranMetadata = {
    package: checkName(required('Package'), PACKAGE_NAME),
    version: checkName(required('Version'), PACKAGE_VERSION),
    needsCompilation: fields.get('NeedsCompilation')?.toLowerCase() === 'yes',
  };
  for (const [field, key] of Object.entries(KEPT_FIELDS)) {
    const value = fields.get(field);
    if (value) (metadata as unknown as Record<string, string>)[key] = value;
  }
  return metadata;
}

/**
 * R's package_version order: the numbers compared in turn, a version that is a prefix of
 * another is the smaller one; "." and "-" are alike (1.0-2 == 1.0.2).
 */
export function compareRVersions(a: string, b: string): number {
  const x = a.split(/[.-]/).map(Number);
  const y = b.split(/[.-]/).map(Number);
  for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i] - y[i];
  return x.length - y.length;
}
