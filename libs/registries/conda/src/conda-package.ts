import { Readable } from 'node:stream';
import { InvalidArtifactError, OpenRange, readZipEntry, walkTar } from '@wharf/packages-core';
import {
  CondaRecord,
  CondaVersionMetadata,
  PackageSuffix,
  parseAboutJson,
  parseIndexJson,
} from './conda.metadata';

/*
 * Reads an uploaded conda package (docs/protocols/conda.md §3) through core's readers:
 * a `.tar.bz2` is one tar (bzip2, detected by magic) read as a stream; a `.conda` is a zip
 * whose `info-*.tar.zst` member is read by byte ranges and then walked as a zstd tar. In
 * both, Wharf reads info/index.json (required) and info/about.json (optional), under
 * budgets: the walk stops once both are read, and a bomb before them is a 413.
 */

export interface CondaLimits {
  /** Bytes of index.json or about.json. */
  maxJson: number;
  /** Compressed bytes of a `.conda`'s info-*.tar.zst member (it holds only metadata). */
  maxInfoArchive: number;
  /** Unpacked bytes allowed per stored byte… */
  maxRatio: number;
  /** …but never fewer than this. */
  minUnpacked: number;
}

export const DEFAULT_CONDA_LIMITS: CondaLimits = {
  maxJson: 1024 * 1024,
  maxInfoArchive: 32 * 1024 * 1024,
  maxRatio: 100,
  minUnpacked: 64 * 1024 * 1024,
};

export interface CondaContents {
  record: CondaRecord;
  about: CondaVersionMetadata;
}

const NO_INDEX = 'the package has no info/index.json: build it with conda-build or rattler-build';

function budget(size: number, limits: CondaLimits): number {
  return Math.max(limits.minUnpacked, size * limits.maxRatio);
}

/** index.json and about.json of a `.tar.bz2` package (v1). */
export async function readTarPackage(
  archive: Readable,
  size: number,
  limits: CondaLimits = DEFAULT_CONDA_LIMITS,
): Promise<CondaContents> {
  return readInfoTar(archive, budget(size, limits), limits, 'the package');
}

/** The same for a `.conda` package (v2): the zip's info-*.tar.zst, then its tar. */
export async function readCondaPackage(
  open: OpenRange,
  size: number,
  limits: CondaLimits = DEFAULT_CONDA_LIMITS,
): Promise<CondaContents> {
  const info = await readZipEntry(open, size, (name) => /^info-[^/]*\.tar\.zst$/.test(name), {
    maxEntrySize: limits.maxInfoArchive,
    maxUnpacked: budget(size, limits),
  });
  if (!info)
    throw new InvalidArtifactError(
      'the .conda package has no info-*.tar.zst member (a .conda is a zip of metadata.json, info-*.tar.zst and pkg-*.tar.zst)',
    );
  return readInfoTar(Readable.from([info]), budget(info.length, limits), limits, 'info-*.tar.zst');
}

async function readInfoTar(
  archive: Readable,
  maxUnpacked: number,
  limits: CondaLimits,
  label: string,
): Promise<CondaContents> {
  let index: Buffer | undefined;
  let about: Buffer | undefined;
  for await (const entry of walkTar(archive, {
    maxEntrySize: limits.maxJson,
    maxUnpacked,
    label,
  })) {
    if (entry.type !== 'file' && entry.type !== 'contiguous-file') continue;
    const name = entry.name.replace(/^(?:\.\/)+/, '');
    if (name === 'info/index.json' && !index) index = await entry.read();
    else if (name === 'info/about.json' && !about) about = await entry.read();
    if (index && about) break;
  }
  if (!index) throw new InvalidArtifactError(NO_INDEX);
  return { record: parseIndexJson(index), about: about ? parseAboutJson(about) : {} };
}

/** Which reader a file name's suffix calls for. */
export type PackageKind = PackageSuffix;
