import type { Request } from 'express';
import { RegistryError, RegistryErrorCode } from '@wharf/packages-core';

/**
 * A small JSON request body (a dist-tag's version string, a login document), read from
 * the stream with an explicit limit: body parsing is off globally (DESIGN.md "Requests").
 */
export async function readJsonBody(req: Request, limit: number): Promise<unknown> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) {
    req.resume();
    throw new RegistryError(
      RegistryErrorCode.PayloadTooLarge,
      `the request body is larger than ${limit} bytes`,
    );
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) {
      req.resume();
      throw new RegistryError(
        RegistryErrorCode.PayloadTooLarge,
        `the request body is larger than ${limit} bytes`,
      );
    }
    chunks.push(chunk as Buffer);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw RegistryError.invalid('the request body is not valid JSON');
  }
}

/** Reads and drops a body nobody needs (npm's unpublish step 1), so the connection stays usable. */
export async function drainBody(req: Request, limit: number): Promise<void> {
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit)
      throw new RegistryError(
        RegistryErrorCode.PayloadTooLarge,
        `the request body is larger than ${limit} bytes`,
      );
  }
}
