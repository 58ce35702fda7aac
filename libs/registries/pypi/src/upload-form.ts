import busboy from 'busboy';
import type { Request } from 'express';
import type { Readable } from 'node:stream';
import { RegistryError } from '@wharf/packages-core';

/** The fields of a twine upload, repeated fields as lists, and what the sink made of the `content` part. */
export interface UploadForm<T> {
  fields: Record<string, string[]>;
  filename?: string;
  content?: T;
}

// twine sends a few dozen fields; a long description is the only big one.
const LIMITS = { files: 1, fields: 256, fieldSize: 4 * 1024 * 1024, parts: 300, headerPairs: 64 };

/**
 * Reads the legacy upload API's multipart body (docs/protocols/pypi.md §3). The `content` part streams
 * into `sink` as it arrives, whichever order the parts come in; the other fields are kept.
 * If the form is refused after the sink finished, `onAbandon` gets its result to discard.
 */
export function readUploadForm<T>(
  req: Request,
  sink: (file: Readable) => Promise<T>,
  onAbandon: (result: T) => Promise<void>,
): Promise<UploadForm<T>> {
  return new Promise((resolve, reject) => {
    let parser: busboy.Busboy;
    try {
      // preservePath: the file name as the client sent it, so `../../x` or `C:\x` is refused
      // by the name grammar rather than silently cut down to `x`.
      parser = busboy({ headers: req.headers, limits: LIMITS, preservePath: true });
    } catch (err) {
      req.resume();
      reject(
        RegistryError.invalid(`the upload must be multipart/form-data (${(err as Error).message})`),
      );
      return;
    }
    const form: UploadForm<T> = { fields: {} };
    let pending: Promise<T> | undefined;
    let failure: unknown;
    let file: Readable | undefined;
    let finished = false;
    const fail = (err: unknown) => {
      if (failure) return;
      failure = err;
      req.unpipe(parser);
      req.resume();
      // A part cut off mid-way must end the sink too, or it would wait forever.
      file?.destroy(err instanceof Error ? err : new Error(String(err)));
      finish();
    };
    const finish = () => {
      if (finished) return;
      finished = true;
      if (!pending) return failure ? reject(failure) : resolve(form);
      pending.then(
        async (content) => {
          if (failure) {
            await onAbandon(content);
            reject(failure);
          } else resolve({ ...form, content });
        },
        (err) => reject(failure ?? err),
      );
    };
    parser.on('field', (name, value, info) => {
      if (info.valueTruncated)
        return fail(RegistryError.invalid(`the form field ${name} is too long`));
      (form.fields[name] ??= []).push(value);
    });
    parser.on('file', (name, stream, info) => {
      if (name !== 'content' || pending) {
        stream.resume();
        return;
      }
      form.filename = info.filename;
      file = stream;
      stream.on('error', () => undefined); // the sink sees it through its own pipeline
      pending = sink(stream);
      pending.catch(() => undefined);
    });
    parser.on('filesLimit', () =>
      fail(RegistryError.invalid('the upload holds more than one file')),
    );
    parser.on('fieldsLimit', () =>
      fail(RegistryError.invalid('the upload has too many form fields')),
    );
    parser.on('partsLimit', () => fail(RegistryError.invalid('the upload has too many parts')));
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
