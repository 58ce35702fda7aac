import { encodeXz, IndexLogSpec } from '@wharf/packages-core';
import { encodeRpmHeader, RpmEntry, RpmType } from './rpm-header-writer';

/*
 * Pure builders of what the ALT registry serves (docs/protocols/alt.md §4): the pkglist
 * record of one package, the release files, the repository config. Nothing here reads a
 * database; the service feeds them.
 */

/** The name the release files carry as Origin and Label (Forgejo writes its AppName). */
export const LABEL = 'Wharf';

/** The only component Forgejo serves, and the directory apt-rpm fetches packages from. */
export const COMPONENT = 'classic';
export const PACKAGE_DIRECTORY = 'RPMS.classic';

/** pkglist.classic and pkglist.classic.xz grow by one record per package, with the sums release lists. */
export const PKGLIST_LOG: IndexLogSpec = { streams: 2, hashes: ['md5', 'blake2b512'] };

// apt-rpm's own tags (apt-pkg/rpm/rpmhandler.h CRPMTAG_*): where and what the package file is.
export const CrpmTag = {
  FileName: 1000000,
  FileSize: 1000001,
  Md5: 1000005,
  Blake2b: 1000009,
  Directory: 1000010,
} as const;

export interface AltDependency {
  name: string;
  flags: number;
  version: string;
}

/** What a pkglist record says of a package, read from its rpm header (alt.metadata.ts). */
export interface AltHeaderData {
  name: string;
  version: string;
  release: string;
  epoch?: number;
  summary: string;
  description: string;
  buildTime: number;
  installedSize: number;
  license: string;
  packager: string;
  vendor: string;
  group: string;
  url: string;
  os: string;
  arch: string;
  sourceRpm: string;
  provides: AltDependency[];
  requires: AltDependency[];
  conflicts: AltDependency[];
  obsoletes: AltDependency[];
  changelog: { time: number; name: string; text: string }[];
  /** The file list as rpm stores it: base names, each with the index of its directory. */
  baseNames: string[];
  dirIndexes: number[];
  dirNames: string[];
}

/** The package file a record points apt-rpm at, and the sums it checks the download with. */
export interface AltFileFacts {
  name: string;
  size: number;
  md5: string;
  blake2b: string;
}

/**
 * One pkglist record: an rpm header with the tags apt-rpm reads (genpkglist's set, the
 * ones Forgejo writes) and apt-rpm's CRPMTAG_* tags. Unlike Forgejo, dependency names
 * are kept and files carry DIRINDEXES (docs/protocols/alt.md §8).
 */
