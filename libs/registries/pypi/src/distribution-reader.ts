import { Readable, pipeline } from 'node:stream';
import { createGunzip } from 'node:zlib';
import * as tar from 'tar-stream';
import { InvalidArtifactError, OpenRange, readZipEntry } from '@wharf/packages-core';

/*
 * Reads the core metadata file out of a stored distribution without unpacking it:
 * a wheel's `*.dist-info/METADATA` and a zip sdist's `<dir>/PKG-INFO` through core's
 * zip entry reader (byte ranges of the blob), a tar sdist's `<dir>/PKG-INFO` with a
 * streaming tar reader.
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

/** `<dir>/PKG-INFO` of a gzip'd tar sdist, or undefined; reads at most `maxUnpacked` decompressed bytes. */
export async function readTarSdistMetadata(
  archive: Readable,
  maxUnpacked = 512 * 1024 * 1024,
): Promise<Buffer | undefined> {
  const extract = tar.extract();
  let seen = 0;
  const gunzip = createGunzip();
  gunzip.on('data', (c: Buffer) => {
    seen += c.length;
    if (seen > maxUnpacked)
      gunzip.destroy(
        new InvalidArtifactError('the sdist unpacks to too many bytes before PKG-INFO'),
      );
  });
  pipeline(archive, gunzip, extract, () => undefined);
  try {
    for await (const entry of extract) {
      const { name, type, size } = entry.header;
      if (type === 'file' && /^[^/]+\/PKG-INFO$/.test(name.replace(/^\.\//, ''))) {
        if ((size ?? 0) > MAX_METADATA) throw new InvalidArtifactError('PKG-INFO is too large');
        const chunks: Buffer[] = [];
        for await (const c of entry) chunks.push(c as Buffer);
        return Buffer.concat(chunks);
      }
      entry.resume();
    }
  } catch (err) {
    if (err instanceof InvalidArtifactError) throw err;
    throw new InvalidArtifactError(
      `the sdist is not a valid gzip-compressed tar archive (${(err as Error).message})`,
    );
  } finally {
    archive.destroy();
    extract.destroy();
  }
  return undefined;
}
