import { checkName } from '@wharf/packages-core';
import { HOSTILE_NAMES } from '../../../packages-core/src/testing/hostile-names';
import {
  BOX_NAME,
  BOX_PROVIDER,
  BOX_VERSION,
  checkMetadataJson,
  compareBoxVersions,
  parseInfoJson,
  sameBoxVersion,
} from './vagrant.metadata';

const json = (v: unknown) => Buffer.from(JSON.stringify(v));

describe('vagrant grammars', () => {
  it.each(['test_package', 'ubuntu-22.04', 'Debian12', 'a'])('accepts box name %p', (n) => {
    expect(checkName(n, BOX_NAME)).toBe(n);
  });
  it.each(['-x', '.x', 'a b', 'a/b', 'con', 'x.'])('refuses box name %p', (n) => {
    expect(() => checkName(n, BOX_NAME)).toThrow(/invalid box name/);
  });
  // Each parses with Gem::Version (Vagrant) and go-version's semver (Forgejo).
  it.each(['1', '1.0', '1.0.1', '2024.1.15', '1.0.0-rc.1', '1.0.0-beta-2'])(
    'accepts version %p',
    (v) => expect(checkName(v, BOX_VERSION)).toBe(v),
  );
  // Gem::Version refuses `v`, `+build` and empty parts: one such version breaks the whole catalog for Vagrant.
  it.each(['v1.0', '1.0.0+b1', '1..0', '1.0.', '-1', 'latest', '1.0.0-'])(
    'refuses version %p',
    (v) => expect(() => checkName(v, BOX_VERSION)).toThrow(/invalid box version/),
  );
  it.each(['virtualbox', 'libvirt', 'vmware_desktop', 'hyperv', 'docker'])(
    'accepts provider %p',
    (p) => expect(checkName(p, BOX_PROVIDER)).toBe(p),
  );
  it.each(['VirtualBox', 'virtual box', '_x', 'a.b'])('refuses provider %p', (p) => {
    expect(() => checkName(p, BOX_PROVIDER)).toThrow(/invalid box provider/);
  });
  it.each(HOSTILE_NAMES.map((h) => [h.label, h.value]))(
    'refuses the hostile name "%s" in every coordinate',
    (_label, value) => {
      for (const grammar of [BOX_NAME, BOX_VERSION, BOX_PROVIDER])
        expect(() => checkName(value, grammar)).toThrow();
    },
  );
});

describe('parseInfoJson', () => {
  it('keeps the known keys, whatever their case, as Forgejo reads them', () => {
    expect(
      parseInfoJson(
        json({
          Short_Description: 'A box',
          Authors: 'Ann',
          website: 'https://example.com/box',
          Source: 'https://example.com/src.git',
          other: 'kept in the box only',
        }),
      ),
    ).toEqual({
      description: 'A box',
      author: 'Ann',
      projectUrl: 'https://example.com/box',
      repositoryUrl: 'https://example.com/src.git',
    });
  });
  it('drops URLs that are not http(s) and values that are not strings', () => {
    expect(
      parseInfoJson(json({ homepage: 'javascript:alert(1)', url: 'not a url', description: 3 })),
    ).toEqual({});
  });
  it.each([
    ['not JSON', Buffer.from('{nope')],
    ['an array', json(['x'])],
    ['a string', json('x')],
  ])('refuses info.json that is %s', (_what, bytes) => {
    expect(() => parseInfoJson(bytes)).toThrow(/info\.json in the box/);
  });
});

describe('checkMetadataJson', () => {
  it('accepts the same provider, or none named', () => {
    expect(() => checkMetadataJson(json({ provider: 'libvirt' }), 'libvirt')).not.toThrow();
    expect(() => checkMetadataJson(json({ format: 'qcow2' }), 'libvirt')).not.toThrow();
  });
  it('refuses another provider, or one that is no string', () => {
    expect(() => checkMetadataJson(json({ provider: 'virtualbox' }), 'libvirt')).toThrow(
      /says the box is for provider "virtualbox", but it is uploaded as libvirt\.box/,
    );
    expect(() => checkMetadataJson(json({ provider: ['x'] }), 'libvirt')).toThrow(/string/);
  });
});

describe('box versions in Vagrant order', () => {
  it('sorts as Gem::Version: numbers by value, a pre-release before its release', () => {
    const versions = ['1.10.0', '1.2.0', '1.10.0-rc.1', '1.9', '2', '1.10.0-beta', '0.1'];
    expect([...versions].sort(compareBoxVersions)).toEqual([
      '0.1',
      '1.2.0',
      '1.9',
      '1.10.0-beta',
      '1.10.0-rc.1',
      '1.10.0',
      '2',
    ]);
  });
  it('reads trailing zeros as the same version', () => {
    expect(sameBoxVersion('1.2', '1.2.0')).toBe(true);
    expect(sameBoxVersion('1', '1.0.0.0')).toBe(true);
    expect(sameBoxVersion('1.2', '1.2.1')).toBe(false);
    expect(sameBoxVersion('1.0.0-rc.1', '1.0.0')).toBe(false);
  });
});
