import { Readable } from 'node:stream';
import { InvalidArtifactError, OpenRange, readZipEntry, walkTar } from '@wharf/packages-core';
import { BoxMetadata, checkMetadataJson, parseInfoJson } from './vagrant.metadata';

/*
 * Reads an uploaded box (docs/protocols/vagrant.md §3) through core's readers: a tar
 * (plain, gzip, bzip2, xz or zstd: Vagrant unpacks boxes with bsdtar, which reads them
 * all) as a stream under budgets, or a zip by byte ranges. Whatever the kind, the whole
 * archive is checked: an entry that would land outside the box directory, a link, a bomb
 * refuse it. Wharf reads two small files at the box's root: info.json (the description)
 * and metadata.json (the provider).
 */

export type BoxKind = 'zip' | 'tar';

export interface BoxLimits {
  /** Bytes of info.json or metadata.json. */
  maxJson: number;
  /** Unpacked bytes allowed per stored byte (a bomb is a 413)… */
  maxRatio: number;
  /** …but never fewer than this, so small boxes of padding still pass. */
  minUnpacked: number;
}

// Disk images in boxes compress a few times at most; a ratio of 20 leaves room for sparse
// images while a gzip of zeros (≈1000:1) stops early.
export const DEFAULT_BOX_LIMITS: BoxLimits = {
  maxJson: 1024 * 1024,
  maxRatio: 20,
  minUnpacked: 1024 * 1024 * 1024,
};

const NOT_A_BOX =
  'not a box: a box is a tar archive (plain, or compressed with gzip, bzip2, xz or zstd) or a zip archive';

/** The archive kind from its first 512 bytes, or a 400. */
export function detectBoxKind(head: Buffer): BoxKind {
  if (head.length >= 4 && head.readUInt32BE(0) === 0x504b0304) return 'zip';
  if (head.length >= 4 && head.readUInt32BE(0) === 0x504b0506)
    throw new InvalidArtifactError('the box is an empty zip archive');
  const compressed =
    (head[0] === 0x1f && head[1] === 0x8b) ||
    head.subarray(0, 3).toString('latin1') === 'BZh' ||
    head.subarray(0, 6).equals(Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00])) ||
    (head.length >= 4 && head.readUInt32LE(0) === 0xfd2fb528);
  // POSIX and GNU tars carry `ustar` at offset 257; whether a compressed stream holds a
  // tar is found out while reading it.
  if (compressed || head.subarray(257, 262).toString('latin1') === 'ustar') return 'tar';
  throw new InvalidArtifactError(NOT_A_BOX);
}

export interface BoxContents {
  metadata: BoxMetadata;
}

function unpackBudget(size: number, limits: BoxLimits): number {
  return Math.max(limits.minUnpacked, size * limits.maxRatio);
}

/** info.json's metadata of a tar box, after checking every entry and metadata.json's provider. */
export async function readTarBox(
  archive: Readable,
  size: number,
  provider: string,
  limits: BoxLimits = DEFAULT_BOX_LIMITS,
): Promise<BoxContents> {
  let info: Buffer | undefined;
  let metadataJson: Buffer | undefined;
  let entries = 0;
  for await (const entry of walkTar(archive, {
    maxEntrySize: limits.maxJson,
    maxUnpacked: unpackBudget(size, limits),
    label: 'the box',
    // Links refused: `vagrant package` and the providers' packagers store files.
  })) {
    entries++;
    if (entry.type !== 'file' && entry.type !== 'contiguous-file') continue;
    // `tar -C dir .` writes `./metadata.json`; bsdtar unpacks it to the same place.
    const name = entry.name.replace(/^(?:\.\/)+/, '');
    if (name === 'info.json' && !info) info = await entry.read();
    else if (name === 'metadata.json' && !metadataJson) metadataJson = await entry.read();
  }
  if (!entries) throw new InvalidArtifactError('the box is an empty archive');
  return finish(info, metadataJson, provider);
}

/** The same for a zip box, read by byte ranges of the stored blob. */
export async function readZipBox(
  open: OpenRange,
  size: number,
  provider: string,
  limits: BoxLimits = DEFAULT_BOX_LIMITS,
): Promise<BoxContents> {
  const options = { maxEntrySize: limits.maxJson, maxUnpacked: unpackBudget(size, limits) };
  const at = (file: string) => (name: string) => name === file || name === `./${file}`;
  const info = await readZipEntry(open, size, at('info.json'), options);
  const metadataJson = await readZipEntry(open, size, at('metadata.json'), options);
  return finish(info, metadataJson, provider);
}

function finish(
  info: Buffer | undefined,
  metadataJson: Buffer | undefined,
  provider: string,
): BoxContents {
  if (metadataJson) checkMetadataJson(metadataJson, provider);
  return { metadata: info ? parseInfoJson(info) : {} };
}
