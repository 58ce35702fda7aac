import busboy from 'busboy';
import type { Request } from 'express';
import { Readable } from 'node:stream';
import { readBounded, RegistryError } from '@wharf/packages-core';

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

function multipartFields(req: Request, body: Buffer): Promise<Map<string, string>> {
  return new Promise((resolve, reject) => {
    const fields = new Map<string, string>();
    let parser: busboy.Busboy;
    try {
      parser = busboy({ headers: req.headers, limits: { files: 0, fields: 8, parts: 8 } });
    } catch (err) {
      reject(RegistryError.invalid(`invalid multipart body: ${(err as Error).message}`));
      return;
    }
    parser.on('field', (name, value) => fields.set(name, value));
    parser.on('close', () => resolve(fields));
    parser.on('error', (err: Error) =>
      reject(RegistryError.invalid(`invalid multipart body: ${err.message}`)),
    );
    Readable.from([body]).pipe(parser);
  });
}
