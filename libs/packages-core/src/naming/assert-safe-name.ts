import { RegistryError } from '../errors/registry-error';

export interface SafeNameOptions {
  /** What the value is, for the error message ("package name", "file name"…). */
  what: string;
  /** Allow `/` between segments (npm scopes, Maven groups, image paths); each segment is checked. */
  allowSlash?: boolean;
  maxLength?: number;
}

// C0/C1 controls, DEL, and the Unicode line/paragraph separators.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;

/**
 * The one path-safety check for names a client sends (package names, versions, file
 * names), applied after URL decoding. Storage keys never contain such names, but names
 * end up in documents, file names and Content-Disposition headers, so they must not be
 * able to mean a path: no backslash, no `.`/`..` segment, no empty segment, no control
 * characters, bounded length; `/` only where the format allows it.
 * Throws a 400 {@link RegistryError} that says what is wrong.
 */
export function assertSafeName(value: string, options: SafeNameOptions): void {
  const { what, allowSlash = false, maxLength = 255 } = options;
  const fail = (why: string): never => {
    throw RegistryError.invalid(`invalid ${what}: ${why}`);
  };
  if (typeof value !== 'string' || value.length === 0) fail('it is empty');
  if (value.length > maxLength) fail(`it is longer than ${maxLength} characters`);
  if (CONTROL.test(value)) fail('it contains control characters');
  if (value.includes('\\')) fail('it contains a backslash');
  if (!allowSlash && value.includes('/')) fail('it contains a path separator');
  for (const segment of value.split('/')) {
    if (segment === '') fail('it has an empty path segment');
    if (segment === '.' || segment === '..')
      fail(`"${segment}" is not allowed as a name or path segment`);
  }
}
