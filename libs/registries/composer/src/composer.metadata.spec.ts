import { HOSTILE_NAMES } from '../../../packages-core/src/testing/hostile-names';
import { isDevVersion, normalizeComposerVersion } from './composer-version';
import { checkName } from '@wharf/packages-core';
import {
  archiveFileName,
  checkPackageName,
  FILE_NAME,
  parseComposerJson,
} from './composer.metadata';

// Each row as composer/semver 3.3 (Debian's php-composer-semver, the one composer 2.5
// uses) normalizes it: `VersionParser::normalize`, and dev when `parseStability` says so.
const COMPOSER_NORMALIZED: [string, string, boolean][] = [
  ['1.0.3', '1.0.3.0', false],
  ['v1.0.3', '1.0.3.0', false],
  ['1.0', '1.0.0.0', false],
  ['1', '1.0.0.0', false],
  ['1.2.3.4', '1.2.3.4', false],
  ['v2.0-beta1', '2.0.0.0-beta1', false],
  ['2.0.0-BETA.2', '2.0.0.0-beta2', false],
  ['1.0.0-rc1', '1.0.0.0-RC1', false],
  ['1.0.0RC1', '1.0.0.0-RC1', false],
  ['1.0.0a2', '1.0.0.0-alpha2', false],
  ['1.0.0-pl2', '1.0.0.0-patch2', false],
  ['1.0-dev', '1.0.0.0-dev', true],
  ['1.0.x-dev', '1.0.9999999.9999999-dev', true],
  ['2.x-dev', '2.9999999.9999999.9999999-dev', true],
  ['v3.X-dev', '3.9999999.9999999.9999999-dev', true],
  ['1.0.0-beta1-dev', '1.0.0.0-beta1-dev', true],
  ['dev-main', 'dev-main', true],
  ['DEV-Main', 'dev-Main', true],
  ['master', 'dev-master', true],
  ['1.0.0+build.7', '1.0.0.0', false],
  ['1.0.0-stable', '1.0.0.0', false],
  ['1.0.0-STABLE', '1.0.0.0-stable', false],
  ['20240105', '20240105', false],
  ['2024-01-05-10-30', '2024.01.05.10.30', false],
  ['v1.2.3-beta.1.2', '1.2.3.0-beta1.2', false],
  ['1.a.3', '1.0.0.0-alpha3', false],
];

describe('normalizeComposerVersion', () => {
  it.each(COMPOSER_NORMALIZED)('reads %p as Composer does: %p', (input, normalized, dev) => {
    expect(normalizeComposerVersion(input)).toBe(normalized);
    expect(isDevVersion(normalized)).toBe(dev);
  });
  // Composer refuses the first five too; aliases and stability flags are constraint syntax.
  it.each([
    'foo',
    'foo-dev',
    'main-dev',
    '1.0.0-gamma',
    '1.2.3.4.5',
    '1.0 as 2.0',
    '1.0@dev',
    'dev-',
    '',
  ])('refuses %p', (input) => {
    expect(() => normalizeComposerVersion(input)).toThrow(/package version is invalid/);
  });
});

const manifest = (doc: Record<string, unknown>, version?: string) =>
  parseComposerJson(Buffer.from(JSON.stringify(doc)), version);

