import { createHash } from 'node:crypto';
import type { ChecksumAlgorithm, MavenCoordinates } from './maven.metadata';

export interface ListedVersion {
  version: string;
  createdUnix: number;
}

/**
 * Artifact-level `maven-metadata.xml` (Maven repository-metadata 1.1.0; docs/protocols/maven.md §4).
 * Versions in upload order, as Forgejo lists them: clients take `latest`/`release` from
 * the elements and sort version ranges themselves. `latest` = newest upload (snapshots
 * included), `release` = newest non-SNAPSHOT (omitted when there is none), and
 * `lastUpdated` = the newest upload's time. Every value is XML-escaped, so the document
 * carries no markup of the uploader's.
 */
export function buildArtifactMetadata(c: MavenCoordinates, versions: ListedVersion[]): string {
  const ordered = [...versions].sort((a, b) => a.createdUnix - b.createdUnix);
  const latest = ordered[ordered.length - 1];
  const release = [...ordered]
    .reverse()
    .find((v) => !v.version.toUpperCase().endsWith('-SNAPSHOT'));
  const parts = [
    `<groupId>${esc(c.groupId)}</groupId>`,
    `<artifactId>${esc(c.artifactId)}</artifactId>`,
    '<versioning>',
    latest ? `<latest>${esc(latest.version)}</latest>` : '',
    release ? `<release>${esc(release.version)}</release>` : '',
    `<versions>${ordered.map((v) => `<version>${esc(v.version)}</version>`).join('')}</versions>`,
    latest ? `<lastUpdated>${lastUpdated(latest.createdUnix)}</lastUpdated>` : '',
    '</versioning>',
  ];
  return `<?xml version="1.0" encoding="UTF-8"?>\n<metadata>${parts.join('')}</metadata>\n`;
}

/** Lower-case hex digest of a document, as served for `.md5`/`.sha1`/`.sha256`/`.sha512`. */
export function digestOf(body: string, algorithm: ChecksumAlgorithm): string {
  return createHash(algorithm).update(body, 'utf8').digest('hex');
}

/** `yyyyMMddHHmmss` in UTC, the spec's format. */
function lastUpdated(unix: number): string {
  return new Date(unix * 1000).toISOString().replace(/[-:T]/g, '').slice(0, 14);
}

function esc(text: string): string {
  return text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c]!,
  );
}
