import { RegistryError } from '@wharf/packages-core';

/**
 * Forgejo's rule for user and organization names: starts with a letter or digit, then
 * letters, digits, `_`, `-`, `.`, no two specials in a row, no special at the end.
 * Owner names are path segments of every package URL, so they must stay this plain.
 */
const NAME = /^[A-Za-z0-9](?:[A-Za-z0-9]|[_.-](?=[A-Za-z0-9]))*$/;
const MAX_LENGTH = 40;
// Names that would be confused with Wharf's own paths or Forgejo's deleted-user placeholder.
const RESERVED = new Set([
  'api',
  'v2',
  'healthz',
  'readyz',
  'metrics',
  'ghost',
  'assets',
  'swagger',
]);

/** Throws a 400 that says what is wrong with `name` as a user or organization name. */
export function assertOwnerName(name: string, what = 'name'): void {
  if (typeof name !== 'string' || !name) throw RegistryError.invalid(`${what} must not be empty`);
  if (name.length > MAX_LENGTH)
    throw RegistryError.invalid(`${what} must be at most ${MAX_LENGTH} characters`);
  if (!NAME.test(name)) {
    throw RegistryError.invalid(
      `${what} may contain only letters, digits, "-", "_" and "." (not first, last or doubled)`,
    );
  }
  if (RESERVED.has(name.toLowerCase()))
    throw RegistryError.invalid(`${what} "${name}" is reserved`);
}

export const OWNER_NAME_PATTERN = NAME;
export const OWNER_NAME_MAX_LENGTH = MAX_LENGTH;
