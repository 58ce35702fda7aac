import { checkName, NameGrammar, RegistryError } from '@wharf/packages-core';

/*
 * The grammar of the three names a generic upload carries (docs/protocols/generic.md §3):
 * Forgejo's patterns, applied through core's checkName (which also refuses look-alike
 * dots, percent-encoded paths and control characters).
 */

export const GENERIC_NAME: NameGrammar = {
  what: 'package name',
  pattern: /^(?:[-_+.\w]{2,}|[A-Za-z0-9])$/,
  rule: 'letters, digits and "-_+." (a one-character name must be a letter or digit)',
};

// Forgejo's own fixtures use versions such as "1.0.3-te st": printable ASCII, spaces inside.
export const GENERIC_VERSION: NameGrammar = {
  what: 'package version',
  pattern: /^[\x21-\x7e](?:[\x20-\x7e]*[\x21-\x7e])?$/,
  rule: 'printable ASCII characters, without leading or trailing whitespace',
};

export const GENERIC_FILENAME: NameGrammar = {
  what: 'file name',
  pattern:
    /^[-_+=:;.()[\]{}~!@#$%^&\w](?:[-_+=:;.()[\]{}~!@#$%^& \w]*[-_+=:;.()[\]{}~!@#$%^&\w])?$/,
  rule: 'letters, digits, spaces and -_+=:;.()[]{}~!@#$%^&, without leading or trailing whitespace',
  fileName: true,
};

/** Package name: Forgejo's `^[-_+.\w]+$`, not `..`; a one-character name is a letter or digit. */
export function assertGenericName(name: string): void {
  checkName(name, GENERIC_NAME);
}

/** Version: free-form printable ASCII, without surrounding whitespace (and path-safe). */
export function assertGenericVersion(version: string): void {
  if (typeof version === 'string' && version.trim() !== version)
    throw RegistryError.invalid('invalid package version: it starts or ends with whitespace');
  checkName(version, GENERIC_VERSION);
}

/** File name: Forgejo's character set, no surrounding whitespace, not `.` or `..`. */
export function assertGenericFilename(filename: string): void {
  if (typeof filename === 'string' && filename.trim() !== filename)
    throw RegistryError.invalid('invalid file name: it starts or ends with whitespace');
  checkName(filename, GENERIC_FILENAME);
}
