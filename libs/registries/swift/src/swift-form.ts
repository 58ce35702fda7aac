import type { Request } from 'express';
import type { Readable } from 'node:stream';
import {
  readBounded,
  readMultipartForm,
  RegistryError,
  RegistryErrorCode,
} from '@wharf/packages-core';

/*
 * The publish form (docs/protocols/swift.md §3): `source-archive` and `metadata`, each a
 * file part (curl -F x=@file) or a plain part. SwiftPM's RegistryClient sends the archive
 * as `Content-Type: application/zip` with no file name: core's form reader streams it all
 * the same, because the part is named here. Signature parts are read past (signing is not
 * supported).
 */

/** What the sink made of the archive and the metadata bytes, if any. */
export interface PublishForm<T> {
  archive?: T;
  metadata?: Buffer;
}

const MAX_METADATA = 1024 * 1024;
const tooLarge = () =>
  new RegistryError(
    RegistryErrorCode.PayloadTooLarge,
    `the metadata part is larger than ${MAX_METADATA} bytes`,
  );
const LIMITS = { files: 4, fields: 8, parts: 12, fieldSize: 64 * 1024 };

type Part<T> = { archive: T } | { metadata: Buffer };

export async function readPublishForm<T>(
  req: Request,
  sink: (archive: Readable) => Promise<T>,
  onAbandon: (result: T) => Promise<void>,
): Promise<PublishForm<T>> {
  let archives = 0;
  const form = await readMultipartForm<Part<T>>(req, {
    fileParts: ['source-archive', 'metadata'],
    onFile: async (part) => {
      if (part.name === 'metadata')
        return { metadata: await readBounded(part.stream, MAX_METADATA, { tooLarge }) };
      if (++archives > 1) throw RegistryError.invalid('the form has more than one source-archive');
      return { archive: await sink(part.stream) };
    },
    onAbandon: async (part) => {
      if ('archive' in part) await onAbandon(part.archive);
    },
    limits: LIMITS,
  });
  const result: PublishForm<T> = {};
  for (const { result: part } of form.files)
    if ('archive' in part) result.archive = part.archive;
    else result.metadata = part.metadata;
  return result;
}
