import type {
  RpmChangelog,
  RpmEntry,
  RpmFileEntry,
  RpmFileMetadata,
  RpmVersionMetadata,
} from './rpm.metadata';

/*
 * Pure builders of the rpm-md repository metadata dnf, yum and zypper read
 * (docs/protocols/rpm.md §4; the format as createrepo_c writes it): one XML element per
 * package for primary.xml, filelists.xml and other.xml, their document openings and
 * closings, repomd.xml over them, and the `.repo` file. A document is its opening, the
 * packages' elements, its closing: so it can be assembled from parts built apart.
 */

/** One stored rpm file, as the repodata describes it. */
export interface RepodataPackage {
  name: string;
  /** sha256 of the stored file: the pkgid that ties the three documents together. */
  pkgid: string;
  size: number;
  /** Unix seconds of the upload. */
  fileTime: number;
  /** Relative to the group's URL: `package/{name}/{version}/{arch}/{file}`. */
  location: string;
  version: RpmVersionMetadata;
  file: RpmFileMetadata;
}

export type RepodataType = 'primary' | 'filelists' | 'other';
export const REPODATA_TYPES: readonly RepodataType[] = ['primary', 'filelists', 'other'];

const DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n';

/** The opening of a document listing `count` packages. */
export function documentOpening(type: RepodataType, count: number): string {
  switch (type) {
    case 'primary':
      return `${DECLARATION}<metadata xmlns="http://linux.duke.edu/metadata/common" xmlns:rpm="http://linux.duke.edu/metadata/rpm" packages="${count}">\n`;
    case 'filelists':
      return `${DECLARATION}<filelists xmlns="http://linux.duke.edu/metadata/filelists" packages="${count}">\n`;
    case 'other':
      return `${DECLARATION}<otherdata xmlns="http://linux.duke.edu/metadata/other" packages="${count}">\n`;
  }
}

export function documentClosing(type: RepodataType): string {
  return { primary: '</metadata>\n', filelists: '</filelists>\n', other: '</otherdata>\n' }[type];
}

/** One package's element of a document. */
export function packageElement(type: RepodataType, p: RepodataPackage): string {
  switch (type) {
    case 'primary':
      return primaryElement(p);
    case 'filelists':
      return filelistsElement(p);
    case 'other':
      return otherElement(p);
  }
}

function versionElement(f: RpmFileMetadata): string {
  return `<version epoch="${attr(f.epoch)}" ver="${attr(f.version)}" rel="${attr(f.release)}"/>`;
}

function primaryElement(p: RepodataPackage): string {
  const f = p.file;
  const v = p.version;
  const lines = [
    '<package type="rpm">',
    `  <name>${text(p.name)}</name>`,
    `  <arch>${text(f.architecture)}</arch>`,
    `  ${versionElement(f)}`,
    `  <checksum type="sha256" pkgid="YES">${p.pkgid}</checksum>`,
    `  <summary>${text(v.summary)}</summary>`,
    `  <description>${text(v.description)}</description>`,
    `  <packager>${text(f.packager ?? '')}</packager>`,
    `  <url>${text(v.project_url ?? '')}</url>`,
    `  <time file="${p.fileTime}" build="${f.build_time ?? 0}"/>`,
    `  <size package="${p.size}" installed="${f.installed_size ?? 0}" archive="${f.archive_size ?? 0}"/>`,
    `  <location href="${attr(p.location)}"/>`,
    '  <format>',
    `    <rpm:license>${text(v.license)}</rpm:license>`,
    `    <rpm:vendor>${text(f.vendor ?? '')}</rpm:vendor>`,
    `    <rpm:group>${text(f.group ?? '')}</rpm:group>`,
    `    <rpm:buildhost>${text(f.build_host ?? '')}</rpm:buildhost>`,
    `    <rpm:sourcerpm>${text(f.source_rpm ?? '')}</rpm:sourcerpm>`,
    `    <rpm:header-range start="${f.header_start}" end="${f.header_end}"/>`,
    ...entries('provides', f.provide),
    ...entries('requires', f.require),
    ...entries('conflicts', f.conflict),
    ...entries('obsoletes', f.obsolete),
    ...entries('recommends', f.recommend),
    ...entries('suggests', f.suggest),
    ...entries('supplements', f.supplement),
    ...entries('enhances', f.enhance),
    ...(f.files ?? []).filter(inPrimary).map((file) => `    ${fileElement(file)}`),
    '  </format>',
    '</package>',
  ];
  return lines.join('\n') + '\n';
}

/**
 * The files primary.xml lists, as createrepo chooses them: those dnf may need to resolve a
 * file dependency without reading filelists (`/usr/bin/…`, `/etc/…`, `/usr/lib/sendmail`).
 */
