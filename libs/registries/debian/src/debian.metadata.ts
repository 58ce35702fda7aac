import type { Readable } from 'node:stream';
import {
  ArIndexEntry,
  checkName,
  InvalidArtifactError,
  NameGrammar,
  readArIndex,
  readBounded,
  readTarEntry,
  RegistryError,
  TarCompression,
} from '@wharf/packages-core';

/*
 * Pure rules of the Debian format (docs/protocols/debian.md §3): the names apt and dpkg
 * accept, the .deb container (an ar archive whose control.tar.{gz,xz,zst} holds `control`),
 * the control paragraph and what Wharf keeps of it. No Nest, no database.
 */

export const DISTRIBUTION_PROPERTY = 'debian.distribution';
export const COMPONENT_PROPERTY = 'debian.component';
export const ARCHITECTURE_PROPERTY = 'debian.architecture';
/** The control paragraph as the index lists it (validated, one paragraph, no trailing newline). */
export const CONTROL_PROPERTY = 'debian.control';

/** A distribution (suite or codename): `bookworm`, `stable`, `bookworm-backports`. */
export const DISTRIBUTION: NameGrammar = {
  what: 'distribution',
  pattern: /^[A-Za-z0-9][A-Za-z0-9._+~-]*$/,
  rule: 'letters, digits, ".", "_", "+", "~" and "-", starting with a letter or digit',
  maxLength: 100,
  fileName: true,
};

/** A component: `main`, `contrib`, `non-free-firmware`. */
export const COMPONENT: NameGrammar = { ...DISTRIBUTION, what: 'component' };

/** dpkg's architecture names (`amd64`, `arm64`, `all`, `musl-linux-arm64`). */
export const ARCHITECTURE: NameGrammar = {
  what: 'architecture',
  pattern: /^[a-z0-9][a-z0-9-]*$/,
  rule: 'lower-case letters, digits and "-" (amd64, arm64, all)',
  maxLength: 64,
  fileName: true,
};

/** Debian policy §5.6.1: lower-case letters, digits, "+", "-" and ".", two or more, starting alphanumeric. */
export const PACKAGE_NAME: NameGrammar = {
  what: 'package name',
  pattern: /^[a-z0-9][a-z0-9+.-]+$/,
  rule: 'lower-case letters, digits, "+", "-" and ".", at least two characters, starting with a letter or digit',
  maxLength: 128,
  fileName: true,
};

/**
 * Debian policy §5.6.12: `[epoch:]upstream_version[-debian_revision]`. The epoch is a number;
 * the rest letters, digits, ".", "+", "~" and "-" (a "-" only before a revision, which is
 * what follows the last one, so the version cannot end with it).
 */
export const VERSION: NameGrammar = {
  what: 'version',
  pattern: /^(?:[0-9]+:)?[A-Za-z0-9][A-Za-z0-9.+~-]*(?<!-)$/,
  rule: '[epoch:]upstream_version[-debian_revision]: an optional number and ":", then letters, digits, ".", "+", "~" and "-", starting with a letter or digit and not ending with "-"',
  maxLength: 128,
};

/** The file name of a package in the pool: `{name}_{version}_{architecture}.deb`. */
export const FILE_NAME: NameGrammar = {
  what: 'file name',
  pattern: /^[a-z0-9][a-z0-9+.-]+_(?:[0-9]+:)?[A-Za-z0-9][A-Za-z0-9.+~-]*_[a-z0-9][a-z0-9-]*\.deb$/,
  rule: '{name}_{version}_{architecture}.deb',
  maxLength: 330,
  fileName: true,
};

/** `{base}/dists/{dist}/by-hash/…` is routed before `{component}/…`: no component may take its name. */
const RESERVED_COMPONENTS = new Set(['by-hash']);

export function checkComponent(component: string): string {
  checkName(component, COMPONENT);
  if (RESERVED_COMPONENTS.has(component.toLowerCase()))
    throw RegistryError.invalid(`invalid component: "${component}" is a path of the repository`);
  return component;
}

export function packageFileName(name: string, version: string, architecture: string): string {
  return `${name}_${version}_${architecture}.deb`;
}

