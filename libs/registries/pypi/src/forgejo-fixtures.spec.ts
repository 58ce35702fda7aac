import { checkName } from '@wharf/packages-core';
import { HOSTILE_NAMES } from '../../../packages-core/src/testing/hostile-names';
import {
  assertDistributionFilename,
  canonicalVersion,
  projectDisplayName,
  PYPI_FILENAME,
  PYPI_PROJECT,
  PYPI_VERSION,
} from './pypi.metadata';

/*
 * Issue 11: the grammars refuse attacks, not real packages. The project name and versions
 * Forgejo's PyPI integration test publishes (tests/integration/api_packages_pypi_test.go)
 * must pass, and distributions named for them too.
 */
const FORGEJO = {
  name: 'test-package',
  versions: ['1.0.1', '1!1.0.1+r1234'],
  // Forgejo uploads bytes named `test.whl`, `test.tar.gz`, `test2.whl` for test-package:
  // no wheel or sdist of that project (pip could not install them). Issue 11 requires the
  // file name to be a distribution of the form's project and version, so Wharf refuses
  // them at upload — deliberately — while still serving such names already stored.
  fileNames: ['test.whl', 'test.tar.gz', 'test2.whl'],
};

describe("Forgejo's PyPI fixtures", () => {
  it('accepts the project name', () => {
    expect(projectDisplayName(FORGEJO.name)).toBe('test-package');
  });

  it.each(FORGEJO.versions)('accepts version %s, and its wheel and sdist names', (version) => {
    expect(canonicalVersion(version)).toBe(version);
    for (const file of [
      `test_package-${version}-py3-none-any.whl`,
      `test_package-${version}.tar.gz`,
      `test-package-${version}.tar.gz`,
      `test-package-${version}.zip`,
    ])
      expect(() => assertDistributionFilename(file, FORGEJO.name, version)).not.toThrow();
  });

  it.each(FORGEJO.fileNames)('refuses %s as an upload, but serves it by name', (file) => {
    expect(() => assertDistributionFilename(file, FORGEJO.name, '1!1.0.1+r1234')).toThrow(
      /invalid (wheel|sdist) file name/,
    );
    expect(() => checkName(file, PYPI_FILENAME)).not.toThrow();
  });
});

describe('distribution file names for another project or version', () => {
  it.each([
    ['other-1.0.1.tar.gz', /invalid sdist file name/],
    ['test_package-1.0.2.tar.gz', /invalid sdist file name/],
    ['test_package-1.0.1.tgz', /a distribution is a wheel/],
    ['test_package-1.0.1.egg', /a distribution is a wheel/],
    ['test_package-1.0.1-x-py3-none-any.whl', /build tag must start with a digit/],
  ])('refuses %s', (file, reason) => {
    expect(() => assertDistributionFilename(file, 'test-package', '1.0.1')).toThrow(reason);
  });
});

describe('PyPI grammars against the hostile corpus', () => {
  it.each(HOSTILE_NAMES.map((h) => [h.label, h]))('refuses %s', (_l, { value, fileNameOnly }) => {
    expect(() => assertDistributionFilename(value, 'test-package', '1.0.1')).toThrow(
      /^invalid file name/,
    );
    expect(() => checkName(value, PYPI_FILENAME)).toThrow(/^invalid file name/);
    if (fileNameOnly) return;
    expect(() => projectDisplayName(value)).toThrow(/^invalid project name/);
    expect(() => checkName(value, PYPI_PROJECT)).toThrow(/^invalid project name/);
    expect(() => canonicalVersion(value)).toThrow(/^invalid version/);
    expect(() => checkName(value, PYPI_VERSION)).toThrow(/^invalid version/);
  });

  it.each([
    '../../test_package-1.0.1.tar.gz',
    'C:\\test_package-1.0.1.tar.gz',
    '/etc/test_package-1.0.1.tar.gz',
    'test_package-1.0.1\uFF0Etar.gz',
    'test_package-1\u20240\u20241.tar.gz',
  ])('refuses %j, a valid name behind a path or with look-alike dots', (file) => {
    expect(() => assertDistributionFilename(file, 'test-package', '1.0.1')).toThrow(
      /^invalid file name/,
    );
  });
});
