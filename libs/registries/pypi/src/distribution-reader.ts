import { Readable } from 'node:stream';
import { OpenRange, readTarEntry, readZipEntry } from '@wharf/packages-core';

/*
 * Reads the core metadata file out of a stored distribution without unpacking it:
 * a wheel's `*.dist-info/METADATA` and a zip sdist's `<dir>/PKG-INFO` through core's
 * zip entry reader (byte ranges of the blob), a tar sdist's `<dir>/PKG-INFO` through core's
 * tar reader (a stream).
 */

// The core metadata is a few KB; a long description inlined makes it bigger, never this big.
const MAX_METADATA = 8 * 1024 * 1024;

/** `*.dist-info/METADATA` of a wheel (exactly one at the top level), or undefined when the wheel has none. */
export function readWheelMetadata(open: OpenRange, size: number): Promise<Buffer | undefined> {
  return readZipEntry(open, size, (name) => /^[^/]+\.dist-info\/METADATA$/.test(name), {
    maxEntrySize: MAX_METADATA,
  });
}

/** `<dir>/PKG-INFO` of a zip sdist, or undefined. */
export function readZipSdistMetadata(open: OpenRange, size: number): Promise<Buffer | undefined> {
  return readZipEntry(open, size, (name) => /^[^/]+\/PKG-INFO$/.test(name), {
    maxEntrySize: MAX_METADATA,
  });
}

/**
 * `<dir>/PKG-INFO` of a gzip'd tar sdist (PEP 625: `.tar.gz` only), or undefined. A PKG-INFO
 * over 8 MiB or an archive over `maxUnpacked` decompressed (a gzip bomb) is an
 * ArchiveBudgetError (413), an unsafe entry or a corrupt archive an InvalidArtifactError.
 */
export function readTarSdistMetadata(
  archive: Readable,
  maxUnpacked = 512 * 1024 * 1024,
): Promise<Buffer | undefined> {
  return readTarEntry(archive, (e) => /^[^/]+\/PKG-INFO$/.test(e.name.replace(/^\.\//, '')), {
    compression: 'gzip',
    maxEntrySize: MAX_METADATA,
    maxUnpacked,
    label: 'the sdist',
    // Links refused: setuptools and hatchling store the files links point to, not links.
  });
}
