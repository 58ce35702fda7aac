import {
  NameGrammar,
  RegistryError,
  RpmDependency,
  RpmPackageInfo,
  RpmSense,
  checkName,
  rpmComparison,
  splitRpmEvr,
} from '@wharf/packages-core';

/*
 * Names, stored metadata and the mapping from an rpm's headers to them
 * (docs/protocols/rpm.md §3). Pure: no Nest, no database.
 */

/** The file's group (`''` for none): the repository it is listed in. */
export const GROUP_PROPERTY = 'rpm.group';
export const ARCHITECTURE_PROPERTY = 'rpm.architecture';
/** The file's {@link RpmFileMetadata} as JSON: what the repodata lists. */
export const METADATA_PROPERTY = 'rpm.metadata';

/** Changelog entries kept per package (newest first), as createrepo's --changelog-limit. */
export const CHANGELOG_LIMIT = 100;

/** Group path segments (`el9`, `el9/stable`, `centos/7`). */
export const RPM_GROUP: NameGrammar = {
  what: 'rpm group',
  pattern: /^[A-Za-z0-9_][A-Za-z0-9._+-]*$/,
  rule: 'path segments of letters, digits, "_", ".", "+" and "-" (el9, el9/stable)',
  maxLength: 200,
  allowSlash: true,
  fileName: true,
};

/** Package names as rpm and Fedora's guidelines allow them (`hello`, `libstdc++`, `python3.11-pip`). */
export const RPM_NAME: NameGrammar = {
  what: 'rpm package name',
  pattern: /^[A-Za-z0-9_+][A-Za-z0-9._+-]*$/,
  rule: 'letters, digits, "_", "+", "." and "-", not starting with "." or "-"',
  maxLength: 200,
  fileName: true,
};

/** The stored version, `[epoch-]version-release` (`1.2.3-4.el9`, `2-1.0~rc1-1`). */
export const RPM_VERSION: NameGrammar = {
  what: 'rpm version',
  pattern: /^[A-Za-z0-9_][A-Za-z0-9._+~^-]*$/,
  rule: 'letters, digits and "._+~^-" ([epoch-]version-release, 1.2.3-4.el9)',
  maxLength: 200,
  fileName: true,
};

/** Architectures (`x86_64`, `noarch`, `aarch64`, `src`). */
export const RPM_ARCH: NameGrammar = {
  what: 'rpm architecture',
  pattern: /^[A-Za-z0-9_]+$/,
  rule: 'letters, digits and "_" (x86_64, noarch)',
  maxLength: 64,
  fileName: true,
};

/** Version metadata (Forgejo's RPM VersionMetadata). */
export interface RpmVersionMetadata {
  license: string;
  project_url?: string;
  summary: string;
  description: string;
}

/** One dependency as repodata spells it (`<rpm:entry>`). */
export interface RpmEntry {
  name: string;
  flags?: 'LT' | 'GT' | 'EQ' | 'LE' | 'GE';
  epoch?: string;
  version?: string;
  release?: string;
  /** A requirement scripts need at install time (`pre="1"`). */
  pre?: boolean;
}

export interface RpmFileEntry {
  path: string;
  /** `dir` or `ghost`; absent for an ordinary file or link. */
  type?: 'dir' | 'ghost';
  is_executable?: boolean;
}

export interface RpmChangelog {
  author: string;
  date: number;
  text: string;
}

/** File metadata (Forgejo's RPM FileMetadata, plus the header range and weak dependencies). */
export interface RpmFileMetadata {
  architecture: string;
  epoch: string;
  version: string;
  release: string;
  vendor?: string;
  group?: string;
  packager?: string;
  source_rpm?: string;
  build_host?: string;
  build_time?: number;
  installed_size?: number;
  archive_size?: number;
  /** The main header's byte range in the stored file (`<rpm:header-range>`). */
  header_start: number;
  header_end: number;
  provide?: RpmEntry[];
  require?: RpmEntry[];
  conflict?: RpmEntry[];
  obsolete?: RpmEntry[];
  recommend?: RpmEntry[];
  suggest?: RpmEntry[];
  supplement?: RpmEntry[];
  enhance?: RpmEntry[];
  files?: RpmFileEntry[];
  changelogs?: RpmChangelog[];
}

