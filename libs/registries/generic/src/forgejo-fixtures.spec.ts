import { assertGenericFilename, assertGenericName, assertGenericVersion } from './generic.metadata';

/*
 * Issue 11: the grammars refuse attacks, not real packages. What Forgejo's generic
 * integration test publishes (tests/integration/api_packages_generic_test.go) must pass,
 * and what it expects refused must be refused.
 */
const FORGEJO = {
  name: 'te-st_pac.kage',
  version: '1.0.3-te st',
  fileNames: ['fi-le_na.me', 'dummy.bin'],
  refused: { name: 'invalid package name', version: ' test ', fileName: 'inva|id.name' },
};

describe("Forgejo's generic fixtures", () => {
  it('accepts the package name, version and file names', () => {
    expect(() => assertGenericName(FORGEJO.name)).not.toThrow();
    expect(() => assertGenericVersion(FORGEJO.version)).not.toThrow();
    for (const file of FORGEJO.fileNames) expect(() => assertGenericFilename(file)).not.toThrow();
  });

  it('refuses what Forgejo refuses', () => {
    expect(() => assertGenericName(FORGEJO.refused.name)).toThrow(/invalid package name/);
    expect(() => assertGenericVersion(FORGEJO.refused.version)).toThrow(/invalid package version/);
    expect(() => assertGenericFilename(FORGEJO.refused.fileName)).toThrow(/invalid file name/);
  });
});
