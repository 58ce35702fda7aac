import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { checkName, InvalidArtifactError } from '@wharf/packages-core';
import { HOSTILE_NAMES } from '@wharf/packages-core/testing/hostile-names';
import {
  ARCHITECTURE,
  checkComponent,
  DISTRIBUTION,
  FILE_NAME,
  PACKAGE_NAME,
  parseControl,
  parsePackageFileName,
  readDebControl,
  VERSION,
} from './debian.metadata';

// Packages built by dpkg-deb itself (each compression it writes), and control files as
// deb-control(5) has them; the hostile ones must each be a 400.
let dir: string;
beforeAll(() => (dir = mkdtempSync(path.join(os.tmpdir(), 'wharf-deb-'))));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const CONTROL = [
  'Package: wharf-hello',
  'Version: 1:2.0~rc1-3',
  'Architecture: amd64',
  'Maintainer: "Jane Doe" <jane@example.com>',
  'Depends: libc6 (>= 2.34),',
  ' libssl3 (>= 3.0.0)',
  'Homepage: https://example.com/hello',
  'Description: says hello',
  ' A longer description.',
  ' .',
  ' With a paragraph.',
].join('\n');

function dpkgDeb(compression: string): Buffer {
  const root = path.join(dir, `pkg-${compression}`);
  mkdirSync(path.join(root, 'DEBIAN'), { recursive: true });
  mkdirSync(path.join(root, 'usr/share/doc/wharf-hello'), { recursive: true });
  writeFileSync(path.join(root, 'DEBIAN/control'), `${CONTROL}\n`);
  writeFileSync(path.join(root, 'usr/share/doc/wharf-hello/README'), 'hello\n');
  execFileSync(
    'dpkg-deb',
    ['--root-owner-group', `-Z${compression}`, '--build', root, `${root}.deb`],
    {
      stdio: 'ignore',
    },
  );
  return readFileSync(`${root}.deb`);
}

const opener = (bytes: Buffer) => async (start: number, end: number) =>
  Readable.from([bytes.subarray(start, end + 1)]);

describe('readDebControl', () => {
  it.each(['gzip', 'xz', 'zstd', 'none'])(
    'reads the control file of a package dpkg-deb built with -Z%s',
    async (compression) => {
      const deb = dpkgDeb(compression);
      const control = await readDebControl(opener(deb), deb.length);
      expect(control.toString()).toBe(`${CONTROL}\n`);
    },
  );
});

