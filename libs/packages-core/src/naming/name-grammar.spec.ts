import { RegistryErrorCode } from '../errors/registry-error';
import { HOSTILE_NAMES } from '../testing/hostile-names';
import { checkName, NameGrammar } from './name-grammar';

// The grammar of a permissive coordinate, Forgejo's generic file name: if it refuses an
// attack, stricter grammars do too.
const FILE: NameGrammar = {
  what: 'file name',
  pattern: /^[-_+=:;.()[\]{}~!@#$%^& \w]+$/,
  rule: 'letters, digits, spaces and -_+=:;.()[]{}~!@#$%^&',
  fileName: true,
};
const GROUP: NameGrammar = {
  what: 'group',
  pattern: /^[A-Za-z0-9_.-]+$/,
  rule: "letters, digits, '.', '_' and '-'",
  allowSlash: true,
};
// An ecosystem that allows non-ASCII letters (the look-alike check must still hold).
const UNICODE: NameGrammar = {
  what: 'name',
  pattern: /^[\p{L}\p{N}._-]+$/u,
  rule: 'letters',
  fileName: true,
};

describe('checkName', () => {
  it.each(HOSTILE_NAMES.map((h) => [h.label, h.value]))('refuses %s', (_label, value) => {
    for (const grammar of [FILE, UNICODE]) {
      expect(() => checkName(value, grammar)).toThrow(
        expect.objectContaining({
          code: RegistryErrorCode.InvalidArgument,
          message: expect.stringMatching(new RegExp(`^invalid ${grammar.what}: `)),
        }),
      );
    }
  });

  it.each([
    ['fi-le_na.me', FILE],
    ['report (final) 100%.txt', FILE],
    ['te-st_pac.kage', FILE],
    ['org/apache/commons', GROUP],
    ['päckage-ü', UNICODE],
  ] as const)('accepts %s', (value, grammar) => {
    expect(checkName(value, grammar)).toBe(value);
  });

  it('names the coordinate and the rule', () => {
    expect(() => checkName('a*b', GROUP)).toThrow(
      "invalid group: it must consist of letters, digits, '.', '_' and '-'",
    );
    expect(() => checkName('a/../b', GROUP)).toThrow(/"\.\." is not allowed/);
    expect(() => checkName('%2e%2e', FILE)).toThrow(/percent-encoded to hide a path/);
  });

  it('honours the length bound of the grammar', () => {
    expect(() => checkName('a'.repeat(11), { ...GROUP, maxLength: 10 })).toThrow(/longer than 10/);
  });
});
