import Busboy, { type BusboyHeaders } from '@fastify/busboy';
import type { IncomingHttpHeaders } from 'node:http';
import type { Readable } from 'node:stream';
import { RegistryError, RegistryErrorCode } from '../errors/registry-error';

/*
 * The one reader of `multipart/form-data` request bodies (RFC 7578). @fastify/busboy does
 * the parsing; this file decides which parts stream and adds the registry's limits.
 *
 * Which parts are files: busboy's own rule (a file name, or `application/octet-stream`)
 * misses clients that send a large part with neither. SwiftPM's RegistryClient sends the
 * source archive as `Content-Type: application/zip` with no file name; busboy 1.x would
 * hand it over as a string held in memory. Here the caller names its file parts, and those
 * stream whatever their headers say; every other part is a small, bounded field or, if it
 * looks like a file, is read past.
 *
 * Backpressure: a file part is read only as fast as its consumer reads it; while it waits,
 * the parser stops taking bytes and the request socket pauses.
 */

/** A request (or any stream of a form body) and the headers that carry its boundary. */
export type MultipartSource = Readable & { headers: IncomingHttpHeaders };

/** A file part, handed over while it streams. */
export interface MultipartFile {
  /** The part's form name. */
  name: string;
  /** The file name exactly as sent (a path is kept, so a grammar can refuse `../x`); undefined when none was. */
  filename?: string;
  /** The part's media type, lower case; `text/plain` when it sent none. */
  contentType: string;
  stream: Readable;
}

export interface MultipartLimits {
  /** Fields (non-file parts) at most. */
  fields: number;
  /** Bytes of one field; a longer one is a 413. */
  fieldSize: number;
  /** File parts at most, read-past ones included. */
  files: number;
  /** Parts of any kind at most. */
  parts: number;
  /** Header lines kept per part; more are not parsed. */
  headerPairs: number;
  /** Bytes of one part's header block kept; more are not parsed. */
  headerSize: number;
}

export const DEFAULT_MULTIPART_LIMITS: MultipartLimits = {
  fields: 32,
  fieldSize: 64 * 1024,
  files: 1,
  parts: 64,
  headerPairs: 32,
  headerSize: 16 * 1024,
};

export interface MultipartFormOptions<T> {
  /**
   * The parts handed to `onFile` as streams, by form name, whatever their file name or
   * media type. Without the list, a part with a file name or of type
   * `application/octet-stream` is a file (the HTML form rule). With it, other parts that
   * look like files are read past.
   */
  fileParts?: readonly string[];
  /**
   * Consumes one file part (streams it into storage, say); the form is complete only when
   * every returned promise is. A rejection refuses the form with that error. Without it,
   * file parts are read past.
   */
  onFile?(file: MultipartFile): Promise<T>;
  /**
   * Undoes what `onFile` made (discards a staged blob) when the form is refused after that
   * part was consumed: a later part broke a limit, or the body ends without its boundary.
   */
  onAbandon?(result: T): Promise<void>;
  limits?: Partial<MultipartLimits>;
}

export interface MultipartForm<T> {
  /** Fields by name, each name's values in the order sent. */
  fields: Record<string, string[]>;
  /** What `onFile` made of each file part, in the order sent. */
  files: { name: string; filename?: string; result: T }[];
}

/**
 * Reads a form body to its end. Resolves once every part is parsed and every `onFile`
 * promise resolved; rejects with a 400 for a body that is not a well-formed form or breaks
 * a count limit, a 413 for an oversized field, or `onFile`'s own error. On rejection the
 * rest of the body is drained, open file parts are destroyed, and nothing is left running:
 * every `onFile` promise has settled and `onAbandon` has run for those that succeeded.
 */
