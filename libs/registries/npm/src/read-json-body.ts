import type { Request } from 'express';
import { readBounded, RegistryError } from '@wharf/packages-core';

/**
 * A small JSON request body (a dist-tag's version string, a login document), read from
 * the stream with an explicit limit: body parsing is off globally (DESIGN.md "Requests").
 */
export async function readJsonBody(req: Request, limit: number): Promise<unknown> {
  const bytes = await readBounded(req, limit);
  try {
    return JSON.parse(bytes.toString('utf8'));
  } catch {
    throw RegistryError.invalid('the request body is not valid JSON');
  }
}

/** Reads and drops a body nobody needs (npm's unpublish step 1), so the connection stays usable. */
export async function drainBody(req: Request, limit: number): Promise<void> {
  await readBounded(req, limit);
}
