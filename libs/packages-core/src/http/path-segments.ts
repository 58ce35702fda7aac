import type { Request } from 'express';
import { RegistryError } from '../errors/registry-error';

/**
 * The path under a format's base (`/api/packages/{owner}/{type}/…`), segment by segment,
 * each decoded once, for formats whose routes take the rest of the path and split it
 * themselves (a repository or group path of any depth before fixed segments). An encoded
 * `/` stays inside its segment and is refused: segments are sent as they are. `[]` for
 * the base itself.
 */
export function pathSegmentsUnder(req: Request, type: string): string[] {
  const base = `/api/packages/`;
  const path = req.path;
  const afterOwner = path.startsWith(base) ? path.indexOf('/', base.length) : -1;
  const prefix = `/${type}`;
  const rest = afterOwner < 0 ? '' : path.slice(afterOwner);
  if (!rest.startsWith(prefix) || (rest.length > prefix.length && rest[prefix.length] !== '/'))
    return [];
  const tail = rest.slice(prefix.length + 1);
  if (tail === '') return [];
  let segments: string[];
  try {
    segments = tail.split('/').map((s) => decodeURIComponent(s));
  } catch {
    throw RegistryError.invalid('the path is not valid percent-encoding');
  }
  if (segments.some((s) => s.includes('/')))
    throw RegistryError.invalid(
      'an encoded "/" is not a path separator: send segments as they are',
    );
  return segments;
}