/** `{name}_{version}_{arch}.deb` taken apart (names and versions hold no "_"); null otherwise. */
export function parsePackageFileName(
  file: string,
): { name: string; version: string; architecture: string } | null {
  const m = /^([^_]+)_([^_]+)_([^_]+)\.deb$/.exec(file);
  return m ? { name: m[1], version: m[2], architecture: m[3] } : null;
}

/** The pool path an index names a package by (apt appends it to the repository URL). */
export function poolPath(distribution: string, component: string, fileName: string): string {
  return `pool/${distribution}/${component}/${fileName}`;
}

/** Version metadata, as Forgejo keeps it (`modules/packages/debian`). */
export interface DebianVersionMetadata {
  maintainer?: string;
  project_url?: string;
  description?: string;
  dependencies?: string[];
}

export interface DebianControl {
  name: string;
  version: string;
  architecture: string;
  /** The paragraph as it goes into Packages: validated fields, `\n`-separated, no trailing newline. */
  control: string;
  metadata: DebianVersionMetadata;
}

/** The control file may be this large: it is stored as one text property (MySQL TEXT: 64 KiB). */
export const MAX_CONTROL_BYTES = 60 * 1024;

/** Budgets for control.tar: maintainer scripts and md5sums are small beside the package. */
export const CONTROL_TAR_LIMITS = { maxUnpacked: 64 * 1024 * 1024, maxEntries: 10_000 };

/** Fields the index writes from the stored blob (docs/protocols/debian.md §4): never from the control file. */
const INDEX_FIELDS = new Set(['filename', 'size', 'md5sum', 'sha1', 'sha256', 'sha512']);

const CONTROL_TAR = /^control\.tar(\.gz|\.xz|\.zst)?$/;
const COMPRESSION: Record<string, TarCompression> = {
  '': 'none',
  '.gz': 'gzip',
  '.xz': 'xz',
  '.zst': 'zstd',
};

/** Reads bytes `start..end` (inclusive) of the stored upload. */
export type RangeOpener = (start: number, end: number) => Promise<Readable>;

/**
 * The `control` file of a .deb (deb(5)) stored whole: the ar container is walked by its
 * headers (every member name checked, the archive complete to its last byte, the data
 * member never read), then `control.tar[.gz|.xz|.zst]` — dpkg ≥ 1.15.6 may write the name
 * with a trailing "/" — is read through core's tar reader under budgets. 400 for anything
 * that is not such a package; 413 for a budget passed (a bomb).
 */
export async function readDebControl(open: RangeOpener, size: number): Promise<Buffer> {
  const label = 'the package';
  const members = await readArIndex(open, size, { label, maxMembers: 64 });
  const range = (m: ArIndexEntry) => open(m.offset, m.offset + m.size - 1);
  const binary = members[0]?.name === 'debian-binary' ? members[0] : undefined;
  if (binary) {
    // "2.0\n" as dpkg writes it; only the start is read, whatever the member's size.
    const head = Math.min(binary.size, 16);
    const format = head
      ? (await readBounded(await open(binary.offset, binary.offset + head - 1), head)).toString(
          'latin1',
        )
      : '';
    if (!/^2\.\d+\n/.test(format))
      throw new InvalidArtifactError(
        `${label} is in .deb format ${JSON.stringify(format.trim())}; dpkg reads format 2.x`,
      );
  }
  const member = members.find((m) => m.name.startsWith('control.tar'));
  if (!member)
    throw new InvalidArtifactError(
      `${label} has no control.tar member: it is not a Debian binary package (dpkg-deb --build makes one)`,
    );
  const m = CONTROL_TAR.exec(member.name);
  if (!m)
    throw new InvalidArtifactError(
      `${label}'s ${member.name} is compressed in a way dpkg does not write: use control.tar, control.tar.gz, control.tar.xz or control.tar.zst`,
    );
  if (!member.size) throw new InvalidArtifactError(`${label}'s ${member.name} is empty`);
  const control = await readTarEntry(
    await range(member),
    (entry) => entry.name.replace(/^(\.\/)+/, '') === 'control',
    {
      ...CONTROL_TAR_LIMITS,
      maxEntrySize: MAX_CONTROL_BYTES,
      compression: COMPRESSION[m[1] ?? ''],
      label: `${label}'s ${member.name}`,
    },
  );
  if (!control) throw new InvalidArtifactError(`${label}'s ${member.name} holds no control file`);
  return control;
}

