import type { Request } from 'express';
import { parseJsonDocument, readBounded } from '@wharf/packages-core';

/**
 * A small JSON request body (a dist-tag's version string, a login document), read from
 * the stream with an explicit size and depth limit: body parsing is off globally
 * (DESIGN.md "Requests").
 */
export async function readJsonBody(req: Request, limit: number): Promise<unknown> {
  return parseJsonDocument(await readBounded(req, limit), 'the request body');
}

/** Reads and drops a body nobody needs (npm's unpublish step 1), so the connection stays usable. */
export async function drainBody(req: Request, limit: number): Promise<void> {
  await readBounded(req, limit);
}
