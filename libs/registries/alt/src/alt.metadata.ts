import { createHash } from 'node:crypto';
import { PassThrough, Readable } from 'node:stream';
import { finished } from 'node:stream/promises';
import {
  InvalidArtifactError,
  NameGrammar,
  RegistryError,
  checkName,
  readRpm,
  RpmHeader,
  RpmSigTag,
  RpmTag,
  walkRpmPayload,
} from '@wharf/packages-core';
import { AltDependency, AltHeaderData } from './alt.documents';

/*
 * Pure reading of an uploaded rpm for the ALT registry (docs/protocols/alt.md §3): core's
 * rpm header reader (shared with the RPM registry) for the headers, its cpio walker for
 * the payload (unsafe names, bombs), and what a pkglist record needs from them.
 */

/** File properties, named as Forgejo's (shared with its RPM registry). */
export const PROPERTY_GROUP = 'rpm.group';
export const PROPERTY_ARCHITECTURE = 'rpm.architecture';

/** Groups: optional, `/`-separated (`el9/stable`); `alt` is the default group's name in URLs. */
export const ALT_GROUP: NameGrammar = {
  what: 'group',
  pattern: /^[A-Za-z0-9][A-Za-z0-9._-]*$/,
  rule: 'path segments of letters, digits, ".", "_" and "-" (el9, el9/stable)',
  maxLength: 200,
  allowSlash: true,
};

/** rpm architectures (`x86_64`, `noarch`, `i586`, `aarch64`), the directories apt-rpm asks for. */
export const ALT_ARCH: NameGrammar = {
  what: 'architecture',
  pattern: /^[A-Za-z0-9_]+$/,
  rule: 'letters, digits and "_" (x86_64, noarch, aarch64)',
  maxLength: 32,
  fileName: true,
};

/** Package file names as served: `{name}-{[epoch-]version-release}.{arch}.rpm`. */
export const ALT_FILE_NAME: NameGrammar = {
  what: 'package file name',
  pattern: /^[A-Za-z0-9_+][A-Za-z0-9._+~^-]*\.rpm$/,
  rule: 'an rpm file name of letters, digits, ".", "_", "+", "~", "^" and "-" ending in .rpm',
  maxLength: 255,
  fileName: true,
};

/** rpm package names (`hello`, `libstdc++6`, `python3-module-foo`). */
export const RPM_NAME: NameGrammar = {
  what: 'rpm package name',
  pattern: /^[A-Za-z0-9_+][A-Za-z0-9._+-]*$/,
  rule: 'letters, digits, ".", "_", "+" and "-"',
  maxLength: 200,
  fileName: true,
};

/** rpm versions and releases: no `-`, which separates them. */
export const RPM_VERSION: NameGrammar = {
  what: 'rpm version or release',
  pattern: /^[A-Za-z0-9._+~^]+$/,
  rule: 'letters, digits, ".", "_", "+", "~" and "^"',
  maxLength: 128,
};

/**
 * The group of a URL's segments (`['el9', 'stable']`): none, or exactly `alt`, is the
 * default group, stored as ''. An empty segment is refused, not folded away.
 */
export function normalizeGroup(segments: string[]): string {
  if (segments.length === 0) return '';
  if (segments.some((s) => s === ''))
    throw RegistryError.invalid(
      'invalid group: a segment is empty (the default group is spelled alt, as in alt.repo)',
    );
  const group = segments.join('/');
  return group === 'alt' ? '' : checkName(group, ALT_GROUP);
}

/** The segments a group's URLs and config use: `['alt']` for the default group. */
export function groupParts(group: string): string[] {
  return group ? group.split('/') : ['alt'];
}

/** The index log of one group and architecture (the composite key Forgejo stores index files under). */
export function pkglistLogName(group: string, arch: string): string {
  return `${arch}__${group}`;
}

export interface AltPackage {
  header: AltHeaderData;
  /** The version Wharf stores: `{version}-{release}`, with `{epoch}-` first when the epoch is not 0. */
  version: string;
  fileName: string;
  summary: string;
  description: string;
  license: string;
  url: string;
  /** BLAKE2b-512 of the whole file, hex: apt-rpm verifies downloads with it. */
  blake2b: string;
}