export function pkglistRecord(pkg: AltHeaderData, file: AltFileFacts): Buffer {
  const entries: RpmEntry[] = [];
  const str = (tag: number, value: string, always = false) => {
    if (value || always) entries.push({ tag, type: RpmType.String, value });
  };
  const i18n = (tag: number, value: string) =>
    entries.push({ tag, type: RpmType.I18nString, value: [value] });
  const deps = (tags: [number, number, number], list: AltDependency[]) => {
    if (!list.length) return;
    entries.push({ tag: tags[0], type: RpmType.StringArray, value: list.map((d) => d.name) });
    entries.push({ tag: tags[1], type: RpmType.Int32, value: list.map((d) => d.flags >>> 0) });
    entries.push({ tag: tags[2], type: RpmType.StringArray, value: list.map((d) => d.version) });
  };
  // HEADERI18NTABLE: the locales of the i18n strings below, as rpm writes it.
  entries.push({ tag: 100, type: RpmType.StringArray, value: ['C'] });
  str(1000, pkg.name, true);
  str(1001, pkg.version, true);
  str(1002, pkg.release, true);
  if (pkg.epoch !== undefined) entries.push({ tag: 1003, type: RpmType.Int32, value: [pkg.epoch] });
  i18n(1004, pkg.summary);
  i18n(1005, pkg.description);
  entries.push({ tag: 1006, type: RpmType.Int32, value: [pkg.buildTime >>> 0] });
  entries.push({
    tag: 1009,
    type: RpmType.Int32,
    value: [Math.min(pkg.installedSize, 0xffffffff)],
  });
  str(1011, pkg.vendor);
  str(1014, pkg.license, true);
  str(1015, pkg.packager);
  i18n(1016, pkg.group);
  str(1020, pkg.url);
  str(1021, pkg.os);
  str(1022, pkg.arch, true);
  str(1044, pkg.sourceRpm);
  deps([1047, 1112, 1113], pkg.provides);
  deps([1049, 1048, 1050], pkg.requires);
  deps([1054, 1053, 1055], pkg.conflicts);
  deps([1090, 1114, 1115], pkg.obsoletes);
  if (pkg.changelog.length) {
    entries.push({ tag: 1080, type: RpmType.Int32, value: pkg.changelog.map((c) => c.time >>> 0) });
    entries.push({ tag: 1081, type: RpmType.StringArray, value: pkg.changelog.map((c) => c.name) });
    entries.push({ tag: 1082, type: RpmType.StringArray, value: pkg.changelog.map((c) => c.text) });
  }
  if (pkg.baseNames.length) {
    entries.push({ tag: 1116, type: RpmType.Int32, value: pkg.dirIndexes });
    entries.push({ tag: 1117, type: RpmType.StringArray, value: pkg.baseNames });
    entries.push({ tag: 1118, type: RpmType.StringArray, value: pkg.dirNames });
  }
  str(CrpmTag.FileName, file.name, true);
  entries.push({ tag: CrpmTag.FileSize, type: RpmType.Int32, value: [file.size] });
  str(CrpmTag.Md5, file.md5, true);
  str(CrpmTag.Blake2b, file.blake2b, true);
  // Last tag of a binary package's record: zpkglist and apt-rpm's tools look for it there.
  str(CrpmTag.Directory, PACKAGE_DIRECTORY, true);
  return encodeRpmHeader(entries);
}

/** The record as it goes into each stream of the pkglist log: plain, and as its own .xz stream. */
export function pkglistFragments(record: Buffer): Buffer[] {
  // xz readers (the xz tool apt-rpm pipes pkglist.classic.xz through) decode concatenated streams.
  return [record, encodeXz(record)];
}

export interface ReleaseFile {
  name: string;
  size: number;
  md5: string;
  blake2b: string;
}

/** `base/release.classic`: the component's release (Forgejo's fields, Version the index's time). */
export function releaseClassic(arch: string, updatedUnix: number): string {
  return [
    'Archive: Alt Linux Team',
    `Component: ${COMPONENT}`,
    `Version: ${updatedUnix}`,
    'Origin: Alt Linux Team',
    `Label: ${LABEL}`,
    `Architecture: ${arch}`,
    'NotAutomatic: false',
    '',
  ].join('\n');
}

/**
 * `base/release`: what apt-rpm checks the lists with. It verifies the BLAKE2b sums when
 * present, else MD5Sum (apt-pkg/repository.cc); sizes are checked too. Unsigned, as Forgejo's.
 */
export function release(arch: string, updatedUnix: number, files: ReleaseFile[]): string {
  const lines = (sum: (f: ReleaseFile) => string) =>
    files.map((f) => ` ${sum(f)} ${f.size} base/${f.name}\n`).join('');
  return (
    `Origin: ${LABEL}\n` +
    `Label: ${LABEL}\n` +
    'Suite: Sisyphus\n' +
    `Codename: ${updatedUnix}\n` +
    `Date: ${new Date(updatedUnix * 1000).toUTCString().replace(/GMT$/, 'UTC')}\n` +
    `Architectures: ${arch}\n` +
    `MD5Sum:\n${lines((f) => f.md5)}` +
    `BLAKE2b:\n${lines((f) => f.blake2b)}\n`
  );
}

/** `{group}.repo`: Forgejo's repository config (yum-style; apt-rpm users write a sources.list line). */
export function repositoryConfig(
  owner: { name: string; lowerName: string },
  groupParts: string[],
  baseUrl: string,
): string {
  return [
    `[wharf-${[owner.lowerName, ...groupParts].join('-')}]`,
    `name=${[owner.name, LABEL, ...groupParts].join(' - ')}`,
    `baseurl=${[baseUrl, ...groupParts.map(encodeURIComponent)].join('/')}`,
    'enabled=1',
  ].join('\n');
}
