import type { Readable } from 'node:stream';
import { InvalidArtifactError, OpenRange, readZipEntry, walkTar } from '@wharf/packages-core';
import type { ArchiveKind } from './cran.metadata';

/*
 * Finds `{package}/DESCRIPTION` in an uploaded package (docs/protocols/cran.md §3) through
 * core's readers: a tar (gzip as `R CMD build` writes it; bzip2, xz or zstd as
 * `R CMD build --compression=` does, under the same .tar.gz name) as a stream under core's
 * budgets, a zip (Windows binary) by byte ranges of the staged blob. The package's files
 * live in one directory named after it, which is where R's installer looks.
 */

export interface ArchiveLimits {
  /** Bytes of DESCRIPTION itself. */
  maxDescription: number;
  /** Decompressed bytes of the archive: a tar or zip bomb is a 413. */
  maxUnpacked: number;
}

// DESCRIPTION files are a few KiB; CRAN refuses source packages over 5 MB, binaries of
// data packages unpack to hundreds of MB.
export const DEFAULT_ARCHIVE_LIMITS: ArchiveLimits = {
  maxDescription: 1024 * 1024,
  maxUnpacked: 1024 * 1024 * 1024,
};

const NOT_AN_ARCHIVE =
  'not an R package: upload the .tar.gz that R CMD build writes (or a binary .zip or .tgz)';

/** The archive kind from its first bytes (at least 262 of them for a plain tar), or a 400. */
export function detectArchiveKind(head: Buffer): ArchiveKind {
  const at = (offset: number, bytes: number[]) =>
    head.length >= offset + bytes.length && bytes.every((b, i) => head[offset + i] === b);
  if (at(0, [0x50, 0x4b, 0x03, 0x04])) return 'zip';
  if (at(0, [0x50, 0x4b, 0x05, 0x06]))
    throw new InvalidArtifactError('the zip archive is empty: DESCRIPTION file is missing');
  const compressed =
    at(0, [0x1f, 0x8b]) || // gzip
    at(0, [0x42, 0x5a, 0x68]) || // bzip2
    at(0, [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]) || // xz
    at(0, [0x28, 0xb5, 0x2f, 0xfd]); // zstd
  if (compressed || head.subarray(257, 262).toString('latin1') === 'ustar') return 'tar';
  throw new InvalidArtifactError(NOT_AN_ARCHIVE);
}

const missing = () =>
  new InvalidArtifactError(
    'DESCRIPTION file is missing: the archive must hold {package}/DESCRIPTION, as R CMD build writes it',
  );
const twice = () =>
  new InvalidArtifactError('the archive holds more than one {package}/DESCRIPTION');

/** `pkg` for `pkg/DESCRIPTION` (and `./pkg/DESCRIPTION`); undefined for any other name. */
export function descriptionDirectory(name: string): string | undefined {
  return /^(?:\.\/)*([^/]+)\/DESCRIPTION$/.exec(name)?.[1];
}

/** The DESCRIPTION of a tar package and its directory, in one pass over the whole archive. */
export async function readTarDescription(
  archive: Readable,
  limits: ArchiveLimits = DEFAULT_ARCHIVE_LIMITS,
): Promise<{ directory: string; bytes: Buffer }> {
  let found: { directory: string; bytes: Buffer } | undefined;
  for await (const entry of walkTar(archive, {
    maxEntrySize: limits.maxDescription,
    maxUnpacked: limits.maxUnpacked,
    label: 'the package',
    // A package may carry symbolic links among its own files; their targets stay inside.
    allowLinks: true,
  })) {
    const directory = descriptionDirectory(entry.name);
    if (directory === undefined || (entry.type !== 'file' && entry.type !== 'contiguous-file'))
      continue;
    if (found) throw twice();
    found = { directory, bytes: await entry.read() };
  }
  if (!found) throw missing();
  return found;
}

/** The DESCRIPTION of a zip package (a Windows binary) and its directory. */
export async function readZipDescription(
  open: OpenRange,
  size: number,
  limits: ArchiveLimits = DEFAULT_ARCHIVE_LIMITS,
): Promise<{ directory: string; bytes: Buffer }> {
  let directory: string | undefined;
  const bytes = await readZipEntry(
    open,
    size,
    (name) => {
      const dir = descriptionDirectory(name);
      if (dir !== undefined) directory = dir;
      return dir !== undefined;
    },
    { maxEntrySize: limits.maxDescription, maxUnpacked: limits.maxUnpacked },
  );
  if (!bytes || directory === undefined) throw missing();
  return { directory, bytes };
}