/**
 * Parses a binary package's control file (deb-control(5), one deb822 paragraph). Stricter
 * than Forgejo, because the paragraph is copied into the Packages index verbatim: a blank
 * line would start a paragraph of the uploader's choosing there, and the index's own
 * fields (Filename, Size, checksums) come from the stored file, never from the upload.
 * Comment lines (`#`) are dropped. 400 with the reason for anything else.
 */
export function parseControl(bytes: Buffer): DebianControl {
  const fail = (why: string): never => {
    throw new InvalidArtifactError(`the control file ${why}`);
  };
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return fail('is not UTF-8 text');
  }
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u0008\u000b-\u001f\u007f]/.test(text))
    fail('holds control characters (only tabs and newlines belong in it)');
  const lines = text
    .replace(/^\n+/, '')
    .replace(/[\s]+$/, '')
    .split('\n')
    .filter((line) => !line.startsWith('#'));
  const fields = new Map<string, { name: string; value: string; continuation: string[] }>();
  let current: { name: string; value: string; continuation: string[] } | undefined;
  lines.forEach((line, i) => {
    if (line.trim() === '')
      fail(`has a blank line at line ${i + 1}: a binary package's control file is one paragraph`);
    if (line.startsWith(' ') || line.startsWith('\t')) {
      if (!current) fail(`starts with a continuation line`);
      current!.continuation.push(line);
      return;
    }
    const m = /^([!-9;-~][!-9;-~]*):(.*)$/.exec(line);
    if (!m || m[1].startsWith('-'))
      fail(`has a line that is not a "Field: value" line: ${JSON.stringify(line.slice(0, 80))}`);
    const name = m![1];
    const key = name.toLowerCase();
    if (fields.has(key)) fail(`has the field ${name} twice`);
    if (INDEX_FIELDS.has(key))
      fail(`sets ${name}, which the repository index writes from the stored package`);
    current = { name, value: m![2].trim(), continuation: [] };
    fields.set(key, current);
  });
  const value = (key: string) => fields.get(key)?.value ?? '';
  const required = (key: string, label: string, grammar: NameGrammar) => {
    const v = value(key);
    if (!v) fail(`has no ${label} field`);
    if (fields.get(key)!.continuation.length) fail(`continues the ${label} field on another line`);
    try {
      return checkName(v, grammar);
    } catch (err) {
      return fail(`has an invalid ${label} field: ${(err as Error).message}`);
    }
  };
  const name = required('package', 'Package', PACKAGE_NAME);
  const version = required('version', 'Version', VERSION);
  const architecture = required('architecture', 'Architecture', ARCHITECTURE);
  const description = fields.get('description');
  const depends = fields.get('depends');
  const homepage = value('homepage');
  return {
    name,
    version,
    architecture,
    control: lines.join('\n'),
    metadata: {
      maintainer: maintainerName(value('maintainer')) || undefined,
      project_url: isWebUrl(homepage) ? homepage : undefined,
      description: description
        ? [description.value, ...description.continuation].join('\n') || undefined
        : undefined,
      // Forgejo's shape: the Depends list split on ",", an empty list for none.
      dependencies: depends
        ? [depends.value, ...depends.continuation.map((l) => l.trim())]
            .join(' ')
            .split(',')
            .map((d) => d.trim())
            .filter(Boolean)
        : [],
    },
  };
}

/** `Jane Doe <jane@example.com>` → `Jane Doe`; anything else as it is. */
function maintainerName(maintainer: string): string {
  const m = /^\s*"?([^"<]*?)"?\s*<[^>]+>\s*$/.exec(maintainer);
  return m && m[1] ? m[1] : maintainer;
}

function isWebUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    return false;
  }
}
