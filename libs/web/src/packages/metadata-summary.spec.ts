import { isPreRelease } from '../views/format';
import { safeUrl, summarizeMetadata } from './metadata-summary';

describe('summarizeMetadata', () => {
  it('reads npm metadata from its manifest', () => {
    const summary = summarizeMetadata({
      manifest: {
        description: 'left pad',
        license: 'MIT',
        homepage: 'https://example.com/',
        readme: '# hi',
        dependencies: { a: '^1.0.0', b: '2' },
      },
      dist: {},
    });
    expect(summary).toEqual({
      description: 'left pad',
      license: 'MIT',
      homepage: 'https://example.com/',
      dependencies: ['a ^1.0.0', 'b 2'],
      readme: '# hi',
    });
  });

  it('reads PyPI, Maven, Helm and cargo shapes', () => {
    expect(summarizeMetadata({ summary: 'short', description: 'x'.repeat(600) }).readme).toBe(
      'x'.repeat(600),
    );
    expect(summarizeMetadata({ licenses: ['Apache-2.0', 'MIT'] }).license).toBe('Apache-2.0, MIT');
    expect(
      summarizeMetadata({ dependencies: [{ groupId: 'g', artifactId: 'a', version: '1' }] })
        .dependencies,
    ).toEqual(['g:a 1']);
    expect(
      summarizeMetadata({ dependencies: [{ name: 'redis', version: '~17' }] }).dependencies,
    ).toEqual(['redis ~17']);
    expect(
      summarizeMetadata({ deps: [{ name: 'serde', version_req: '^1' }] }).dependencies,
    ).toEqual(['serde ^1']);
  });

  it('gives an empty summary for no metadata or an unknown shape', () => {
    expect(summarizeMetadata(null)).toEqual({ dependencies: [] });
    expect(summarizeMetadata([1, 2])).toEqual({ dependencies: [] });
  });

  it('keeps only http(s) homepages', () => {
    expect(safeUrl('javascript:alert(1)')).toBeUndefined();
    expect(safeUrl('data:text/html,x')).toBeUndefined();
    expect(safeUrl('not a url')).toBeUndefined();
    expect(safeUrl('http://example.com/a b')).toBe('http://example.com/a%20b');
  });
});

describe('isPreRelease', () => {
  it.each([
    ['1.0.0-beta.1', true],
    ['2.0.0-rc.1', true],
    ['1.0a1', true],
    ['1.0.dev3', true],
    ['3.1-SNAPSHOT', true],
    ['1.0.0', false],
    ['2024.01.15', false],
    ['v1.2.3', false],
    ['latest', false],
  ])('%s → %s', (version, expected) => {
    expect(isPreRelease(version)).toBe(expected);
  });
});
