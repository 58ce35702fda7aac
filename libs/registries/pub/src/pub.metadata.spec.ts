import { Readable } from 'node:stream';
import { HOSTILE_NAMES } from '@wharf/packages-core/testing/hostile-names';
import { buildPubArchive, pubPackage } from '../../../../test/support/clients/pub';
import {
  checkPackageName,
  latestVersion,
  parsePubspec,
  readPubspec,
  comparePubVersions,
} from './pub.metadata';

describe('pub metadata', () => {
  it('reads pubspec.yaml at the root of an archive built as dart pub publish builds it', async () => {
    const spec = await readPubspec(Readable.from(pubPackage('my_pkg', '1.2.3-beta.1+build')));
    expect(spec.name).toBe('my_pkg');
    expect(spec.version).toBe('1.2.3-beta.1+build');
    expect(spec.pubspec.environment).toEqual({ sdk: '>=3.0.0 <4.0.0' });
  });

  it('refuses an archive without pubspec.yaml at its root', async () => {
    await expect(
      readPubspec(Readable.from(buildPubArchive({ 'x/pubspec.yaml': 'name: a\n' }))),
    ).rejects.toThrow(/Pubspec file is missing/);
  });

  it('refuses bad names, reserved words, non-SemVer versions, deep and aliased YAML', () => {
    expect(() => parsePubspec('name: Bad\nversion: 1.0.0\n')).toThrow(/package name/);
    expect(() => parsePubspec('name: while\nversion: 1.0.0\n')).toThrow(/reserved word/);
    expect(() => parsePubspec('name: ok\nversion: 1.0\n')).toThrow(/version/);
    expect(() => parsePubspec('name: ok\nversion: "01.0.0"\n')).toThrow(/package version/);
    expect(() => parsePubspec(`${'['.repeat(200)}`)).toThrow(/nested|YAML/);
    const laughs = ['a: &a [x, x]', ...Array.from({ length: 60 }, (_, i) => `b${i}: *a`)];
    expect(() => parsePubspec(`name: ok\nversion: 1.0.0\n${laughs.join('\n')}\n`)).toThrow(/YAML/);
  });

  it('keeps maps with non-string keys as JSON objects', () => {
    const { pubspec } = parsePubspec('name: ok\nversion: 1.0.0\nx:\n  1: true\n  ? [a]\n  : b\n');
    expect(pubspec.x).toEqual({ '1': true, '[ a ]': 'b' });
  });

  it.each(HOSTILE_NAMES.map((h) => [h.label, h.value]))('refuses hostile name %s', (_l, v) => {
    expect(() => checkPackageName(v)).toThrow();
  });

  it('orders by SemVer and picks the highest release as latest', () => {
    expect(['1.10.0', '1.2.0', '1.2.0-rc.1'].sort(comparePubVersions)).toEqual([
      '1.2.0-rc.1',
      '1.2.0',
      '1.10.0',
    ]);
    expect(latestVersion(['1.0.0', '2.0.0-dev.1', '1.5.0'])).toBe('1.5.0');
    expect(latestVersion(['2.0.0-dev.1', '2.0.0-dev.2'])).toBe('2.0.0-dev.2');
  });
});