export function readMultipartForm<T = never>(
  req: MultipartSource,
  options: MultipartFormOptions<T> = {},
): Promise<MultipartForm<T>> {
  return new Promise((resolve, reject) => {
    const limits = { ...DEFAULT_MULTIPART_LIMITS, ...options.limits };
    const named = options.fileParts && new Set(options.fileParts);
    let parser: ReturnType<typeof Busboy>;
    try {
      if (!/^\s*multipart\/form-data\s*(;|$)/i.test(req.headers['content-type'] ?? ''))
        throw new Error('the body must be multipart/form-data');
      parser = Busboy({
        headers: req.headers as BusboyHeaders,
        preservePath: true,
        limits,
        isPartAFile: named
          ? (name, type, filename) =>
              (name !== undefined && named.has(name)) ||
              filename !== undefined ||
              type === 'application/octet-stream'
          : undefined,
      });
    } catch (err) {
      req.resume();
      reject(RegistryError.invalid(`invalid multipart body: ${describe(err)}`));
      return;
    }

    // Object.create(null): a field named `__proto__` is a field like any other.
    const fields = Object.create(null) as Record<string, string[]>;
    const consumed: { name: string; filename?: string; result: Promise<T> }[] = [];
    const open = new Set<Readable>();
    let failure: Error | undefined;
    let done = false;

    const fail = (err: Error) => {
      if (failure) return;
      failure = err;
      // Stop parsing and drain what the client still sends, so the refusal can be answered.
      req.unpipe(parser);
      req.resume();
      for (const stream of open) stream.destroy(err);
      void settle();
    };
    const settle = async () => {
      if (done) return;
      done = true;
      const outcomes = await Promise.allSettled(consumed.map((c) => c.result));
      if (!failure) {
        resolve({
          fields,
          files: consumed.map((c, i) => ({
            name: c.name,
            filename: c.filename,
            result: (outcomes[i] as PromiseFulfilledResult<T>).value,
          })),
        });
        return;
      }
      // Best effort: the refusal is what the client must hear; an undo that fails leaves
      // a staged blob behind, which the cleanup job removes (CleanupService).
      await Promise.allSettled(
        outcomes.map((o) =>
          o.status === 'fulfilled' && options.onAbandon
            ? options.onAbandon(o.value)
            : Promise.resolve(),
        ),
      );
      reject(failure);
    };

    parser.on('file', (name, stream, filename, _encoding, contentType) => {
      const wanted = options.onFile && !failure && (!named || named.has(name));
      // A consumer that attaches later, or none at all, must not turn a cut-off part into
      // an uncaught 'error'; the consumer sees it through its own pipeline.
      stream.on('error', () => undefined);
      if (!wanted) {
        stream.resume();
        return;
      }
      open.add(stream);
      stream.once('close', () => open.delete(stream)).once('end', () => open.delete(stream));
      let result: Promise<T>;
      try {
        result = options.onFile!({ name, filename, contentType, stream });
      } catch (err) {
        result = Promise.reject(err);
      }
      result.catch((err: unknown) => {
        stream.resume();
        fail(err instanceof Error ? err : new Error(String(err)));
      });
      consumed.push({ name, filename, result });
    });
    parser.on('field', (name: string | undefined, value, _nameTruncated, valueTruncated) => {
      if (valueTruncated)
        return fail(
          new RegistryError(
            RegistryErrorCode.PayloadTooLarge,
            `the form field ${name ?? '(unnamed)'} is larger than ${limits.fieldSize} bytes`,
          ),
        );
      if (name !== undefined) (fields[name] ??= []).push(value);
    });
    parser.on('partsLimit', () =>
      fail(RegistryError.invalid(`the form has more than ${limits.parts} parts`)),
    );
    parser.on('filesLimit', () =>
      fail(RegistryError.invalid(`the form has more than ${limits.files} file parts`)),
    );
    parser.on('fieldsLimit', () =>
      fail(RegistryError.invalid(`the form has more than ${limits.fields} fields`)),
    );
    parser.on('error', (err: unknown) =>
      fail(RegistryError.invalid(`invalid multipart body: ${describe(err)}`)),
    );
    // Emitted once every part is parsed and every file part read to its end.
    parser.on('finish', () => void settle());
    req.on('error', (err) =>
      fail(RegistryError.invalid(`the upload was interrupted: ${err.message}`)),
    );
    req.pipe(parser);
  });
}

function describe(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  if (/^Unexpected end of multipart data/.test(message))
    return 'the body ends before the closing boundary';
  if (/Boundary not found/.test(message)) return 'the Content-Type has no boundary';
  return message;
}
