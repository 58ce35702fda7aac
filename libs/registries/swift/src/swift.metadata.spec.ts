import { checkName } from '@wharf/packages-core';
import { HOSTILE_NAMES } from '../../../packages-core/src/testing/hostile-names';
import {
  checkAccept,
  latestVersion,
  manifestKey,
  parsePublishMetadata,
  SWIFT_NAME,
  SWIFT_SCOPE,
  SWIFT_VERSION,
  toolsVersion,
  UnsupportedApiVersionError,
} from './swift.metadata';

// Forgejo's TestPackageSwift names and SE-0292 §3.6 (docs/protocols/swift.md §2).
describe('swift metadata', () => {
  it.each(['test-scope', 'a', 'A1-b2'])('accepts scope %p', (v) =>
    expect(checkName(v, SWIFT_SCOPE)).toBe(v),
  );
  it.each(['sc_ope', '-a', 'a-', 'a--b', 'x'.repeat(40)])('refuses scope %p', (v) =>
    expect(() => checkName(v, SWIFT_SCOPE)).toThrow(/scope/),
  );
  it.each(['test_package', 'a-b_c', 'Lib'])('accepts name %p', (v) =>
    expect(checkName(v, SWIFT_NAME)).toBe(v),
  );
  it.each(['pack~age', '_a', 'a__b', 'a.b'])('refuses name %p', (v) =>
    expect(() => checkName(v, SWIFT_NAME)).toThrow(/name/),
  );
  it.each(['1.0.3', '2.0.0-beta.1', '1.0.0+build.5'])('accepts version %p', (v) =>
    expect(checkName(v, SWIFT_VERSION)).toBe(v),
  );
  it.each(['1_0.0', '1.0', 'v1.0.0', '01.0.0'])('refuses version %p', (v) =>
    expect(() => checkName(v, SWIFT_VERSION)).toThrow(/version/),
  );
  it.each(HOSTILE_NAMES.map((h) => [h.label, h.value, !!h.fileNameOnly] as const))(
    'refuses the hostile name "%s" in every coordinate (file-name-only ones in the name)',
    (_label, value, fileNameOnly) => {
      const grammars = fileNameOnly ? [SWIFT_NAME] : [SWIFT_SCOPE, SWIFT_NAME, SWIFT_VERSION];
      for (const g of grammars) expect(() => checkName(value, g)).toThrow();
    },
  );

  it('keys manifests by their trimmed swift version', () => {
    expect(manifestKey('Package.swift')).toBe('');
    expect(manifestKey('Package@swift-5.6.swift')).toBe('5.6');
    expect(manifestKey('Package@swift-5.6.0.swift')).toBe('5.6');
    expect(manifestKey('Package@swift-5.swift')).toBe('5.0');
    expect(manifestKey('Package@swift-5.9.1.swift')).toBe('5.9.1');
    expect(manifestKey('Package.swift.bak')).toBeUndefined();
    expect(toolsVersion('// swift-tools-version:5.7.0\nimport')).toBe('5.7');
    expect(toolsVersion('import PackageDescription')).toBeUndefined();
  });

  it('checks Accept as SE-0292 §3.5 says', () => {
    for (const ok of [
      undefined,
      '*/*',
      'application/vnd.swift.registry.v1+json',
      'application/vnd.swift.registry+zip',
      'text/html, application/vnd.swift.registry.v1+swift;q=0.9',
    ])
      expect(() => checkAccept(ok)).not.toThrow();
    expect(() => checkAccept('application/vnd.swift.registry.v2+json')).toThrow(
      UnsupportedApiVersionError,
    );
    expect(() => checkAccept('application/unknown')).toThrow(/Accept/);
  });

  it('keeps what SwiftPM and Forgejo read of the metadata, drops the rest', () => {
    const m = parsePublishMetadata(
      Buffer.from(
        JSON.stringify({
          description: 'd',
          codeRepository: 'javascript:alert(1)',
          author: { givenName: 'A', familyName: 'B' },
          repositoryURLs: ['https://x/y.git', 5],
        }),
      ),
    );
    expect(m).toEqual({
      description: 'd',
      author: { givenName: 'A', familyName: 'B', name: 'A B' },
      repositoryURLs: ['https://x/y.git'],
    });
    expect(() => parsePublishMetadata(Buffer.from('[1]'))).toThrow(/object/);
    expect(() => parsePublishMetadata(Buffer.from('{x'))).toThrow(/JSON/);
  });

  it('takes the highest release as the latest, a pre-release only when alone', () => {
    expect(latestVersion(['1.0.3', '1.0.10', '2.0.0-beta.1'])).toBe('1.0.10');
    expect(latestVersion(['2.0.0-beta.1', '2.0.0-alpha'])).toBe('2.0.0-beta.1');
  });
});