/** What an upload is stored as. */
export interface RpmUpload {
  name: string;
  /** `[epoch-]version-release`, the PackageVersion (Forgejo's form, used in URLs). */
  version: string;
  architecture: string;
  fileName: string;
  versionMetadata: RpmVersionMetadata;
  fileMetadata: RpmFileMetadata;
}

/**
 * Maps the headers to what is stored. The names are checked against the grammars, since
 * they become URL segments and a file name; the header range is the stored file's.
 */
export function rpmUploadOf(
  info: RpmPackageInfo,
  headerRange: { start: number; end: number },
): RpmUpload {
  const name = checkName(info.name, RPM_NAME);
  const architecture = checkName(info.isSource ? 'src' : info.arch, RPM_ARCH);
  const epoch = info.epoch !== undefined ? String(info.epoch) : '0';
  const version = checkName(
    `${epoch !== '0' ? `${epoch}-` : ''}${info.version}-${info.release}`,
    RPM_VERSION,
  );
  const list = (deps: RpmDependency[], requires = false) => {
    const out = dependencyEntries(deps, requires);
    return out.length ? out : undefined;
  };
  return {
    name,
    version,
    architecture,
    fileName: rpmFileName(name, version, architecture),
    versionMetadata: {
      license: info.license,
      ...(/^https?:\/\//i.test(info.url) ? { project_url: info.url } : {}),
      summary: info.summary,
      description: info.description,
    },
    fileMetadata: {
      architecture,
      epoch,
      version: info.version,
      release: info.release,
      vendor: info.vendor || undefined,
      group: info.group || undefined,
      packager: info.packager || undefined,
      source_rpm: info.sourceRpm || undefined,
      build_host: info.buildHost || undefined,
      build_time: info.buildTime,
      installed_size: info.installedSize,
      archive_size: info.archiveSize,
      header_start: headerRange.start,
      header_end: headerRange.end,
      provide: list(info.provides),
      require: list(info.requires, true),
      conflict: list(info.conflicts),
      obsolete: list(info.obsoletes),
      recommend: list(info.recommends),
      suggest: list(info.suggests),
      supplement: list(info.supplements),
      enhance: list(info.enhances),
      files: info.files.map((f) => ({
        path: f.path,
        ...(f.isGhost
          ? { type: 'ghost' as const }
          : f.type === 'dir'
            ? { type: 'dir' as const }
            : {}),
        ...(f.isExecutable ? { is_executable: true } : {}),
      })),
      changelogs: info.changelog
        .slice(0, CHANGELOG_LIMIT)
        .map((c) => ({ author: c.author, date: c.time, text: c.text })),
    },
  };
}

/** `{name}-{version}.{arch}.rpm`, the stored file name (Forgejo's). */
export function rpmFileName(name: string, version: string, architecture: string): string {
  return `${name}-${version}.${architecture}.rpm`;
}

const PRE_REQUIRE =
  RpmSense.PreReq |
  RpmSense.ScriptPre |
  RpmSense.ScriptPost |
  RpmSense.PreTrans |
  RpmSense.PostTrans;

/**
 * Dependencies as repodata lists them: rpmlib() requirements (which rpm itself provides)
 * are left out as createrepo does, and duplicates listed once.
 */
function dependencyEntries(deps: RpmDependency[], requires: boolean): RpmEntry[] {
  const seen = new Set<string>();
  const out: RpmEntry[] = [];
  for (const dep of deps) {
    if (requires && (dep.flags & RpmSense.RpmLib || dep.name.startsWith('rpmlib('))) continue;
    const flags = rpmComparison(dep.flags);
    const evr = dep.version ? splitRpmEvr(dep.version) : undefined;
    const entry: RpmEntry = {
      name: dep.name,
      ...(flags ? { flags } : {}),
      ...(evr ? { epoch: evr.epoch ?? '0', version: evr.version } : {}),
      ...(evr?.release ? { release: evr.release } : {}),
      ...(requires && dep.flags & PRE_REQUIRE ? { pre: true } : {}),
    };
    const key = JSON.stringify(entry);
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(entry);
  }
  return out;
}

/** The `sign` query: on unless `false`/`0` (Forgejo's `?sign=true` is accepted too). */
export function parseSignFlag(value: unknown): boolean {
  if (value === undefined || value === '') return true;
  if (value === 'true' || value === '1') return true;
  if (value === 'false' || value === '0') return false;
  throw RegistryError.invalid('the sign parameter must be true or false');
}
