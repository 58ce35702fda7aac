import { RegistryError } from '../errors/registry-error';
import { assertSafeName } from './assert-safe-name';

/**
 * The grammar of one coordinate a format accepts (package name, version, file name,
 * group segment, distribution, architecture…), as its ecosystem defines it. Formats
 * declare one per coordinate in `<type>.metadata.ts`; core applies it to route
 * parameters and to names read from bodies and forms, before anything is stored.
 */
export interface NameGrammar {
  /** What the value is, for the message: "package name", "file name"… */
  readonly what: string;
  /** Allow-list the whole value must match (ASCII unless the ecosystem allows more). */
  readonly pattern: RegExp;
  /** The rule in words, for the 400: "letters, digits, '.', '_' and '-'". */
  readonly rule: string;
  /** Characters; 255 unless the ecosystem sets another bound. */
  readonly maxLength?: number;
  /** `/` separates segments (npm scopes, Maven groups, image paths); each is checked. */
  readonly allowSlash?: boolean;
  /** The value names a file on someone's disk: Windows device names and a trailing dot or space are refused. */
  readonly fileName?: boolean;
}

// Characters that render as a dot or a slash without being one; a name that shows `..`
// or `/` to a reader is refused even where the ecosystem allows non-ASCII.
const LOOK_ALIKES =
  /[\u2024\u2025\u2026\uFE52\uFF0E\u3002\uFF61\u2215\u2044\u29F8\uFF0F\uFF3C\u2216\uFE68]/;
const WINDOWS_DEVICE = /^(con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³])(\..*)?$/i;
const PERCENT_ESCAPE = /%[0-9a-f]{2}/i;

/**
 * Checks `value` (already URL-decoded once, as routers hand it over) against `grammar`
 * and returns it. A 400 names the coordinate and the rule. Beyond the allow-list:
 * whatever the value decodes to when percent-decoded again (double encoding such as
 * `%252e%252e%252f`) must not be a path, so a name cannot turn into one further down.
 */
export function checkName(value: string, grammar: NameGrammar): string {
  const { what, maxLength = 255 } = grammar;
  const fail = (why: string): never => {
    throw RegistryError.invalid(`invalid ${what}: ${why}`);
  };
  assertSafeName(value, { what, allowSlash: grammar.allowSlash, maxLength });
  if (LOOK_ALIKES.test(value)) fail('it contains a character that looks like a dot or a slash');
  const decoded = decodeFully(value);
  if (decoded !== value) {
    try {
      assertSafeName(decoded, { what, allowSlash: grammar.allowSlash, maxLength: Infinity });
    } catch {
      fail('it is percent-encoded to hide a path');
    }
    if (LOOK_ALIKES.test(decoded)) fail('it is percent-encoded to hide a path');
  }
  const segments = grammar.allowSlash ? value.split('/') : [value];
  for (const segment of segments) {
    if (!grammar.pattern.test(segment)) fail(`it must consist of ${grammar.rule}`);
    if (grammar.fileName) {
      if (WINDOWS_DEVICE.test(segment)) fail(`"${segment}" is a reserved device name on Windows`);
      if (/[. ]$/.test(segment)) fail('it must not end with a dot or a space');
    }
  }
  return value;
}

/** Percent-decodes until nothing changes (at most a few rounds); malformed escapes stay as they are. */
function decodeFully(value: string): string {
  let current = value;
  for (let round = 0; round < 4 && PERCENT_ESCAPE.test(current); round++) {
    let next: string;
    try {
      next = decodeURIComponent(current);
    } catch {
      next = current.replace(/%([0-9a-f]{2})/gi, (_m, hex: string) =>
        String.fromCharCode(parseInt(hex, 16)),
      );
    }
    if (next === current) break;
    current = next;
  }
  return current;
}
