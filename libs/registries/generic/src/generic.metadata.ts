import { assertSafeName, RegistryError } from '@wharf/packages-core';

/*
 * Validation of the three names a generic upload carries (generic.md §3). Forgejo's
 * patterns first, then the one path-safety check every format shares.
 */

const NAME = /^[-_+.\w]+$/;
const FILENAME = /^[-_+=:;.()[\]{}~!@#$%^& \w]+$/;
const ALNUM = /^[A-Za-z0-9]$/;

/** Package name: `^[-_+.\w]+$`, not `..`; a one-character name is a letter or digit. */
export function assertGenericName(name: string): void {
  assertSafeName(name, { what: 'package name' });
  if (!NAME.test(name) || (name.length === 1 && !ALNUM.test(name))) {
    throw RegistryError.invalid(
      'invalid package name: use letters, digits and "-_+." only (a one-character name must be a letter or digit)',
    );
  }
}

/** Version: free-form, but without leading or trailing whitespace (and path-safe). */
export function assertGenericVersion(version: string): void {
  assertSafeName(version, { what: 'package version' });
  if (version.trim() !== version)
    throw RegistryError.invalid('invalid package version: it starts or ends with whitespace');
}

/** File name: Forgejo's character set, no surrounding whitespace, not `.` or `..`. */
export function assertGenericFilename(filename: string): void {
  assertSafeName(filename, { what: 'file name' });
  if (filename.trim() !== filename)
    throw RegistryError.invalid('invalid file name: it starts or ends with whitespace');
  if (!FILENAME.test(filename)) {
    throw RegistryError.invalid(
      'invalid file name: use letters, digits, spaces and -_+=:;.()[]{}~!@#$%^& only',
    );
  }
}