export function inPrimary(file: RpmFileEntry): boolean {
  return (
    file.path.includes('bin/') || file.path.startsWith('/etc/') || file.path === '/usr/lib/sendmail'
  );
}

function entries(kind: string, list: RpmEntry[] | undefined): string[] {
  if (!list?.length) return [];
  return [
    `    <rpm:${kind}>`,
    ...list.map((e) => {
      const attrs = [`name="${attr(e.name)}"`];
      if (e.flags) attrs.push(`flags="${e.flags}"`);
      if (e.epoch !== undefined) attrs.push(`epoch="${attr(e.epoch)}"`);
      if (e.version !== undefined) attrs.push(`ver="${attr(e.version)}"`);
      if (e.release !== undefined) attrs.push(`rel="${attr(e.release)}"`);
      if (e.pre) attrs.push('pre="1"');
      return `      <rpm:entry ${attrs.join(' ')}/>`;
    }),
    `    </rpm:${kind}>`,
  ];
}

function fileElement(file: RpmFileEntry): string {
  return file.type
    ? `<file type="${file.type}">${text(file.path)}</file>`
    : `<file>${text(file.path)}</file>`;
}

function packageAttrs(p: RepodataPackage): string {
  return `pkgid="${p.pkgid}" name="${attr(p.name)}" arch="${attr(p.file.architecture)}"`;
}

function filelistsElement(p: RepodataPackage): string {
  const files = (p.file.files ?? []).map((file) => `  ${fileElement(file)}\n`).join('');
  return `<package ${packageAttrs(p)}>\n  ${versionElement(p.file)}\n${files}</package>\n`;
}

function otherElement(p: RepodataPackage): string {
  const changelogs = (p.file.changelogs ?? []).map(changelogElement).join('');
  return `<package ${packageAttrs(p)}>\n  ${versionElement(p.file)}\n${changelogs}</package>\n`;
}

function changelogElement(c: RpmChangelog): string {
  return `  <changelog author="${attr(c.author)}" date="${c.date}">${text(c.text)}</changelog>\n`;
}

/**
 * One `<data>` of repomd.xml: the digest and size of a document as served, and its size
 * unpacked. No `open-checksum`: it is optional, no client checks it, and it would cost a
 * hash of every uncompressed byte at each change (docs/protocols/rpm.md §4).
 */
export interface RepomdData {
  type: RepodataType;
  sha256: string;
  size: number;
  openSize: number;
}

/** repomd.xml; `timestamp` is the last change, the same on every replica. */
export function repomdXml(timestamp: number, data: RepomdData[]): string {
  const entries = data.map((d) =>
    [
      `  <data type="${d.type}">`,
      `    <checksum type="sha256">${d.sha256}</checksum>`,
      `    <location href="repodata/${d.type}.xml.gz"/>`,
      `    <timestamp>${timestamp}</timestamp>`,
      `    <size>${d.size}</size>`,
      `    <open-size>${d.openSize}</open-size>`,
      '  </data>',
    ].join('\n'),
  );
  return [
    DECLARATION.trimEnd(),
    '<repomd xmlns="http://linux.duke.edu/metadata/repo" xmlns:rpm="http://linux.duke.edu/metadata/rpm">',
    `  <revision>${timestamp}</revision>`,
    ...entries,
    '</repomd>',
    '',
  ].join('\n');
}

/**
 * The `.repo` file dnf and zypper add (docs/protocols/rpm.md §7): Forgejo's, with
 * `repo_gpgcheck=1` as well, since Wharf always signs repomd.xml.
 */
export function repoFile(options: {
  owner: string;
  appName: string;
  /** `{base}/api/packages/{owner}/rpm` */
  baseUrl: string;
  group: string;
}): string {
  const parts = options.group ? options.group.split('/') : [];
  const id = ['wharf', options.owner.toLowerCase(), ...parts].join('-');
  return [
    `[${id}]`,
    `name=${[options.owner, options.appName, ...parts].join(' - ')}`,
    `baseurl=${[options.baseUrl, ...parts.map(encodeURIComponent)].join('/')}`,
    'enabled=1',
    'gpgcheck=1',
    'repo_gpgcheck=1',
    `gpgkey=${options.baseUrl}/repository.key`,
    '',
  ].join('\n');
}

// XML 1.0 has no way to write these, escaped or not; they become U+FFFD.
// eslint-disable-next-line no-control-regex
const NOT_XML = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g;

function text(value: string): string {
  return value
    .replace(NOT_XML, '\ufffd')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/\r/g, '&#xD;');
}

function attr(value: string): string {
  return text(value).replace(/"/g, '&quot;').replace(/\n/g, '&#xA;').replace(/\t/g, '&#x9;');
}
