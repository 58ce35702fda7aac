import { assertGenericFilename, assertGenericName, assertGenericVersion } from './generic.metadata';
import { HOSTILE_NAMES } from '../../../packages-core/src/testing/hostile-names';

// The good/bad lists of Forgejo's validator unit tests (docs/protocols/generic.md §3, §7).
describe('generic name validation', () => {
  it.each(['a', '1', 'a-', 'a_b', 'c.d+', 'te-st_pac.kage'])('accepts package name %p', (name) => {
    expect(() => assertGenericName(name)).not.toThrow();
  });
  it.each([
    '',
    '.',
    '..',
    '-',
    'a?b',
    'a b',
    'a/b',
    'a\\b',
    'invalid package name',
    'x'.repeat(256),
  ])('refuses package name %p', (name) => {
    expect(() => assertGenericName(name)).toThrow(/invalid package name/);
  });

  it.each([
    '-',
    'a b',
    '-_+=:;.()[]{}~!@#$%^& aA1',
    'fi-le_na.me',
    'com.gitea:test-project:1.0.1.jar',
  ])('accepts file name %p', (name) => {
    expect(() => assertGenericFilename(name)).not.toThrow();
  });
  it.each(['', '.', '..', 'a?b', 'a/b', '../etc', ' a', 'a ', 'inva|id.name', 'a\nb', 'a\\b'])(
    'refuses file name %p',
    (name) => {
      expect(() => assertGenericFilename(name)).toThrow(/invalid file name/);
    },
  );

  it.each(['1.0', 'v1.0', 'latest', '1.0.3-te st', '2024-01-01 nightly'])(
    'accepts version %p',
    (v) => {
      expect(() => assertGenericVersion(v)).not.toThrow();
    },
  );
  it.each(['', ' test ', ' 1.0', '1.0 ', '..', '1/0', 'a\tb'])('refuses version %p', (v) => {
    expect(() => assertGenericVersion(v)).toThrow(/invalid package version/);
  });
});

// Issue 11: the shared hostile-name corpus is refused in every position.
describe('generic names against the hostile corpus', () => {
  it.each(HOSTILE_NAMES.map((h) => [h.label, h]))('refuses %s', (_l, { value, fileNameOnly }) => {
    expect(() => assertGenericFilename(value)).toThrow(/invalid file name/);
    if (fileNameOnly) return;
    expect(() => assertGenericName(value)).toThrow(/invalid package name/);
    expect(() => assertGenericVersion(value)).toThrow(/invalid package version/);
  });
});
