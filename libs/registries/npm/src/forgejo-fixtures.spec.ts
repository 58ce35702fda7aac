import { HOSTILE_NAMES } from '../../../packages-core/src/testing/hostile-names';
import {
  assertAttachmentName,
  assertDistTag,
  assertNpmName,
  assertVersionOrTag,
  canonicalVersion,
  tarballFileName,
  tarballVersion,
} from './npm.metadata';

/*
 * Issue 11: the grammars refuse attacks, not real packages. The names, versions, tags and
 * file names Forgejo's npm integration test publishes (tests/integration/api_packages_npm_test.go)
 * must all pass; every hostile name must fail in every position.
 */
const FORGEJO = {
  name: '@scope/test-package',
  versions: ['1.0.1-pre', '1.0.1-pre-dummy'],
  tags: ['latest', 'release', 'dummy'],
  // The attachment key libnpmpublish writes, and the file the registry serves.
  attachment: '@scope/test-package-1.0.1-pre.tgz',
  filename: 'test-package-1.0.1-pre.tgz',
  // Tags the test expects refused: they read as versions.
  refusedTags: ['1.0', 'v1.0'],
};

describe("Forgejo's npm fixtures", () => {
  it('accepts the package name', () => {
    expect(() => assertNpmName(FORGEJO.name)).not.toThrow();
  });

  it.each(FORGEJO.versions)('accepts version %s', (version) => {
    expect(canonicalVersion(version)).toBe(version);
    expect(() => assertVersionOrTag(version)).not.toThrow();
  });

  it.each(FORGEJO.tags)('accepts dist-tag %s', (tag) => {
    expect(() => assertDistTag(tag)).not.toThrow();
    expect(() => assertVersionOrTag(tag)).not.toThrow();
  });

  it.each(FORGEJO.refusedTags)('refuses dist-tag %s, as Forgejo does', (tag) => {
    expect(() => assertDistTag(tag)).toThrow(/dist-tag/);
  });

  it('accepts the attachment key and the served file name', () => {
    expect(() => assertAttachmentName(FORGEJO.attachment, FORGEJO.name, '1.0.1-pre')).not.toThrow();
    expect(() => assertAttachmentName(FORGEJO.filename, FORGEJO.name, '1.0.1-pre')).not.toThrow();
    expect(tarballFileName(FORGEJO.name, '1.0.1-pre')).toBe(FORGEJO.filename);
    expect(tarballVersion(FORGEJO.name, FORGEJO.filename, '1.0.1-pre')).toBe('1.0.1-pre');
    expect(tarballVersion(FORGEJO.name, FORGEJO.filename)).toBe('1.0.1-pre');
  });
});

describe('npm tarball names npm would not derive', () => {
  it.each([
    ['another package', 'other-1.0.1-pre.tgz', undefined],
    ['another version', 'test-package-1.0.2.tgz', '1.0.1-pre'],
    ['not a version', 'test-package-latest.tgz', undefined],
    ['not a .tgz', 'test-package-1.0.1-pre.tar.gz', undefined],
  ])('refuses %s', (_what, filename, version) => {
    expect(() => tarballVersion(FORGEJO.name, filename, version)).toThrow(
      /invalid tarball file name/,
    );
  });

  it('refuses an attachment of another version', () => {
    expect(() =>
      assertAttachmentName('@scope/test-package-2.0.0.tgz', FORGEJO.name, '1.0.1-pre'),
    ).toThrow(/invalid attachment/);
  });
});

describe('npm grammars against the hostile corpus', () => {
  const names = (fileNameOnly?: boolean) =>
    HOSTILE_NAMES.filter((h) => !!h.fileNameOnly === !!fileNameOnly);

  it.each(names().map((h) => [h.label, h.value]))('refuses %s in every position', (_l, value) => {
    expect(() => assertNpmName(value)).toThrow(/^invalid package name/);
    expect(() => assertNpmName(`@scope/${value}`)).toThrow(/^invalid package name/);
    expect(() => canonicalVersion(value)).toThrow(/^invalid package version/);
    expect(() => assertVersionOrTag(value)).toThrow(/^invalid (version|dist-tag)/);
    expect(() => assertDistTag(value)).toThrow(/^invalid dist-tag/);
    expect(() => tarballVersion('test-package', value)).toThrow(/^invalid tarball file name/);
    expect(() => tarballVersion('test-package', 'test-package-1.0.0.tgz', value)).toThrow(
      /^invalid (version|tarball file name)/,
    );
  });

  it.each(names(true).map((h) => [h.label, h.value]))('refuses %s as a file name', (_l, value) => {
    expect(() => tarballVersion('test-package', value)).toThrow(/^invalid tarball file name/);
  });
});
