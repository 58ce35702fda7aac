import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { HOSTILE_NAMES } from '../../../packages-core/src/testing/hostile-names';
import {
  checkConanArchive,
  checkFileName,
  checkManifest,
  checkRevision,
  PACKAGE_ID,
  packageKey,
  parseConanfile,
  parseConaninfo,
  parseKey,
  recipeKey,
  recipeRef,
} from './conan.metadata';

describe('Conan references', () => {
  // Conan 2's validate_ref accepts these (upper case as Conan 1 and Forgejo do).
  it.each([
    ['zlib', '1.3.1', '_', '_'],
    ['ConanPackage', '1.2', 'dummy', 'test'],
    ['boost_1', '1.84.0+cci.1', 'my-team', 'stable'],
    ['_under', 'cci.20240101', 'a1', 'b2'],
  ])('accepts %s/%s@%s/%s', (name, version, user, channel) => {
    expect(recipeRef(name, version, user, channel)).toEqual({
      name,
      version,
      user: user === '_' ? '' : user,
      channel: channel === '_' ? '' : channel,
    });
  });

  it.each([
    ['z', '1.0', '_', '_', /invalid recipe name/],
    ['zlib', '1', '_', '_', /invalid recipe version/],
    ['-zlib', '1.0', '_', '_', /invalid recipe name/],
    ['zlib', '1.0 beta', '_', '_', /invalid recipe version/],
    ['zlib', '[>1.0]', '_', '_', /invalid recipe version/],
    ['zlib', '1.0', 'user', '_', /both user and channel/],
    ['zlib', '1.0', '_', 'stable', /both user and channel/],
    ['zlib', '1.0', 'u@x', 'stable', /invalid recipe user/],
    ['zlib', '1.0', 'user', 'c'.repeat(52), /invalid recipe channel/],
    ['x'.repeat(102), '1.0', '_', '_', /invalid recipe name/],
  ])('refuses %s/%s@%s/%s', (name, version, user, channel, message) => {
    expect(() => recipeRef(name, version, user, channel)).toThrow(message);
  });

  it.each(HOSTILE_NAMES.map((h) => [h.label, h.value]))(
    'refuses the hostile %s in every coordinate',
    (_l, value) => {
      expect(() => recipeRef(value, '1.0', '_', '_')).toThrow(/invalid recipe name/);
      expect(() => recipeRef('zlib', value, '_', '_')).toThrow(/invalid recipe version/);
      expect(() => recipeRef('zlib', '1.0', value, 'stable')).toThrow(/invalid recipe user/);
      expect(() => checkRevision(value)).toThrow(/invalid recipe revision/);
      expect(() => checkRevision(value, PACKAGE_ID)).toThrow(/invalid package id/);
      expect(() => checkFileName(value, 'recipe')).toThrow(/a recipe holds only/);
    },
  );

  it('takes the revisions Conan makes (md5, git sha1) and refuses longer ones', () => {
    expect(checkRevision('0')).toBe('0');
    expect(checkRevision('d41d8cd98f00b204e9800998ecf8427e')).toHaveLength(32);
    expect(checkRevision('a'.repeat(40), PACKAGE_ID)).toHaveLength(40);
    expect(() => checkRevision('a'.repeat(41))).toThrow(/longer than 40 characters/);
  });

  it('stores files under composite keys that fit the column and read back', () => {
    const recipe = {
      name: 'n',
      version: 'v',
      user: 'u'.repeat(51),
      channel: 'c'.repeat(51),
      revision: 'r'.repeat(40),
    };
    const key = packageKey({ recipe, packageId: 'p'.repeat(40), revision: 'q'.repeat(40) });
    expect(key.length).toBeLessThanOrEqual(255);
    expect(parseKey(key)).toEqual({
      user: recipe.user,
      channel: recipe.channel,
      revision: recipe.revision,
      packageId: 'p'.repeat(40),
      packageRevision: 'q'.repeat(40),
    });
    expect(parseKey(recipeKey({ ...recipe, user: '', channel: '' }))).toEqual({
      user: '',
      channel: '',
      revision: recipe.revision,
    });
  });

  it('knows which files a recipe and a package hold', () => {
    expect(checkFileName('conan_sources.tgz', 'recipe')).toBe('conan_sources.tgz');
    expect(checkFileName('conaninfo.txt', 'package')).toBe('conaninfo.txt');
    expect(() => checkFileName('conaninfo.txt', 'recipe')).toThrow(/a recipe holds only/);
    expect(() => checkFileName('conanfile.py', 'package')).toThrow(/a package holds only/);
  });
});

