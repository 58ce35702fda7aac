import { createHash } from 'node:crypto';
import type { Request, Response } from 'express';
import { answerNotModified } from './send-blob';

/** A document Wharf generates (an index, a packument, a metadata file), ready to send. */
export interface GeneratedDocument {
  body: Buffer | string;
  /** Full media type, charset included where it matters; never one a browser renders as a page. */
  contentType: string;
  /** Strong ETag, quoted; derived from the body when absent. */
  etag?: string;
  lastModified?: Date;
}

export interface ServeDocumentOptions {
  /** Cache-Control; generated documents change, so clients revalidate by default. */
  cacheControl?: string;
  /** Request headers the answer depends on (e.g. `Accept` for content negotiation). */
  vary?: string;
  status?: number;
}

/**
 * UTF-8 bytes of documents whose body is a string, made once: Node encodes a string
 * body on every `res.end()`, ~10 ms for a 1.4 MiB index against ~1 ms for a Buffer.
 * Keyed by the document object, so a copy with another body never gets these bytes.
 */
const encodedBodies = new WeakMap<GeneratedDocument, Buffer>();

/**
 * Encodes a string body once for every later `serveDocument` of this same object (the
 * document cache's copies); returns the bytes held for it (0 for a Buffer body).
 */
export function keepEncodedBody(doc: GeneratedDocument): number {
  if (typeof doc.body !== 'string') return 0;
  const bytes = Buffer.from(doc.body);
  encodedBodies.set(doc, bytes);
  return bytes.length;
}

/** The strong ETag of a body: its sha256, quoted. */
export function documentEtag(body: Buffer | string): string {
  return `"${createHash('sha256').update(body).digest('hex')}"`;
}

/**
 * Serves a generated document the one way every format does: ETag, Last-Modified, 304 for
 * a current copy (If-None-Match wins over If-Modified-Since, RFC 9110 §13.2.2, so a
 * deletion that does not move Last-Modified is still seen), HEAD without a body, an exact
 * Content-Length, `nosniff` and revalidating cache headers.
 */
export function serveDocument(
  req: Request,
  res: Response,
  doc: GeneratedDocument,
  options: ServeDocumentOptions = {},
): void {
  const etag = doc.etag ?? documentEtag(doc.body);
  res.setHeader('ETag', etag);
  res.setHeader('Cache-Control', options.cacheControl ?? 'private, max-age=0, must-revalidate');
  res.setHeader('X-Content-Type-Options', 'nosniff');
  if (options.vary) res.setHeader('Vary', options.vary);
  if (doc.lastModified) res.setHeader('Last-Modified', doc.lastModified.toUTCString());
  if (answerNotModified(req, res, etag.replace(/^W\//, ''), doc.lastModified)) return;
  res.status(options.status ?? 200);
  res.setHeader('Content-Type', doc.contentType);
  const body = encodedBodies.get(doc) ?? doc.body;
  res.setHeader('Content-Length', String(Buffer.byteLength(body)));
  res.end(req.method === 'HEAD' ? undefined : body);
}

/** An owner's armoured OpenPGP public key as the `repository.key` download (debian, rpm, arch). */
export function serveRepositoryKey(req: Request, res: Response, armoredKey: string): void {
  res.setHeader('Content-Disposition', 'attachment; filename="repository.key"');
  serveDocument(req, res, { body: armoredKey, contentType: 'application/pgp-keys' });
}