export interface AltReadLimits {
  /** Largest rpm header read into memory. */
  maxHeaderSize: number;
  /** Ceiling of the payload's unpacked size, whatever the rpm declares. */
  maxUnpacked: number;
}

export const ALT_READ_LIMITS: AltReadLimits = {
  maxHeaderSize: 16 * 1024 * 1024,
  maxUnpacked: 8 * 1024 * 1024 * 1024,
};

// What a payload may unpack to beyond the size its rpm declares (cpio padding, trailer).
const DECLARED_SLACK = 1024 * 1024;

/**
 * Reads a whole rpm: its headers (the main header checked against the signature's digest),
 * then every payload entry (names checked; unpacking stops at the size the signature
 * declares, so a bomb is a 413), while hashing every byte with BLAKE2b-512.
 */
export async function readAltPackage(
  file: Readable,
  limits: AltReadLimits = ALT_READ_LIMITS,
): Promise<AltPackage> {
  const blake2b = createHash('blake2b512');
  const tee = new PassThrough();
  file.on('error', (err) => tee.destroy(err));
  file.on('data', (chunk: Buffer) => blake2b.update(chunk));
  file.pipe(tee);
  try {
    return await readWhole(file, tee, limits, () => blake2b.digest('hex'));
  } catch (err) {
    // Refused: the rest of the stored bytes are not worth reading.
    file.destroy();
    throw err;
  }
}

async function readWhole(
  file: Readable,
  tee: PassThrough,
  limits: AltReadLimits,
  digest: () => string,
): Promise<AltPackage> {
  const rpm = await readRpm(tee, { label: 'the rpm', maxHeaderSize: limits.maxHeaderSize });
  const { header, signature, lead } = rpm;
  if (lead.type === 1 || header.has(RpmTag.SourcePackage)) {
    rpm.payload.destroy();
    throw new InvalidArtifactError(
      'the rpm is a source package; the ALT registry serves binary packages (RPMS.classic)',
    );
  }
  const data = headerData(header);
  const declared =
    signature.number(RpmSigTag.LongArchiveSize) ?? signature.number(RpmSigTag.PayloadSize);
  const maxUnpacked = Math.min(
    limits.maxUnpacked,
    declared !== undefined ? declared + DECLARED_SLACK : limits.maxUnpacked,
  );
  for await (const entry of walkRpmPayload(header, rpm.payload, {
    maxEntrySize: 0,
    maxUnpacked,
    allowLinks: true,
    label: "the rpm's payload",
  }))
    void entry;
  // Whatever follows the payload's compressed stream still belongs to the file apt-rpm hashes.
  file.unpipe(tee);
  tee.destroy();
  file.resume();
  await finished(file);
  const epoch = data.epoch ? `${data.epoch}-` : '';
  const version = `${epoch}${data.version}-${data.release}`;
  return {
    header: data,
    version,
    fileName: `${data.name}-${version}.${data.arch}.rpm`,
    summary: data.summary,
    description: data.description,
    license: data.license,
    url: /^https?:\/\//i.test(data.url) ? data.url : '',
    blake2b: digest(),
  };
}

