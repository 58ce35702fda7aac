import { Readable } from 'node:stream';
import { InvalidArtifactError, OpenRange, readZipEntry, walkTar } from '@wharf/packages-core';
import type { ArchiveKind } from './composer.metadata';

/*
 * Finds `composer.json` in an uploaded archive (docs/protocols/composer.md §3) through
 * core's readers: zip by byte ranges of the staged blob, tar (plain, gzip, bzip2) as a
 * stream under core's budgets. Where it may be is where Composer finds it after
 * unpacking a dist: at the root, or inside the archive's only top-level entry when that
 * is a directory (Composer's ArchiveDownloader moves such a directory's content up; GitHub
 * archives are `repo-1.0/composer.json`).
 */

export interface ArchiveLimits {
  /** Bytes of composer.json itself. */
  maxComposerJson: number;
  /** Decompressed bytes of the archive: a gzip bomb, or a zip declaring more, is a 413. */
  maxUnpacked: number;
}

// Composer's own `composer.json` files are a few KiB; Forgejo reads up to 10 MiB.
export const DEFAULT_ARCHIVE_LIMITS: ArchiveLimits = {
  maxComposerJson: 1024 * 1024,
  maxUnpacked: 512 * 1024 * 1024,
};

const missing = () =>
  new InvalidArtifactError(
    'composer.json file is missing: the archive must hold it at its root or in its only top-level directory',
  );

/** The archive kind from its first bytes (at least 262 of them for a plain tar), or a 400. */
export function detectArchiveKind(head: Buffer): ArchiveKind {
  if (head.length >= 4 && head.readUInt32BE(0) === 0x504b0304) return 'zip';
  if (head.length >= 4 && head.readUInt32BE(0) === 0x504b0506)
    throw new InvalidArtifactError('the zip archive is empty: composer.json file is missing');
  if (head[0] === 0x1f && head[1] === 0x8b) return 'tar.gz';
  if (head.subarray(0, 3).toString('latin1') === 'BZh') return 'tar.bz2';
  if (head.subarray(257, 262).toString('latin1') === 'ustar') return 'tar';
  if (head.subarray(0, 6).equals(Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00])))
    throw new InvalidArtifactError(
      'xz-compressed archives are not accepted: Composer cannot unpack them (use zip, tar, tar.gz or tar.bz2)',
    );
  if (head.length >= 4 && head.readUInt32LE(0) === 0xfd2fb528)
    throw new InvalidArtifactError(
      'zstd-compressed archives are not accepted: Composer cannot unpack them (use zip, tar, tar.gz or tar.bz2)',
    );
  throw new InvalidArtifactError(
    'not a valid package file: upload a zip or a tar (plain, gzip or bzip2) archive',
  );
}

/** composer.json of a zip: root first, else inside the only top-level directory. */
export async function readZipComposerJson(
  open: OpenRange,
  size: number,
  limits: ArchiveLimits = DEFAULT_ARCHIVE_LIMITS,
): Promise<Buffer> {
  const tops = new Set<string>();
  const options = { maxEntrySize: limits.maxComposerJson, maxUnpacked: limits.maxUnpacked };
  const atRoot = await readZipEntry(
    open,
    size,
    (name) => {
      tops.add(topLevel(name));
      return name === 'composer.json';
    },
    options,
  );
  if (atRoot) return atRoot;
  const only = onlyDirectory(tops);
  const nested =
    only !== undefined &&
    (await readZipEntry(open, size, (name) => name === `${only}/composer.json`, options));
  if (!nested) throw missing();
  return nested;
}

/**
 * composer.json of a tar, in one pass: the root one, else the one inside the only
 * top-level directory. The whole archive is read, so an unsafe entry or a budget passed
 * anywhere refuses it (core's tar reader).
 */
export async function readTarComposerJson(
  archive: Readable,
  limits: ArchiveLimits = DEFAULT_ARCHIVE_LIMITS,
): Promise<Buffer> {
  const tops = new Set<string>();
  const nested = new Map<string, Buffer>();
  let atRoot: Buffer | undefined;
  for await (const entry of walkTar(archive, {
    maxEntrySize: limits.maxComposerJson,
    maxUnpacked: limits.maxUnpacked,
    label: 'the archive',
    // Links refused: `composer archive` and `git archive` of a package store files.
  })) {
    // `tar -C dir .` writes `./composer.json`; Composer unpacks it to the same place.
    const name = entry.name.replace(/^(?:\.\/)+/, '');
    if (!name || name === '.') continue;
    tops.add(topLevel(name));
    if (entry.type !== 'file' && entry.type !== 'contiguous-file') continue;
    if (name === 'composer.json' && !atRoot) atRoot = await entry.read();
    else if (/^[^/]+\/composer\.json$/.test(name) && nested.size < 2)
      nested.set(name.slice(0, name.indexOf('/')), await entry.read());
  }
  if (atRoot) return atRoot;
  const only = onlyDirectory(tops);
  const found = only === undefined ? undefined : nested.get(only);
  if (!found) throw missing();
  return found;
}

/** `a` for `a/b/c`, `a/` for the directory entry `a/`, `f` for a root file. */
function topLevel(name: string): string {
  const slash = name.indexOf('/');
  return slash < 0 ? name : name.slice(0, slash) + '/';
}

/** The directory's name when the archive's top level is one directory and nothing else. */
function onlyDirectory(tops: Set<string>): string | undefined {
  if (tops.size !== 1) return undefined;
  const [only] = tops;
  return only.endsWith('/') ? only.slice(0, -1) : undefined;
}
