export interface HostileName {
  label: string;
  value: string;
  /** Hostile only where the value becomes a file name on a client's disk. */
  fileNameOnly?: boolean;
}

/**
 * Names an attacker sends in place of a package name, version or file name: traversal in
 * every encoding, look-alike dots and slashes, control characters, NUL, Windows paths and
 * device names, over-long and empty values. Each must be refused by every coordinate's
 * grammar (the corpus test runs them against every route that takes a name).
 */
export const HOSTILE_NAMES: readonly HostileName[] = [
  { label: 'empty', value: '' },
  { label: 'dot-dot', value: '..' },
  { label: 'dot', value: '.' },
  { label: 'traversal', value: '../../etc/passwd' },
  { label: 'absolute path', value: '/etc/passwd' },
  { label: 'Windows drive path', value: 'C:\\evil' },
  { label: 'backslash traversal', value: '..\\..\\evil' },
  { label: 'encoded traversal (decoded once by the router)', value: '%2e%2e%2f%2e%2e%2fevil' },
  { label: 'double-encoded traversal', value: '%252e%252e%252fevil' },
  { label: 'encoded absolute path', value: '%2fetc%2fpasswd' },
  { label: 'fullwidth full stops (U+FF0E)', value: '\uFF0E\uFF0E' },
  { label: 'one-dot leaders (U+2024)', value: '\u2024\u2024' },
  { label: 'fullwidth solidus (U+FF0F)', value: 'a\uFF0Fb' },
  { label: 'division slash (U+2215)', value: 'a\u2215b' },
  { label: 'NUL', value: 'a\u0000b' },
  { label: 'newline', value: 'a\nb' },
  { label: 'escape sequence', value: 'a\u001b[31mb' },
  { label: 'line separator (U+2028)', value: 'a\u2028b' },
  { label: 'over-long', value: 'a'.repeat(4096) },
  { label: 'Windows device name', value: 'CON', fileNameOnly: true },
  { label: 'Windows device name with extension', value: 'nul.txt', fileNameOnly: true },
];
