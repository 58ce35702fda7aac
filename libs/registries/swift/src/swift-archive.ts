import { InvalidArtifactError, OpenRange, readZipEntry } from '@wharf/packages-core';
import { manifestKey, SwiftManifest, toolsVersion } from './swift.metadata';

/*
 * Reads a source archive as `swift package archive-source` makes it (docs/protocols/swift.md
 * §3): a zip whose one top directory holds the package, `Package.swift` at its root and any
 * `Package@swift-X.swift` beside it. Read by byte ranges of the stored blob through core's
 * zip reader: unsafe names, links and a bomb refuse the whole archive.
 */

export interface SourceArchiveLimits {
  /** Bytes of one manifest. */
  maxManifest: number;
  /** Sum of the declared unpacked sizes (413 past it). */
  maxUnpacked: number;
  /** Manifests read at most. */
  maxManifests: number;
}

export const DEFAULT_SOURCE_LIMITS: SourceArchiveLimits = {
  maxManifest: 128 * 1024,
  maxUnpacked: 512 * 1024 * 1024,
  maxManifests: 32,
};

const NO_MANIFEST =
  'the source archive has no Package.swift at the root of its top directory (make it with `swift package archive-source`)';

/** The manifests of the archive, the unqualified one first. */
export async function readSourceArchive(
  open: OpenRange,
  size: number,
  limits: SourceArchiveLimits = DEFAULT_SOURCE_LIMITS,
): Promise<SwiftManifest[]> {
  const options = { maxEntrySize: limits.maxManifest, maxUnpacked: limits.maxUnpacked };
  // First pass: every entry checked, the manifest names at `<top>/` noted.
  const found = new Map<string, string>();
  await readZipEntry(
    open,
    size,
    (name) => {
      const parts = name.split('/');
      if (parts.length !== 2 || !parts[0]) return false;
      const key = manifestKey(parts[1]);
      if (key !== undefined && !found.has(key)) found.set(key, name);
      return false;
    },
    options,
  );
  const root = found.get('');
  if (!root) throw new InvalidArtifactError(NO_MANIFEST);
  const top = root.split('/')[0];
  const names = [...found.entries()].filter(([, n]) => n.startsWith(`${top}/`));
  if (names.length > limits.maxManifests)
    throw new InvalidArtifactError(
      `the source archive has ${names.length} manifests; at most ${limits.maxManifests} are accepted`,
    );
  names.sort(([a], [b]) => (a === '' ? -1 : b === '' ? 1 : a < b ? -1 : 1));
  const manifests: SwiftManifest[] = [];
  for (const [key, name] of names) {
    const bytes = await readZipEntry(open, size, (n) => n === name, options);
    if (!bytes) throw new InvalidArtifactError(NO_MANIFEST);
    const content = bytes.toString('utf8');
    manifests.push({ key, toolsVersion: toolsVersion(content), content });
  }
  return manifests;
}