/** The fields of a pkglist record, each checked as the registry will use it. */
export function headerData(header: RpmHeader): AltHeaderData {
  const invalid = (reason: string) => new InvalidArtifactError(`the rpm's header ${reason}`);
  const required = (tag: number, what: string) => {
    const value = header.string(tag);
    if (!value) throw invalid(`has no ${what}`);
    return value;
  };
  const name = checkName(required(RpmTag.Name, 'name'), RPM_NAME);
  const version = checkName(required(RpmTag.Version, 'version'), RPM_VERSION);
  const release = checkName(required(RpmTag.Release, 'release'), RPM_VERSION);
  const arch = checkName(required(RpmTag.Arch, 'architecture'), ALT_ARCH);
  const changelog = parallel(
    header,
    [RpmTag.ChangelogTime, RpmTag.ChangelogName, RpmTag.ChangelogText],
    'changelog',
  );
  const files = fileList(header);
  return {
    name,
    version,
    release,
    epoch: header.number(RpmTag.Epoch),
    summary: header.string(RpmTag.Summary) ?? '',
    description: header.string(RpmTag.Description) ?? '',
    buildTime: header.number(RpmTag.BuildTime) ?? 0,
    installedSize: header.number(RpmTag.Size) ?? header.number(RpmTag.LongSize) ?? 0,
    license: header.string(RpmTag.License) ?? '',
    packager: header.string(RpmTag.Packager) ?? '',
    vendor: header.string(RpmTag.Vendor) ?? '',
    group: header.string(RpmTag.Group) ?? '',
    url: header.string(RpmTag.Url) ?? '',
    os: header.string(RpmTag.Os) ?? '',
    arch,
    sourceRpm: header.string(RpmTag.SourceRpm) ?? '',
    provides: dependencies(header, RpmTag.ProvideName, RpmTag.ProvideFlags, RpmTag.ProvideVersion),
    requires: dependencies(header, RpmTag.RequireName, RpmTag.RequireFlags, RpmTag.RequireVersion),
    conflicts: dependencies(
      header,
      RpmTag.ConflictName,
      RpmTag.ConflictFlags,
      RpmTag.ConflictVersion,
    ),
    obsoletes: dependencies(
      header,
      RpmTag.ObsoleteName,
      RpmTag.ObsoleteFlags,
      RpmTag.ObsoleteVersion,
    ),
    changelog: changelog.map(([time, author, text]) => ({
      time: Number(time),
      name: String(author),
      text: String(text),
    })),
    ...files,
  };
}

function dependencies(
  header: RpmHeader,
  nameTag: number,
  flagsTag: number,
  versionTag: number,
): AltDependency[] {
  return parallel(header, [nameTag, flagsTag, versionTag], 'dependency').map(
    ([name, flags, version]) => ({
      name: String(name),
      flags: Number(flags),
      version: String(version),
    }),
  );
}

/** Rows of parallel arrays (names with flags and versions…); arrays of different lengths are a corrupt header. */
function parallel(header: RpmHeader, tags: number[], what: string): (string | number)[][] {
  const columns = tags.map((tag) => {
    const entry = header.entry(tag);
    if (!entry) return [];
    return entry.type === 6 || entry.type === 8 || entry.type === 9
      ? header.strings(tag)
      : header.numbers(tag);
  });
  const rows = columns[0].length;
  if (columns.some((c) => c.length !== rows))
    throw new InvalidArtifactError(
      `the rpm's header is corrupt: its ${what} arrays (tags ${tags.join(', ')}) differ in length`,
    );
  return Array.from({ length: rows }, (_, i) => columns.map((c) => c[i]));
}

function fileList(header: RpmHeader): Pick<AltHeaderData, 'baseNames' | 'dirIndexes' | 'dirNames'> {
  const baseNames = header.strings(RpmTag.BaseNames);
  const dirIndexes = header.numbers(RpmTag.DirIndexes);
  const dirNames = header.strings(RpmTag.DirNames);
  if (!baseNames.length) {
    // rpm < 4 packages list whole paths; split them as rpm would.
    const old = header.strings(RpmTag.OldFilenames);
    const dirs: string[] = [];
    const indexes: number[] = [];
    const bases = old.map((path) => {
      const cut = path.lastIndexOf('/') + 1;
      const dir = path.slice(0, cut);
      let at = dirs.indexOf(dir);
      if (at < 0) at = dirs.push(dir) - 1;
      indexes.push(at);
      return path.slice(cut);
    });
    return { baseNames: bases, dirIndexes: indexes, dirNames: dirs };
  }
  if (dirIndexes.length !== baseNames.length || dirIndexes.some((i) => i >= dirNames.length))
    throw new InvalidArtifactError(
      "the rpm's header is corrupt: its file names, directory indexes and directories disagree",
    );
  return { baseNames, dirIndexes, dirNames };
}
