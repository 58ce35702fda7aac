import type { Request } from 'express';
import { Readable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { RegistryError } from '../errors/registry-error';
import { readMultipartForm } from './multipart-form';
import { parseContentLength } from './read-bounded';

/** The bytes of an upload and the length the client declared for them. */
export interface UploadBody {
  stream: Readable;
  /** Content-Length of a raw body; unknown for a multipart part. */
  declaredSize?: number;
  /** The form field of a multipart part (Chef's `tarball`); undefined for a raw body. */
  field?: string;
}

const FORM_TYPES = /^\s*(multipart\/form-data|application\/x-www-form-urlencoded)\b/i;

/**
 * The uploaded file of a request, as Forgejo reads it: a form (`multipart/form-data`
 * or urlencoded) gives its first file part, anything else is the raw body. The part is
 * streamed, never buffered; a form without a file part is a 400.
 */
export function openUploadBody(req: Request): Promise<UploadBody> {
  const type = req.headers['content-type'] ?? '';
  if (!FORM_TYPES.test(type)) {
    let declaredSize: number | undefined;
    try {
      declaredSize = parseContentLength(req.headers);
    } catch (err) {
      req.resume();
      return Promise.reject(err);
    }
    return Promise.resolve({ stream: req, declaredSize });
  }
  if (!/^\s*multipart\/form-data/i.test(type)) {
    req.resume();
    return Promise.reject(
      RegistryError.invalid(
        'the form has no file part (send the file as multipart/form-data or as the raw body)',
      ),
    );
  }
  return firstFilePart(req);
}

function firstFilePart(req: Request): Promise<UploadBody> {
  return new Promise((resolve, reject) => {
    let found = false;
    // One file; other fields are small and few (a form is not a way to send megabytes of text).
    readMultipartForm(req, {
      limits: { files: 1, fields: 32, fieldSize: 64 * 1024, parts: 64 },
      onFile: (part) => {
        found = true;
        resolve({ stream: part.stream, field: part.name });
        // The caller reads the part; the form waits for it to end (or be destroyed).
        return finished(part.stream);
      },
    }).then(
      () => {
        if (!found) reject(RegistryError.invalid('invalid multipart body: it has no file part'));
      },
      // After the part was handed over, its own stream carries any failure to the caller.
      (err: unknown) => {
        if (!found) reject(err);
      },
    );
  });
}
