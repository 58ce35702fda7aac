import { InvalidArtifactError } from '../errors/registry-error';
import { RpmHeader, RpmSigTag, RpmTag } from './rpm-header-reader';

/*
 * The typed view of an rpm's headers (rpm-header-reader.ts) that registries index: NEVRA,
 * descriptive fields, dependencies, files and changelog. `rpmPackageInfo(header, signature)`
 * reads them all, checks that parallel arrays agree (a header whose file or dependency
 * arrays differ in length is corrupt: InvalidArtifactError), and does no interpretation a
 * registry might want to make differently (the source-package arch, which requirements a
 * repository index leaves out).
 */

/** Dependency sense bits (rpmds.h RPMSENSE_*). */
export const RpmSense = {
  Less: 1 << 1,
  Greater: 1 << 2,
  Equal: 1 << 3,
  PostTrans: 1 << 5,
  PreReq: 1 << 6,
  PreTrans: 1 << 7,
  Interp: 1 << 8,
  ScriptPre: 1 << 9,
  ScriptPost: 1 << 10,
  ScriptPreUn: 1 << 11,
  ScriptPostUn: 1 << 12,
  RpmLib: 1 << 24,
  Config: 1 << 28,
} as const;

/** File flag bits (rpmfiles.h RPMFILE_*). */
export const RpmFileFlag = {
  Config: 1 << 0,
  Doc: 1 << 1,
  MissingOk: 1 << 3,
  NoReplace: 1 << 4,
  Ghost: 1 << 6,
  License: 1 << 7,
  Readme: 1 << 8,
  Artifact: 1 << 12,
} as const;

const S_IFMT = 0o170000;
const S_IFDIR = 0o040000;
const S_IFREG = 0o100000;
const S_IFLNK = 0o120000;

export interface RpmDependency {
  name: string;
  /** RPMSENSE bits: the comparison (Less/Greater/Equal) and the kind (PreReq, RpmLib…). */
  flags: number;
  /** `[epoch:]version[-release]` as stored; '' when the dependency names no version. */
  version: string;
}

export type RpmFileType = 'file' | 'dir' | 'symlink' | 'other';

export interface RpmFile {
  /** Absolute path, as rpm installs it (`/usr/bin/hello`). */
  path: string;
  type: RpmFileType;
  mode: number;
  /** RPMFILE bits (config, doc, ghost…). */
  flags: number;
  size: number;
  mtime: number;
  /** Hex digest in the header's file digest algorithm; '' for non-regular files. */
  digest: string;
  /** Target of a symbolic link; '' otherwise. */
  linkTo: string;
  user: string;
  group: string;
  isGhost: boolean;
  isExecutable: boolean;
}

export interface RpmChangelogEntry {
  /** Unix seconds (day precision, as the spec file's `* Wed Mar 08 2023` lines). */
  time: number;
  author: string;
  text: string;
}

export interface RpmPackageInfo {
  name: string;
  /** Undefined when the header has no epoch tag (rpm compares it as 0). */
  epoch?: number;
  version: string;
  release: string;
  /** The header's arch; a source rpm still names its build arch here (see `isSource`). */
  arch: string;
  isSource: boolean;
  summary: string;
  description: string;
  url: string;
  license: string;
  group: string;
  vendor: string;
  packager: string;
  buildHost: string;
  buildTime: number;
  sourceRpm: string;
  /** Sum of the installed file sizes. */
  installedSize: number;
  /** Size of the uncompressed cpio payload, when the headers say it. */
  archiveSize?: number;
  payloadFormat: string;
  /** `gzip`, `bzip2`, `xz`, `zstd`, `lzma`…; rpm's default (gzip) when the tag is absent. */
  payloadCompressor: string;
  requires: RpmDependency[];
  provides: RpmDependency[];
  conflicts: RpmDependency[];
  obsoletes: RpmDependency[];
  recommends: RpmDependency[];
  suggests: RpmDependency[];
  supplements: RpmDependency[];
  enhances: RpmDependency[];
  files: RpmFile[];
  changelog: RpmChangelogEntry[];
}

