import type { Request, Response } from 'express';
import parseRange from 'range-parser';
import { pipeline } from 'node:stream/promises';
import type { PackageBlobEntity } from '../entities';
import { RegistryError, RegistryErrorCode } from '../errors/registry-error';
import type { OpenOptions, OpenedBlob } from '../packages/package-download.service';

export interface BlobResponseOptions {
  filename?: string;
  /** Never a type a browser renders; defaults to application/octet-stream. */
  contentType?: string;
  /** Seconds for Cache-Control; content-addressed files can be cached long. */
  maxAge?: number;
  lastModified?: Date;
  /** Strong ETag, quoted; the sha256 by default (the container registry sends the digest, as distribution does). */
  etag?: string;
  /** Status of the redirect to a presigned URL: 303 by default; the container registry answers 307, as distribution does. */
  redirectStatus?: 302 | 303 | 307;
}

/**
 * Reads the Range header of a request for a blob of `size` bytes: undefined for the
 * whole blob, a single range, or a 416. Multiple ranges are served as the whole blob,
 * as RFC 9110 allows.
 */
export function requestedRange(req: Request, size: number): OpenOptions['range'] {
  const header = req.headers.range;
  if (!header) return undefined;
  const ranges = parseRange(size, header, { combine: true });
  if (ranges === -1) {
    throw new RegistryError(
      RegistryErrorCode.RangeNotSatisfiable,
      `range ${header} is not satisfiable for ${size} bytes`,
      { size },
    );
  }
  if (ranges === -2 || ranges.type !== 'bytes' || ranges.length !== 1) return undefined;
  return { start: ranges[0].start, end: ranges[0].end };
}

/** Headers every served file carries. */
export function setBlobHeaders(
  res: Response,
  blob: PackageBlobEntity,
  options: BlobResponseOptions,
): void {
  res.setHeader('Content-Type', options.contentType ?? 'application/octet-stream');
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Accept-Ranges', 'bytes');
  res.setHeader('ETag', options.etag ?? `"${blob.hashSha256}"`);
  res.setHeader('Cache-Control', `private, max-age=${options.maxAge ?? 300}`);
  res.setHeader(
    'Last-Modified',
    (options.lastModified ?? new Date(blob.createdUnix * 1000)).toUTCString(),
  );
  // Null only for bytes stored through a sha256-only format (container layers, served
  // with Docker-Content-Digest): a pull must not wait for md5 of a large layer.
  if (blob.hashMd5 !== null) res.setHeader('X-Checksum-Md5', blob.hashMd5);
  if (blob.hashSha1 !== null) res.setHeader('X-Checksum-Sha1', blob.hashSha1);
  res.setHeader('X-Checksum-Sha256', blob.hashSha256);
  if (options.filename) res.setHeader('Content-Disposition', contentDisposition(options.filename));
}

/** `attachment` with an ASCII fallback and the RFC 5987 UTF-8 form. */
export function contentDisposition(filename: string): string {
  const ascii = filename.replace(/[^\x20-\x7e]|["\\]/g, '_');
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(filename)}`;
}

/** True (and a 304 sent) when the client's copy is current. */
export function answerNotModified(
  req: Request,
  res: Response,
  etag: string,
  lastModified?: Date,
): boolean {
  const inm = req.headers['if-none-match'];
  const ims = req.headers['if-modified-since'];
  const fresh = inm
    ? inm.split(',').some((t) => t.trim().replace(/^W\//, '') === etag || t.trim() === '*')
    : !!ims &&
      !!lastModified &&
      Math.floor(lastModified.getTime() / 1000) <= Math.floor(Date.parse(ims) / 1000);
  if (fresh) res.status(304).end();
  return fresh;
}

/**
 * Sends an opened blob: a redirect (303 unless told) to a presigned URL, an
 * X-Accel-Redirect for the fronting web server, or the bytes (206 for a range).
 */
export async function sendOpenedBlob(
  req: Request,
  res: Response,
  opened: OpenedBlob,
  options: BlobResponseOptions,
): Promise<void> {
  switch (opened.kind) {
    case 'redirect':
      res.redirect(options.redirectStatus ?? 303, opened.url);
      return;
    case 'accel':
      sendAccelRedirect(res, opened.blob, opened.path, options);
      return;
    case 'stream':
    case 'bytes':
      return sendBody(req, res, opened, options);
    default: {
      const unknown: never = opened; // a new kind must be sent here, or it compiles no more
      throw new Error(`unknown opened blob ${JSON.stringify(unknown)}`);
    }
  }
}

/**
 * The blob's headers, `X-Accel-Redirect` and an empty 200: nginx keeps Content-Type,
 * Content-Disposition and Cache-Control, sends the file with its own Content-Length, and
 * answers a Range itself (the request's Range header reaches its internal location), so
 * neither a length nor a 206 is set here. Its `Accept-Ranges` is its own too. The other
 * headers (ETag, nosniff, digests) pass only as the README's `add_header` lines pass them.
 */
function sendAccelRedirect(
  res: Response,
  blob: PackageBlobEntity,
  path: string,
  options: BlobResponseOptions,
): void {
  setBlobHeaders(res, blob, options);
  res.removeHeader('Accept-Ranges');
  res.setHeader('X-Accel-Redirect', path);
  res.status(200).end();
}

/**
 * The blob's bytes, or the range asked for. Bytes in memory go out in one `end()`: a
 * stream pipeline per small response cost more CPU than the write itself.
 */
async function sendBody(
  req: Request,
  res: Response,
  opened: Extract<OpenedBlob, { kind: 'stream' | 'bytes' }>,
  options: BlobResponseOptions,
): Promise<void> {
  const { blob, range } = opened;
  setBlobHeaders(res, blob, options);
  if (range) {
    res.status(206);
    res.setHeader('Content-Range', `bytes ${range.start}-${range.end}/${blob.size}`);
    res.setHeader('Content-Length', String(range.end - range.start + 1));
  } else {
    res.setHeader('Content-Length', String(blob.size));
  }
  if (opened.kind === 'bytes') {
    res.end(req.method === 'HEAD' ? undefined : opened.bytes);
    return;
  }
  if (req.method === 'HEAD') {
    opened.stream.destroy();
    res.end();
    return;
  }
  await pipeline(opened.stream, res);
}
