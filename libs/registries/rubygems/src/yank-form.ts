import type { Request } from 'express';
import { Readable } from 'node:stream';
import { readBounded, readMultipartForm } from '@wharf/packages-core';

/** The fields of a `gem yank` request. */
export interface YankForm {
  gemName?: string;
  version?: string;
  platform?: string;
}

// Three short fields; anything bigger is not a yank.
const MAX_FORM = 16 * 1024;

/**
 * Reads `gem_name`, `version` and `platform` (docs/protocols/rubygems.md §8): `gem yank`
 * sends them urlencoded in the DELETE body; Forgejo's tests send multipart; scripts use the
 * query string. The body wins over the query.
 */
export async function readYankForm(req: Request): Promise<YankForm> {
  const query = req.query as Record<string, unknown>;
  const fields = new Map<string, string>();
  for (const key of ['gem_name', 'version', 'platform'])
    if (typeof query[key] === 'string') fields.set(key, query[key] as string);
  const type = req.headers['content-type'] ?? '';
  const body = await readBounded(req, MAX_FORM);
  if (/^\s*multipart\/form-data/i.test(type)) {
    for (const [k, v] of await multipartFields(req, body)) fields.set(k, v);
  } else if (body.length) {
    for (const [k, v] of new URLSearchParams(body.toString('utf8'))) fields.set(k, v);
  }
  return {
    gemName: fields.get('gem_name') || undefined,
    version: fields.get('version') || undefined,
    platform: fields.get('platform') || undefined,
  };
}

async function multipartFields(req: Request, body: Buffer): Promise<Map<string, string>> {
  const form = await readMultipartForm(
    Object.assign(Readable.from([body]), { headers: req.headers }),
    {
      limits: { fields: 8, parts: 8 },
    },
  );
  const fields = new Map<string, string>();
  for (const [name, values] of Object.entries(form.fields)) fields.set(name, values.at(-1)!);
  return fields;
}