/** Reads the package's fields from its main header (and signature header for sizes). */
export function rpmPackageInfo(header: RpmHeader, signature?: RpmHeader): RpmPackageInfo {
  const invalid = (reason: string) =>
    new InvalidArtifactError(`the rpm's main header is corrupt: ${reason}`);
  const required = (tag: number, what: string) => {
    const value = header.string(tag);
    if (!value) throw new InvalidArtifactError(`the rpm's main header has no ${what}`);
    return value;
  };
  const text = (tag: number) => header.string(tag) ?? '';
  const deps = (name: number, flags: number, version: number, what: string) =>
    dependencies(header, name, flags, version, what, invalid);
  return {
    name: required(RpmTag.Name, 'name'),
    epoch: header.number(RpmTag.Epoch),
    version: required(RpmTag.Version, 'version'),
    release: required(RpmTag.Release, 'release'),
    arch: required(RpmTag.Arch, 'architecture'),
    isSource: header.has(RpmTag.SourcePackage),
    summary: text(RpmTag.Summary),
    description: text(RpmTag.Description),
    url: text(RpmTag.Url),
    license: text(RpmTag.License),
    group: text(RpmTag.Group),
    vendor: text(RpmTag.Vendor),
    packager: text(RpmTag.Packager),
    buildHost: text(RpmTag.BuildHost),
    buildTime: header.number(RpmTag.BuildTime) ?? 0,
    sourceRpm: text(RpmTag.SourceRpm),
    installedSize: header.number(RpmTag.LongSize) ?? header.number(RpmTag.Size) ?? 0,
    archiveSize:
      signature?.number(RpmSigTag.LongArchiveSize) ??
      signature?.number(RpmSigTag.PayloadSize) ??
      header.number(RpmTag.ArchiveSize),
    payloadFormat: header.string(RpmTag.PayloadFormat) ?? 'cpio',
    payloadCompressor: header.string(RpmTag.PayloadCompressor) ?? 'gzip',
    requires: deps(RpmTag.RequireName, RpmTag.RequireFlags, RpmTag.RequireVersion, 'requires'),
    provides: deps(RpmTag.ProvideName, RpmTag.ProvideFlags, RpmTag.ProvideVersion, 'provides'),
    conflicts: deps(RpmTag.ConflictName, RpmTag.ConflictFlags, RpmTag.ConflictVersion, 'conflicts'),
    obsoletes: deps(RpmTag.ObsoleteName, RpmTag.ObsoleteFlags, RpmTag.ObsoleteVersion, 'obsoletes'),
    recommends: deps(
      RpmTag.RecommendName,
      RpmTag.RecommendFlags,
      RpmTag.RecommendVersion,
      'recommends',
    ),
    suggests: deps(RpmTag.SuggestName, RpmTag.SuggestFlags, RpmTag.SuggestVersion, 'suggests'),
    supplements: deps(
      RpmTag.SupplementName,
      RpmTag.SupplementFlags,
      RpmTag.SupplementVersion,
      'supplements',
    ),
    enhances: deps(RpmTag.EnhanceName, RpmTag.EnhanceFlags, RpmTag.EnhanceVersion, 'enhances'),
    files: files(header, invalid),
    changelog: changelog(header, invalid),
  };
}

/** `LT`, `GT`, `EQ`, `LE`, `GE` as repository metadata spells a dependency's comparison; undefined for none. */
export function rpmComparison(flags: number): 'LT' | 'GT' | 'EQ' | 'LE' | 'GE' | undefined {
  const less = (flags & RpmSense.Less) !== 0;
  const greater = (flags & RpmSense.Greater) !== 0;
  const equal = (flags & RpmSense.Equal) !== 0;
  if (less && equal) return 'LE';
  if (greater && equal) return 'GE';
  if (less) return 'LT';
  if (greater) return 'GT';
  if (equal) return 'EQ';
  return undefined;
}

/** Splits `[epoch:]version[-release]`: the epoch before the first `:`, the release after the last `-`. */
export function splitRpmEvr(evr: string): { epoch?: string; version: string; release?: string } {
  const colon = evr.indexOf(':');
  const epoch = colon >= 0 ? evr.slice(0, colon) : undefined;
  const rest = colon >= 0 ? evr.slice(colon + 1) : evr;
  const dash = rest.lastIndexOf('-');
  return dash >= 0
    ? { epoch, version: rest.slice(0, dash), release: rest.slice(dash + 1) }
    : { epoch, version: rest };
}

