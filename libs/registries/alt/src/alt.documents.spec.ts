import { createHash } from 'node:crypto';
import { parseRpmHeader, RpmTagType } from '@wharf/packages-core';
import {
  AltHeaderData,
  pkglistFragments,
  pkglistRecord,
  release,
  releaseClassic,
  repositoryConfig,
} from './alt.documents';
import { encodeRpmHeader, RpmType } from './rpm-header-writer';

const PKG: AltHeaderData = {
  name: 'gitea-test',
  version: '1.0.2',
  release: '1',
  summary: 'RPM package summary',
  description: 'RPM package description',
  buildTime: 1678225964,
  installedSize: 13,
  license: 'MIT',
  packager: 'KN4CK3R',
  vendor: '',
  group: 'System',
  url: 'https://gitea.io',
  os: 'linux',
  arch: 'x86_64',
  sourceRpm: 'gitea-test-1.0.2-1.src.rpm',
  provides: [{ name: 'gitea-test', flags: 8, version: '1.0.2-1' }],
  requires: [
    { name: '/bin/sh', flags: 0, version: '' },
    { name: 'rpmlib(CompressedFileNames)', flags: 16777226, version: '3.0.4-1' },
  ],
  conflicts: [],
  obsoletes: [],
  changelog: [{ time: 1678276800, name: 'KN4CK3R <dummy@gitea.io>', text: '- Changelog message.' }],
  baseNames: ['hello', 'hello.conf'],
  dirIndexes: [0, 1],
  dirNames: ['/usr/local/bin/', '/etc/'],
};
const FILE = {
  name: 'gitea-test-1.0.2-1.x86_64.rpm',
  size: 7116,
  md5: 'a'.repeat(32),
  blake2b: 'b'.repeat(128),
};

describe('rpm header writer', () => {
  it('writes entries in tag order, each integer aligned, as librpm verifies them', () => {
    const bytes = encodeRpmHeader([
      { tag: 1001, type: RpmType.String, value: 'abc' },
      { tag: 1000, type: RpmType.String, value: 'n' },
      { tag: 1006, type: RpmType.Int32, value: [7, 8] },
      { tag: 1030, type: RpmType.Int16, value: [0o644] },
    ]);
    const header = parseRpmHeader(bytes);
    expect(header.entries.map((e) => [e.tag, e.offset])).toEqual([
      [1000, 0],
      [1001, 2],
      [1006, 8], // "n\0abc\0" is 6 bytes: two zeros first
      [1030, 16],
    ]);
    expect(header.numbers(1006)).toEqual([7, 8]);
    expect(header.string(1001)).toBe('abc');
  });

  it('refuses a tag given twice and a string holding NUL', () => {
    const s = { tag: 1000, type: RpmType.String, value: 'a' } as const;
    expect(() => encodeRpmHeader([s, s])).toThrow(/twice/);
    expect(() => encodeRpmHeader([{ ...s, value: 'a\0b' }])).toThrow(/NUL/);
  });
});

describe('pkglist record', () => {
  const header = parseRpmHeader(pkglistRecord(PKG, FILE));

  it('carries what apt-rpm reads, with apt-rpm tags last', () => {
    expect(header.strings(100)).toEqual(['C']);
    expect(header.string(1000)).toBe('gitea-test');
    expect(header.string(1001)).toBe('1.0.2');
    expect(header.string(1002)).toBe('1');
    expect(header.has(1003)).toBe(false);
    expect(header.entry(1004)!.type).toBe(RpmTagType.I18nString);
    expect(header.string(1004)).toBe('RPM package summary');
    expect(header.number(1006)).toBe(1678225964);
    expect(header.number(1009)).toBe(13);
    expect(header.has(1011)).toBe(false); // empty vendor left out
    expect(header.string(1016)).toBe('System');
    expect(header.strings(1049)).toEqual(['/bin/sh', 'rpmlib(CompressedFileNames)']);
    expect(header.numbers(1048)).toEqual([0, 16777226]);
    expect(header.strings(1050)).toEqual(['', '3.0.4-1']);
    expect(header.strings(1047)).toEqual(['gitea-test']);
    expect(header.numbers(1116)).toEqual([0, 1]);
    expect(header.strings(1117)).toEqual(['hello', 'hello.conf']);
    expect(header.strings(1118)).toEqual(['/usr/local/bin/', '/etc/']);
    expect(header.strings(1082)).toEqual(['- Changelog message.']);
    expect(header.string(1000000)).toBe(FILE.name);
    expect(header.number(1000001)).toBe(7116);
    expect(header.string(1000005)).toBe(FILE.md5);
    expect(header.string(1000009)).toBe(FILE.blake2b);
    expect(header.entries.at(-1)).toMatchObject({ tag: 1000010 });
    expect(header.string(1000010)).toBe('RPMS.classic');
    const tags = header.entries.map((e) => e.tag);
    expect(tags).toEqual([...tags].sort((a, b) => a - b));
    // zpkglist's hdrblobNEVRA: NAME, VERSION, RELEASE at entries 1, 2, 3.
    expect(tags.slice(1, 4)).toEqual([1000, 1001, 1002]);
  });

  it('writes EPOCH when the package has one', () => {
    expect(parseRpmHeader(pkglistRecord({ ...PKG, epoch: 3 }, FILE)).number(1003)).toBe(3);
  });

  it('goes into the .xz stream as an xz stream of its own', () => {
    const record = pkglistRecord(PKG, FILE);
    const [plain, xz] = pkglistFragments(record);
    expect(plain).toBe(record);
    expect(xz.subarray(0, 6)).toEqual(Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]));
    expect(xz.subarray(-2).toString()).toBe('YZ');
  });
});

describe('release files', () => {
  it('writes release.classic with Forgejo fields', () => {
    expect(releaseClassic('x86_64', 1700000000)).toBe(
      'Archive: Alt Linux Team\nComponent: classic\nVersion: 1700000000\nOrigin: Alt Linux Team\n' +
        'Label: Wharf\nArchitecture: x86_64\nNotAutomatic: false\n',
    );
  });

  it('writes release with MD5Sum and BLAKE2b sections in Forgejo order', () => {
    const md5 = (s: string) => createHash('md5').update(s).digest('hex');
    const files = ['pkglist.classic', 'pkglist.classic.xz', 'release.classic'].map((name) => ({
      name,
      size: name.length,
      md5: md5(name),
      blake2b: 'f'.repeat(128),
    }));
    expect(release('noarch', 1700000000, files)).toBe(
      'Origin: Wharf\nLabel: Wharf\nSuite: Sisyphus\nCodename: 1700000000\n' +
        'Date: Tue, 14 Nov 2023 22:13:20 UTC\nArchitectures: noarch\nMD5Sum:\n' +
        files.map((f) => ` ${f.md5} ${f.size} base/${f.name}\n`).join('') +
        'BLAKE2b:\n' +
        files.map((f) => ` ${f.blake2b} ${f.size} base/${f.name}\n`).join('') +
        '\n',
    );
  });

  it('writes Forgejo repository config', () => {
    expect(
      repositoryConfig(
        { name: 'Alice', lowerName: 'alice' },
        ['el9', 'stable'],
        'http://h/api/packages/Alice/alt',
      ),
    ).toBe(
      '[wharf-alice-el9-stable]\nname=Alice - Wharf - el9 - stable\nbaseurl=http://h/api/packages/Alice/alt/el9/stable\nenabled=1',
    );
  });
});
