import {
  compareNuGetVersions,
  normalizeNuGetVersion,
  parseNuGetVersion,
  sortNuGetVersions,
} from './nuget-version';

// NuGet's normalisation table (learn.microsoft.com/nuget/concepts/package-versioning).
describe('NuGet versions', () => {
  it.each([
    ['1.0', '1.0.0'],
    ['1', '1.0.0'],
    ['1.00', '1.0.0'],
    ['1.0.0.0', '1.0.0'],
    ['1.0.01.1', '1.0.1.1'],
    ['01.02.003.0-Beta1', '1.2.3-Beta1'],
    ['1.0.0-rc.1+r12345', '1.0.0-rc.1'],
    ['1.04.5.2-rc.1+metadata', '1.4.5.2-rc.1'],
    ['2.0.0+build.7', '2.0.0'],
  ])('normalises %p to %p', (given, expected) => {
    expect(normalizeNuGetVersion(given)).toBe(expected);
  });

  it.each([
    '',
    'v1.0',
    '1.0.0.0.1',
    '1..0',
    '1.0-',
    '1.0+',
    '1.0.0-a..b',
    '1.0 beta',
    '99999999999',
  ])('refuses %p as NuGet does', (version) => {
    expect(() => normalizeNuGetVersion(version)).toThrow(/invalid version/);
  });

  it('orders releases after their pre-releases and labels as SemVer 2', () => {
    const sorted = sortNuGetVersions(
      ['1.0.0', '1.0.0-beta.10', '1.0.0-beta.2', '1.0.0-Alpha', '0.9.0', '1.0.0.1', '1.0.0-beta'],
      (v) => v,
    );
    expect(sorted).toEqual([
      '0.9.0',
      '1.0.0-Alpha',
      '1.0.0-beta',
      '1.0.0-beta.2',
      '1.0.0-beta.10',
      '1.0.0',
      '1.0.0.1',
    ]);
    expect(
      compareNuGetVersions(parseNuGetVersion('1.0.0-RC')!, parseNuGetVersion('1.0.0-rc')!),
    ).toBe(0);
  });
});