describe('parseControl', () => {
  it('keeps the paragraph as it is and Forgejo’s metadata of it', () => {
    const parsed = parseControl(Buffer.from(`\n${CONTROL}\n\n`));
    expect(parsed).toEqual({
      name: 'wharf-hello',
      version: '1:2.0~rc1-3',
      architecture: 'amd64',
      control: CONTROL,
      metadata: {
        maintainer: 'Jane Doe',
        project_url: 'https://example.com/hello',
        description: 'says hello\n A longer description.\n .\n With a paragraph.',
        dependencies: ['libc6 (>= 2.34)', 'libssl3 (>= 3.0.0)'],
      },
    });
  });

  it('drops comment lines, and keeps a maintainer without an address as it is', () => {
    const parsed = parseControl(
      Buffer.from('# made by hand\nPackage: a1\nVersion: 1\nArchitecture: all\nMaintainer: Team\n'),
    );
    expect(parsed.control).toBe('Package: a1\nVersion: 1\nArchitecture: all\nMaintainer: Team');
    expect(parsed.metadata).toEqual({ maintainer: 'Team', dependencies: [] });
  });

  it.each([
    ['no Package', 'Version: 1\nArchitecture: all\n', /no Package field/],
    ['no Version', 'Package: ab\nArchitecture: all\n', /no Version field/],
    ['no Architecture', 'Package: ab\nVersion: 1\n', /no Architecture field/],
    ['an empty Package', 'Package: \nVersion: 1\nArchitecture: all\n', /no Package field/],
    ['two paragraphs', 'Package: ab\nVersion: 1\nArchitecture: all\n\nPackage: cd\n', /blank line/],
    ['a whitespace-only line', 'Package: ab\n \t\nVersion: 1\nArchitecture: all\n', /blank line/],
    ['a field twice', 'Package: ab\npackage: cd\nVersion: 1\nArchitecture: all\n', /twice/],
    ['its own SHA256', 'Package: ab\nVersion: 1\nArchitecture: all\nSHA256: 00\n', /sets SHA256/],
    ['its own Size', 'Package: ab\nVersion: 1\nArchitecture: all\nsize: 1\n', /sets size/],
    [
      'a line that is no field',
      'Package: ab\nVersion: 1\nArchitecture: all\njunk\n',
      /not a "Field: value"/,
    ],
    ['a continuation first', ' x\nPackage: ab\n', /continuation/],
    ['a Package on two lines', 'Package: ab\n cd\nVersion: 1\nArchitecture: all\n', /continues/],
    ['a carriage return', 'Package: ab\r\nVersion: 1\nArchitecture: all\n', /control characters/],
    ['an upper-case name', 'Package: Ab\nVersion: 1\nArchitecture: all\n', /invalid Package/],
    ['a version with "_"', 'Package: ab\nVersion: 1_2\nArchitecture: all\n', /invalid Version/],
    ['a version ending in "-"', 'Package: ab\nVersion: 1-\nArchitecture: all\n', /invalid Version/],
    [
      'an architecture with "/"',
      'Package: ab\nVersion: 1\nArchitecture: a/b\n',
      /invalid Architecture/,
    ],
  ])('refuses %s', (_label, text, message) => {
    expect(() => parseControl(Buffer.from(text))).toThrow(InvalidArtifactError);
    expect(() => parseControl(Buffer.from(text))).toThrow(message);
  });

  it('refuses bytes that are not UTF-8', () => {
    expect(() => parseControl(Buffer.from([0x50, 0xff, 0xfe]))).toThrow(/not UTF-8/);
  });

  // The version is only a part of a file name (`{name}_{version}_{arch}.deb`): "CON" is no
  // device name there.
  describe.each([
    ['Package', true, (v: string) => `Package: ${v}\nVersion: 1\nArchitecture: all\n`],
    ['Version', false, (v: string) => `Package: ab\nVersion: ${v}\nArchitecture: all\n`],
    ['Architecture', true, (v: string) => `Package: ab\nVersion: 1\nArchitecture: ${v}\n`],
  ])('%s field', (_field, fileName, control) => {
    const hostile = HOSTILE_NAMES.filter((h) => fileName || !h.fileNameOnly);
    it.each(hostile.map((h) => [h.label, h.value]))('refuses a hostile value: %s', (_l, v) =>
      expect(() => parseControl(Buffer.from(control(v)))).toThrow(InvalidArtifactError),
    );
  });
});

describe('names', () => {
  it.each([
    ['distribution', true, (v: string) => checkName(v, DISTRIBUTION)],
    ['component', true, (v: string) => checkComponent(v)],
    ['architecture', true, (v: string) => checkName(v, ARCHITECTURE)],
    ['package name', true, (v: string) => checkName(v, PACKAGE_NAME)],
    ['version', false, (v: string) => checkName(v, VERSION)],
    ['file name', true, (v: string) => checkName(v, FILE_NAME)],
  ])('the %s grammar refuses every hostile name', (_what, fileName, check) => {
    for (const h of HOSTILE_NAMES.filter((n) => fileName || !n.fileNameOnly))
      expect(() => check(h.value)).toThrow();
  });

  it('accepts what Debian names things', () => {
    for (const d of ['bookworm', 'stable', 'bookworm-backports', 'jammy-updates'])
      expect(checkName(d, DISTRIBUTION)).toBe(d);
    for (const c of ['main', 'contrib', 'non-free-firmware']) expect(checkComponent(c)).toBe(c);
    for (const v of ['1.0', '1:2.0~rc1-3', '2.36-9+deb12u4', '0.0.0+git20240101.abc-1~bpo12+1'])
      expect(checkName(v, VERSION)).toBe(v);
    expect(() => checkComponent('by-hash')).toThrow(/path of the repository/);
    expect(parsePackageFileName('libc6_2.36-9+deb12u4_amd64.deb')).toEqual({
      name: 'libc6',
      version: '2.36-9+deb12u4',
      architecture: 'amd64',
    });
    expect(checkName('wharf-hello_1:2.0~rc1-3_amd64.deb', FILE_NAME)).toBeTruthy();
    expect(parsePackageFileName('a_b.deb')).toBeNull();
  });
});
