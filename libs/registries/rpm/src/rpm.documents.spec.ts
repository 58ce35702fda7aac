import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { checkName } from '@wharf/packages-core';
import { HOSTILE_NAMES } from '../../../packages-core/src/testing/hostile-names';
import { parsePath } from './rpm.controller';
import {
  documentClosing,
  documentOpening,
  inPrimary,
  packageElement,
  REPODATA_TYPES,
  RepodataPackage,
  repoFile,
} from './rpm.documents';
import { RPM_ARCH, RPM_GROUP, RPM_NAME, RPM_VERSION } from './rpm.metadata';

const pkg = (over: Partial<RepodataPackage['file']> = {}): RepodataPackage => ({
  name: 'hello',
  pkgid: 'ab'.repeat(32),
  size: 1234,
  fileTime: 1700000000,
  location: 'package/hello/1.0-1/x86_64/hello-1.0-1.x86_64.rpm',
  version: {
    license: 'MIT & <BSD>',
    summary: 'Says "hi" & <leaves>',
    description: 'line one\nline two\u0001 with a control character',
  },
  file: {
    architecture: 'x86_64',
    epoch: '0',
    version: '1.0',
    release: '1',
    header_start: 4504,
    header_end: 6000,
    require: [{ name: 'bash', flags: 'GE', epoch: '0', version: '4.0', pre: true }],
    files: [
      { path: '/usr/bin/hello', is_executable: true },
      { path: '/usr/share/hello', type: 'dir' },
      { path: '/etc/hello.conf' },
      { path: '/var/log/hello & more.log', type: 'ghost' },
    ],
    changelogs: [{ author: 'A <a@b>', date: 1678276800, text: '- fixed <this> & "that"' }],
    ...over,
  },
});

describe('rpm repodata documents', () => {
  it('builds well-formed documents whose text reads back as it was, control characters replaced', () => {
    const parser = new XMLParser({ ignoreAttributes: false, removeNSPrefix: true });
    for (const type of REPODATA_TYPES) {
      const text = documentOpening(type, 1) + packageElement(type, pkg()) + documentClosing(type);
      expect(XMLValidator.validate(text)).toBe(true);
      const doc = parser.parse(text);
      if (type === 'primary') {
        const p = doc.metadata.package;
        expect(p.summary).toBe('Says "hi" & <leaves>');
        expect(p.description).toContain('two\ufffd with');
        expect(p.format.requires.entry['@_pre']).toBe('1');
        expect(p.format.file).toEqual(['/usr/bin/hello', '/etc/hello.conf']);
      }
      if (type === 'filelists') expect(doc.filelists.package.file).toHaveLength(4);
      if (type === 'other') expect(doc.otherdata.package.changelog['@_date']).toBe('1678276800');
    }
  });

  it('lists in primary the files createrepo does', () => {
    expect(inPrimary({ path: '/usr/sbin/tool' })).toBe(true);
    expect(inPrimary({ path: '/etc/x.conf' })).toBe(true);
    expect(inPrimary({ path: '/usr/share/doc/x' })).toBe(false);
  });

  it('writes the .repo file of a group', () => {
    expect(
      repoFile({
        owner: 'Alice',
        appName: 'Wharf',
        baseUrl: 'https://w.example/api/packages/Alice/rpm',
        group: 'el9/stable',
      }),
    ).toBe(
      [
        '[wharf-alice-el9-stable]',
        'name=Alice - Wharf - el9 - stable',
        'baseurl=https://w.example/api/packages/Alice/rpm/el9/stable',
        'enabled=1',
        'gpgcheck=1',
        'repo_gpgcheck=1',
        'gpgkey=https://w.example/api/packages/Alice/rpm/repository.key',
        '',
      ].join('\n'),
    );
  });
});

describe('rpm paths and names', () => {
  it('splits paths as Forgejo does', () => {
    expect(parsePath(['el9.repo'])).toEqual({ kind: 'repo', group: 'el9' });
    expect(parsePath(['el9', 'stable.repo'])).toEqual({ kind: 'repo', group: 'el9/stable' });
    expect(parsePath(['repodata', 'repomd.xml'])).toEqual({
      kind: 'repodata',
      group: '',
      file: 'repomd.xml',
    });
    expect(parsePath(['a', 'b', 'upload'])).toEqual({ kind: 'upload', group: 'a/b' });
    expect(parsePath(['el9', 'package', 'n', '1-1', 'x86_64'])).toEqual({
      kind: 'package',
      group: 'el9',
      name: 'n',
      version: '1-1',
      arch: 'x86_64',
    });
    expect(parsePath(['package', 'n', '1-1', 'noarch', 'n-1-1.noarch.rpm'])).toEqual({
      kind: 'package',
      group: '',
      name: 'n',
      version: '1-1',
      arch: 'noarch',
      fileName: 'n-1-1.noarch.rpm',
    });
    expect(parsePath(['el9', 'nothing'])).toEqual({ kind: 'none' });
  });

  it('accepts real names and refuses every hostile one', () => {
    for (const [value, grammar] of [
      ['libstdc++', RPM_NAME],
      ['python3.11-pip', RPM_NAME],
      ['2-1.0~rc1^git1-1.el9', RPM_VERSION],
      ['x86_64', RPM_ARCH],
      ['centos/el7', RPM_GROUP],
    ] as const)
      expect(checkName(value, grammar)).toBe(value);
    for (const grammar of [RPM_NAME, RPM_VERSION, RPM_ARCH, RPM_GROUP])
      for (const hostile of HOSTILE_NAMES)
        expect(() => checkName(hostile.value, grammar)).toThrow(/invalid/);
  });
});