describe('parseComposerJson', () => {
  it("keeps the fields Composer resolves and autoloads with, and Forgejo's", () => {
    const m = manifest(
      {
        name: 'gitea/composer-package',
        description: 'Package Description',
        type: 'composer-plugin',
        license: 'MIT',
        authors: [{ name: 'Gitea Authors', email: 'no.reply@gitea.io' }],
        homepage: 'https://gitea.io/',
        keywords: ['a', 'b'],
        bin: './bin/script',
        require: { php: '>=7.2 || ^8.0' },
        'require-dev': {},
        conflict: { 'x/y': '<1' },
        replace: { 'old/name': 'self.version' },
        autoload: { 'psr-4': { 'Gitea\\': 'src/' } },
        extra: { 'branch-alias': { 'dev-main': '1.x-dev' } },
        scripts: { test: 'phpunit' },
        config: { 'sort-packages': true },
      },
      '1.0.3',
    );
    expect(m).toEqual({
      name: 'gitea/composer-package',
      version: '1.0.3',
      metadata: {
        version_normalized: '1.0.3.0',
        type: 'composer-plugin',
        description: 'Package Description',
        license: ['MIT'],
        authors: [{ name: 'Gitea Authors', email: 'no.reply@gitea.io' }],
        homepage: 'https://gitea.io/',
        keywords: ['a', 'b'],
        bin: ['./bin/script'],
        require: { php: '>=7.2 || ^8.0' },
        'require-dev': {},
        conflict: { 'x/y': '<1' },
        replace: { 'old/name': 'self.version' },
        autoload: { 'psr-4': { 'Gitea\\': 'src/' } },
        extra: { 'branch-alias': { 'dev-main': '1.x-dev' } },
      },
    });
  });

  it('takes the version from ?version= or composer.json; both must be the same version to Composer', () => {
    expect(manifest({ name: 'a/b', version: 'v2.0.0' }).version).toBe('v2.0.0');
    expect(manifest({ name: 'a/b', version: '2.0' }, '2.0.0').version).toBe('2.0.0');
    expect(manifest({ name: 'a/b' }, 'dev-main').metadata.version_normalized).toBe('dev-main');
    expect(() => manifest({ name: 'a/b', version: '1.0' }, '2.0')).toThrow(
      /\?version=2.0 disagrees with composer.json's version 1.0/,
    );
    expect(() => manifest({ name: 'a/b' })).toThrow(/package version is missing/);
    expect(() => manifest({ name: 'a/b' }, 'dev-feature/x')).toThrow(/invalid package version/);
    expect(() => manifest({ name: 'a/b' }, '1.0.0-gamma')).toThrow(/package version is invalid/);
  });

  it('defaults type to library, drops a homepage that is no http(s) URL and empty PHP arrays', () => {
    const m = manifest({ name: 'a/b', homepage: 'javascript:alert(1)', extra: [] }, '1.0');
    expect(m.metadata).toEqual({ version_normalized: '1.0.0.0', type: 'library' });
  });

  it.each([
    ['{}', /composer.json has no name/],
    ['[]', /must be a JSON object/],
    ['{"name": "Gitea/Package"}', /invalid vendor name/],
    ['{"name": "gitea"}', /is not vendor\/project/],
    ['{"name": "a/b/c"}', /is not vendor\/project/],
    ['{"name": "a/b--c---d"}', /invalid project name/],
    ['{"name": "a/b", "require": {"php": 7}}', /require.php must be a string/],
    ['{"name": "a/b", "authors": ["me"]}', /authors\[0\] must be an object/],
    ['{"name": "a/b", "autoload": "src/"}', /autoload must be an object/],
    ['{"name": "a/b", "type": "a b"}', /type "a b" may hold/],
    ['{"name": ', /composer.json is not valid JSON/],
    [`{"name": "a/b", "extra": ${'['.repeat(100)}${']'.repeat(100)}}`, /nested deeper than 64/],
  ])('refuses %s', (json, reason) => {
    expect(() => parseComposerJson(Buffer.from(json), '1.0')).toThrow(reason);
  });

  it('names the stored archive as Forgejo does, with its real extension', () => {
    expect(archiveFileName('gitea/composer-package', '1.0.3', 'zip')).toBe(
      'gitea-composer-package.1.0.3.zip',
    );
    expect(archiveFileName('a/b', 'V1.0-RC1', 'tar.gz')).toBe('a-b.v1.0-rc1.tar.gz');
  });
});

describe('package names', () => {
  it.each(['gitea/composer-package', 'a/b', 'a1.b_c-d/e--f', 'symfony/polyfill-php80', 'x/y.z_w'])(
    'accepts %p',
    (name) => {
      expect(checkPackageName(name)).toBe(name);
    },
  );
  it.each([
    ['Acme/lib', /invalid vendor name/],
    ['-acme/lib', /invalid vendor name/],
    ['ac--me/lib', /invalid vendor name/],
    ['acme/lib-', /invalid project name/],
    ['acme/lib---x', /invalid project name/],
    ['acme/', /invalid project name/],
    ['acme', /not vendor\/project/],
  ])('refuses %p', (name, reason) => {
    expect(() => checkPackageName(name)).toThrow(reason);
  });
  it.each(HOSTILE_NAMES.map((h) => [h.label, h]))('refuses the hostile name %s', (_l, hostile) => {
    expect(() => checkName(hostile.value, FILE_NAME)).toThrow(/invalid file name/);
    if (hostile.fileNameOnly) return;
    expect(() => checkPackageName(`acme/${hostile.value}`)).toThrow();
    expect(() => checkPackageName(`${hostile.value}/lib`)).toThrow();
    expect(() => manifest({ name: 'a/b' }, hostile.value)).toThrow(/version/);
  });
});
