import type { Request, Response } from 'express';
import { parseContentLength } from '@wharf/packages-core';
import { OciError, OciErrorCode } from './container.errors';

/** Sends a JSON document with an exact Content-Length. */
export function sendJson(
  res: Response,
  status: number,
  body: unknown,
  contentType = 'application/json',
): void {
  const text = JSON.stringify(body);
  res.status(status).setHeader('Content-Type', contentType);
  res.setHeader('Content-Length', Buffer.byteLength(text));
  res.end(text);
}

/** Answers with no body (202/201/204 of the upload and delete routes). */
export function sendEmpty(
  res: Response,
  status: number,
  headers: Record<string, string> = {},
): void {
  for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
  if (status !== 204) res.setHeader('Content-Length', '0');
  res.status(status).end();
}

/** True when a request carries a body (a declared length above 0, or a chunked one). */
export function hasBody(req: Request): boolean {
  return (
    (parseContentLength(req.headers) ?? 0) > 0 || req.headers['transfer-encoding'] !== undefined
  );
}

/** `n` of a paged list: absent, or a non-negative integer (else 400). */
export function parsePageSize(value: unknown, max?: number): number | undefined {
  if (value === undefined || value === '') return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0)
    throw new OciError(OciErrorCode.Unsupported, 'n must be a non-negative integer', {
      status: 400,
    });
  return max === undefined ? n : Math.min(n, max);
}

export function str(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}
