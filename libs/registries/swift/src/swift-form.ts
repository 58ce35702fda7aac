import busboy from 'busboy';
import type { Request } from 'express';
import { Readable } from 'node:stream';
import { readBounded, RegistryError, RegistryErrorCode } from '@wharf/packages-core';

/*
 * The publish form (docs/protocols/swift.md §3): `source-archive` and `metadata`, each a
 * file part (curl -F x=@file) or a plain part. SwiftPM's RegistryClient sends the archive
 * as a part with `Content-Type: application/zip` and no file name, which busboy hands over
 * as a field, buffered up to MAX_FIELD_ARCHIVE; a file part streams. Signature parts are
 * read past (signing is not supported).
 */

/** What the sink made of the archive and the metadata bytes, if any. */
export interface PublishForm<T> {
  archive?: T;
  metadata?: Buffer;
}

const MAX_METADATA = 1024 * 1024;
/** A source archive sent as a plain part is held in memory up to this size. */
export const MAX_FIELD_ARCHIVE = 32 * 1024 * 1024;

export function readPublishForm<T>(
  req: Request,
  sink: (archive: Readable) => Promise<T>,
  onAbandon: (result: T) => Promise<void>,
): Promise<PublishForm<T>> {
  return new Promise((resolve, reject) => {
    let parser: busboy.Busboy;
    try {
      parser = busboy({
        headers: req.headers,
        // Bytes kept as they came: a zip sent as a field must survive decoding.
        defCharset: 'latin1',
        limits: { files: 4, fields: 8, parts: 12, fieldSize: MAX_FIELD_ARCHIVE, headerPairs: 32 },
      });
    } catch (err) {
      req.resume();
      reject(
        RegistryError.invalid(
          `the publish must be multipart/form-data (${(err as Error).message})`,
        ),
      );
      return;
    }
    const form: PublishForm<T> = {};
    let pending: Promise<T> | undefined;
    const reads: Promise<void>[] = [];
    let failure: unknown;
    let finished = false;
    const fail = (err: unknown) => {
      if (failure) return;
      failure = err;
      req.unpipe(parser);
      req.resume();
      finish();
    };
    const startArchive = (stream: Readable) => {
      if (pending) {
        stream.resume();
        return fail(RegistryError.invalid('the form has more than one source-archive'));
      }
      stream.on('error', () => undefined);
      pending = sink(stream);
      pending.catch(() => undefined);
    };
    const finish = () => {
      if (finished) return;
      finished = true;
      void Promise.allSettled(reads).then(async (settled) => {
        const readError = settled.find((s) => s.status === 'rejected');
        failure ??= readError && (readError as PromiseRejectedResult).reason;
        if (!pending) return failure ? reject(failure) : resolve(form);
        try {
          const archive = await pending;
          if (failure) {
            await onAbandon(archive);
            return reject(failure);
          }
          resolve({ ...form, archive });
        } catch (err) {
          reject(failure ?? err);
        }
      });
    };
    parser.on('field', (name, value, info) => {
      if (info.valueTruncated)
        return fail(
          new RegistryError(
            RegistryErrorCode.PayloadTooLarge,
            `the form part ${name} is too large to be sent without a file name (send it as a file part)`,
          ),
        );
      if (name === 'source-archive') startArchive(Readable.from([Buffer.from(value, 'latin1')]));
      else if (name === 'metadata') form.metadata = Buffer.from(value, 'latin1');
    });
    parser.on('file', (name, stream) => {
      if (name === 'source-archive') startArchive(stream);
      else if (name === 'metadata')
        reads.push(
          readBounded(stream, MAX_METADATA).then((b) => {
            form.metadata = b;
          }),
        );
      else stream.resume();
    });
    parser.on('filesLimit', () => fail(RegistryError.invalid('the form has too many files')));
    parser.on('fieldsLimit', () => fail(RegistryError.invalid('the form has too many fields')));
    parser.on('partsLimit', () => fail(RegistryError.invalid('the form has too many parts')));
    parser.on('error', (err: Error) =>
      fail(RegistryError.invalid(`invalid multipart body: ${err.message}`)),
    );
    parser.on('close', () => {
      if (!failure) finish();
    });
    req.on('error', (err) =>
      fail(RegistryError.invalid(`the upload was interrupted: ${err.message}`)),
    );
    req.pipe(parser);
  });
}