function dependencies(
  header: RpmHeader,
  nameTag: number,
  flagsTag: number,
  versionTag: number,
  what: string,
  invalid: (reason: string) => InvalidArtifactError,
): RpmDependency[] {
  const names = header.strings(nameTag);
  if (names.length === 0) return [];
  const flags = header.numbers(flagsTag);
  const versions = header.strings(versionTag);
  // rpm writes the three arrays together; flags and versions may be absent only together.
  if (
    (flags.length || versions.length) &&
    (flags.length !== names.length || versions.length !== names.length)
  )
    throw invalid(`its ${what} names, flags and versions differ in number`);
  return names.map((name, i) => ({ name, flags: flags[i] ?? 0, version: versions[i] ?? '' }));
}

function files(header: RpmHeader, invalid: (reason: string) => InvalidArtifactError): RpmFile[] {
  const paths = filePaths(header, invalid);
  const n = paths.length;
  if (n === 0) return [];
  const column = <T>(values: T[], what: string, fallback: T): T[] => {
    if (values.length === 0) return new Array<T>(n).fill(fallback);
    if (values.length !== n) throw invalid(`it lists ${n} files but ${values.length} ${what}`);
    return values;
  };
  const modes = column(header.numbers(RpmTag.FileModes), 'file modes', S_IFREG | 0o644);
  const flags = column(header.numbers(RpmTag.FileFlags), 'file flags', 0);
  const longSizes = header.numbers(RpmTag.LongFileSizes);
  const sizes = column(
    longSizes.length ? longSizes : header.numbers(RpmTag.FileSizes),
    'file sizes',
    0,
  );
  const mtimes = column(header.numbers(RpmTag.FileMtimes), 'file times', 0);
  const digests = column(header.strings(RpmTag.FileDigests), 'file digests', '');
  const links = column(header.strings(RpmTag.FileLinkTos), 'link targets', '');
  const users = column(header.strings(RpmTag.FileUserName), 'file owners', 'root');
  const groups = column(header.strings(RpmTag.FileGroupName), 'file groups', 'root');
  return paths.map((path, i) => {
    // FILEMODES is an INT16 array: read unsigned, it is the st_mode as rpm stores it.
    const mode = modes[i];
    const format = mode & S_IFMT;
    const type: RpmFileType =
      format === S_IFDIR
        ? 'dir'
        : format === S_IFLNK
          ? 'symlink'
          : format === S_IFREG || format === 0
            ? 'file'
            : 'other';
    return {
      path,
      type,
      mode,
      flags: flags[i],
      size: sizes[i],
      mtime: mtimes[i],
      digest: digests[i],
      linkTo: links[i],
      user: users[i],
      group: groups[i],
      isGhost: (flags[i] & RpmFileFlag.Ghost) !== 0,
      isExecutable: type === 'file' && (mode & 0o111) !== 0,
    };
  });
}

/** Paths from DIRNAMES[DIRINDEXES[i]] + BASENAMES[i], or OLDFILENAMES in very old packages. */
function filePaths(header: RpmHeader, invalid: (reason: string) => InvalidArtifactError): string[] {
  const baseNames = header.strings(RpmTag.BaseNames);
  if (baseNames.length === 0) return header.strings(RpmTag.OldFilenames);
  const dirNames = header.strings(RpmTag.DirNames);
  const dirIndexes = header.numbers(RpmTag.DirIndexes);
  if (dirIndexes.length !== baseNames.length)
    throw invalid(
      `it lists ${baseNames.length} file names but ${dirIndexes.length} directory indexes`,
    );
  return baseNames.map((base, i) => {
    const dir = dirNames[dirIndexes[i]];
    if (dir === undefined)
      throw invalid(`file ${i} points to directory ${dirIndexes[i]}, which is not listed`);
    return dir + base;
  });
}

function changelog(
  header: RpmHeader,
  invalid: (reason: string) => InvalidArtifactError,
): RpmChangelogEntry[] {
  const times = header.numbers(RpmTag.ChangelogTime);
  const names = header.strings(RpmTag.ChangelogName);
  const texts = header.strings(RpmTag.ChangelogText);
  if (times.length !== names.length || times.length !== texts.length)
    throw invalid('its changelog times, authors and texts differ in number');
  return times.map((time, i) => ({ time, author: names[i], text: texts[i] }));
}
