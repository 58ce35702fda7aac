import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { checkName } from '@wharf/packages-core';
import { HOSTILE_NAMES } from '../../../packages-core/src/testing/hostile-names';
import { readTarDescription } from './cran-archive';
import {
  checkPlatform,
  compareRVersions,
  FILE_NAME,
  PACKAGE_NAME,
  PACKAGE_VERSION,
  packageFileName,
  parseDcf,
  parseDescription,
  parsePackageFileName,
  R_VERSION,
} from './cran.metadata';

const fixture = (name: string) => readFileSync(path.join(__dirname, 'fixtures', name));

describe('the DESCRIPTION of packages built by R (fixtures/build-fixtures.sh)', () => {
  it.each(['wharf.hello_1.0-2.tar.gz', 'wharf.hello_1.0-2.tgz'])('reads %s', async (file) => {
    const { directory, bytes } = await readTarDescription(Readable.from([fixture(file)]));
    expect(directory).toBe('wharf.hello');
    expect(parseDescription(bytes)).toEqual({
      package: 'wharf.hello',
      version: '1.0-2',
      title: 'Says Hello from Wharf',
      description: "A tiny package for Wharf's tests: it says hello, nothing more.",
      license: 'MIT + file LICENSE',
      author: 'Wharf Tests [aut, cre]',
      maintainer: 'Wharf Tests <tests@example.com>',
      url: 'https://example.com/hello, https://example.com/src',
      depends: 'R (>= 3.5.0)',
      imports: 'utils, stats',
      suggests: 'testthat (>= 3.0.0)',
      needsCompilation: false,
    });
  });
});

describe('DCF as read.dcf reads a DESCRIPTION', () => {
  it('folds continuation lines into one line, CR LF included, "." lines dropped', () => {
    const dcf = parseDcf(
      'Package: a.b\r\nImports: abc,\r\n    123\nDescription: One.\n  .\n  Two.\n\n',
    );
    expect(Object.fromEntries(dcf)).toEqual({
      Package: 'a.b',
      Imports: 'abc, 123',
      Description: 'One. Two.',
    });
  });
  it.each([
    ['a line that is no field', 'Package: a\nnot a field\n', /line 2 is not "Field: value"/],
    ['a continuation first', '  Package: a\n', /continuation line before any field/],
    ['a second record', 'Package: a\n\nPackage: b\n', /more than one record/],
    ['a field twice', 'Package: a\nPackage: b\n', /field Package appears twice/],
    ['a control character', 'Package: a\x1b[2J\n', /control character/],
  ])('refuses %s', (_label, text, message) => {
    expect(() => parseDcf(text)).toThrow(message);
  });
  it('needs Package and Version', () => {
    expect(() => parseDescription(Buffer.from('Version: 1.0\n'))).toThrow(/no Package field/);
    expect(() => parseDescription(Buffer.from('Package: ab\n'))).toThrow(/no Version field/);
  });
  it('reads a latin1 DESCRIPTION as latin1 when it says so', () => {
    const bytes = Buffer.from(
      'Package: ab\nVersion: 1.0\nAuthor: J\xf6rg\nEncoding: latin1\n',
      'latin1',
    );
    expect(parseDescription(bytes).author).toBe('Jörg');
  });
  it('keeps NeedsCompilation as a flag', () => {
    const meta = parseDescription(
      Buffer.from('Package: ab\nVersion: 1.0\nNeedsCompilation: yes\n'),
    );
    expect(meta.needsCompilation).toBe(true);
  });
});

describe("R's names", () => {
  it.each(['ab', 'data.table', 'R6', 'test.package', 'A3'])('accepts package %p', (name) => {
    expect(checkName(name, PACKAGE_NAME)).toBe(name);
  });
  it.each(['a', '1ab', '.ab', 'ab.', 'a_b', 'a-b', 'ab c', 'ab/c', 'é.pkg'])(
    'refuses package %p',
    (name) => {
      expect(() => checkName(name, PACKAGE_NAME)).toThrow(/invalid R package name/);
    },
  );
  it.each(['1.0', '0.1-2', '2.3.0.9000', '1.0.3', '10-1'])('accepts version %p', (v) => {
    expect(checkName(v, PACKAGE_VERSION)).toBe(v);
  });
  it.each(['1', '1.0a', 'v1.0', '1..0', '1.0-', '-1.0', '1.0 '])('refuses version %p', (v) => {
    expect(() => checkName(v, PACKAGE_VERSION)).toThrow(/invalid R package version/);
  });
  it('takes platforms of one or two lower-case segments and R versions as major.minor', () => {
    expect(checkPlatform('windows')).toBe('windows');
    expect(checkPlatform('macosx/big-sur-arm64')).toBe('macosx/big-sur-arm64');
    expect(() => checkPlatform('a/b/c')).toThrow(/at most two segments/);
    expect(() => checkPlatform('Windows')).toThrow(/invalid binary platform/);
    expect(() => checkPlatform('macosx/')).toThrow(/invalid binary platform/);
    expect(checkName('4.2', R_VERSION)).toBe('4.2');
    expect(() => checkName('4.2.1', R_VERSION)).toThrow(/major\.minor/);
  });
  it.each(HOSTILE_NAMES.map((h) => [h.label, h]))('refuses %s', (_l, { value }) => {
    expect(() => checkName(value, FILE_NAME)).toThrow(/invalid file name/);
    expect(() => checkName(value, PACKAGE_NAME)).toThrow(/invalid R package name/);
    expect(() => checkName(value, PACKAGE_VERSION)).toThrow(/invalid R package version/);
    expect(() => checkPlatform(value)).toThrow(/binary platform/);
  });
});

describe('file names and version order', () => {
  it('names files as R asks for them and reads them back', () => {
    expect(packageFileName('a.b', '1.0-2', 'source')).toBe('a.b_1.0-2.tar.gz');
    expect(packageFileName('a.b', '1.0-2', 'zip')).toBe('a.b_1.0-2.zip');
    expect(packageFileName('a.b', '1.0-2', 'tar')).toBe('a.b_1.0-2.tgz');
    expect(parsePackageFileName('a.b_1.0-2.tar.gz')).toEqual({
      name: 'a.b',
      version: '1.0-2',
      ext: 'tar.gz',
    });
    expect(parsePackageFileName('PACKAGES.rds')).toBeUndefined();
    expect(parsePackageFileName('a.b_1.0.tar.bz2')).toBeUndefined();
    expect(parsePackageFileName('a_b_1.0.zip')).toBeUndefined();
  });
  it('orders versions as package_version does', () => {
    const sorted = ['1.10', '1.9', '1.0-2', '0.9.9', '1.0', '1.0.2.1'].sort(compareRVersions);
    expect(sorted).toEqual(['0.9.9', '1.0', '1.0-2', '1.0.2.1', '1.9', '1.10']);
    expect(compareRVersions('1.0-2', '1.0.2')).toBe(0);
  });
});