describe('Conan files', () => {
  it("reads conanfile.py's fields as Forgejo does", () => {
    const text = [
      'class ConanPackageConan(ConanFile):',
      '    name = "ConanPackage"',
      '    license = "MIT"',
      '    author = "Gitea <info@gitea.io>"',
      "    homepage = 'https://gitea.io/'",
      '    url = "https://gitea.com/"',
      '    description = "Description of ConanPackage"',
      '    topics = ("gitea", "conan")',
    ].join('\n');
    expect(parseConanfile(text)).toEqual({
      license: 'MIT',
      author: 'Gitea <info@gitea.io>',
      projectUrl: 'https://gitea.io/',
      repositoryUrl: 'https://gitea.com/',
      description: 'Description of ConanPackage',
      keywords: ['gitea', 'conan'],
    });
    expect(parseConanfile('from conan import ConanFile\n')).toEqual({});
  });

  it('parses a conaninfo.txt as Conan 2 writes it, keeping the text', () => {
    const text = [
      '[settings]',
      'arch=x86_64',
      'build_type=Release',
      'os=Linux',
      '',
      '[options]',
      'shared=False',
      '',
      '[requires]',
      'zlib/1.3.Z',
      '',
      '[conf]',
      'tools.info.package_id:confs=[]',
      '',
    ].join('\n');
    expect(parseConaninfo(text)).toEqual({
      settings: { arch: 'x86_64', build_type: 'Release', os: 'Linux' },
      full_settings: {},
      options: { shared: 'False' },
      full_options: {},
      requires: ['zlib/1.3.Z'],
      full_requires: [],
      conf: { 'tools.info.package_id:confs': '[]' },
      recipe_hash: '',
      environment: {},
      content: text,
    });
    // A header-only package's conaninfo.txt may be empty.
    expect(parseConaninfo('').settings).toEqual({});
  });

  it("parses Conan 1's recipe_hash and [env] lists", () => {
    const info = parseConaninfo('[recipe_hash]\n  abc123\n[env]\n  PATH=[/a,/b]\n  CC=gcc\n');
    expect(info.recipe_hash).toBe('abc123');
    expect(info.environment).toEqual({ PATH: ['/a', '/b'], CC: 'gcc' });
  });

  it('refuses conaninfo.txt with text before its first section', () => {
    expect(() => parseConaninfo('os=Linux\n[settings]\n')).toThrow(/before the first \[section\]/);
  });

  it('checks conanmanifest.txt lines and paths', () => {
    expect(() =>
      checkManifest('1700000000\nconanfile.py: d41d8cd98f00b204e9800998ecf8427e\n'),
    ).not.toThrow();
    expect(() => checkManifest('conanfile.py: d41d8cd98f00b204e9800998ecf8427e\n')).toThrow(
      /timestamp/,
    );
    for (const bad of ['../x', '/etc/passwd', 'a\\b', 'C:/x', 'a//b'])
      expect(() => checkManifest(`1\n${bad}: d41d8cd98f00b204e9800998ecf8427e\n`)).toThrow(
        /not a path inside/,
      );
    expect(() => checkManifest('1\nconanfile.py: nothex\n')).toThrow(/is not "path: md5"/);
  });
});

describe('Conan archives made by tar', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(path.join(tmpdir(), 'conan-tgz-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  /** `tar -czf` of the folder's entries, as Conan's compress_files would pack them. */
  const tgz = (entries: string[], options: string[] = []) => {
    const out = path.join(dir, 'out.tgz');
    execFileSync('tar', ['-czf', out, ...options, '-C', path.join(dir, 'pkg'), ...entries]);
    return readFileSync(out);
  };
  const check = (bytes: Buffer) =>
    checkConanArchive(Readable.from([bytes]), bytes.length, 'conan_package.tgz');

  it('accepts a package with a library and its symlink', async () => {
    mkdirSync(path.join(dir, 'pkg/lib'), { recursive: true });
    writeFileSync(path.join(dir, 'pkg/lib/libz.so.1'), 'binary');
    symlinkSync('libz.so.1', path.join(dir, 'pkg/lib/libz.so'));
    await expect(check(tgz(['lib']))).resolves.toBeUndefined();
  });

  it('refuses ../ entries and links that leave the package', async () => {
    mkdirSync(path.join(dir, 'pkg/lib'), { recursive: true });
    writeFileSync(path.join(dir, 'evil'), 'x');
    await expect(check(tgz(['../evil'], ['-P']))).rejects.toThrow(/\.\./);
    symlinkSync('../../../etc/passwd', path.join(dir, 'pkg/lib/escape'));
    await expect(check(tgz(['lib']))).rejects.toThrow(/conan_package\.tgz/);
  });

  it('refuses a gzip bomb past its budget with 413', async () => {
    mkdirSync(path.join(dir, 'pkg'));
    writeFileSync(path.join(dir, 'pkg/zeros'), Buffer.alloc(4 * 1024 * 1024));
    const bytes = tgz(['zeros']);
    await expect(
      checkConanArchive(Readable.from([bytes]), bytes.length, 'conan_package.tgz', {
        ratio: 64,
        floor: 1024 * 1024,
        maxEntries: 10,
      }),
    ).rejects.toMatchObject({ status: 413 });
  });
});
