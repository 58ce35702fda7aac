import { HOSTILE_NAMES } from '../../../packages-core/src/testing/hostile-names';
import { checkName } from '@wharf/packages-core';
import { buildVersionInfo, buildVersionList } from './go.documents';
import { parseProxyPath } from './go-proxy-path';
import {
  checkMajorVersion,
  checkModulePath,
  checkModuleVersion,
  compareModuleVersions,
  escapeModuleText,
  goModModulePath,
  isPseudoVersion,
  latestVersion,
  MODULE_PATH,
  MODULE_VERSION,
  moduleProblem,
  unescapeModuleText,
} from './go.metadata';

// Paths golang.org/x/mod/module.CheckPath (go 1.19's vendored copy) accepts and refuses.
const GOOD_PATHS = [
  'example.com/mod',
  'github.com/Azure/azure-sdk-for-go',
  'golang.org/x/mod',
  'example.com/mod/v2',
  'example.com/mod/v10',
  'gopkg.in/yaml.v3',
  'gopkg.in/check.v1',
  'example.com/a_b/c~d/e.f',
  'my-host.example/x',
];
const BAD_PATHS: [string, RegExp][] = [
  ['example', /no dot/],
  ['Example.com/mod', /lower-case/],
  ['-example.com/mod', /starts with a dash/],
  ['example.com//mod', /empty element/],
  ['example.com/mod/', /empty element/],
  ['/example.com/mod', /starts with a slash/],
  ['example.com/.hidden', /starts or ends with a dot/],
  ['example.com/trailing.', /starts or ends with a dot/],
  ['example.com/con', /device name/],
  ['example.com/LPT1.txt', /device name/],
  ['example.com/progra~1', /short name/],
  ['example.com/mod/v1', /major version suffix/],
  ['example.com/mod/v0', /major version suffix/],
  ['example.com/mod/v02', /major version suffix/],
  ['example.com/mod/v2.0', /major version suffix/],
  ['gopkg.in/yaml', /major version suffix/],
  ['example.com/m@d', /may only hold/],
  ['example.com/m+d', /may only hold/],
  ['example.com/ünï', /may only hold/],
];

describe('module paths', () => {
  it.each(GOOD_PATHS)('accepts %s', (path) => {
    expect(moduleProblem(path)).toBeUndefined();
    expect(checkModulePath(path)).toBe(path);
  });

  it.each(BAD_PATHS)('refuses %s', (path, why) => {
    expect(moduleProblem(path)).toMatch(why);
    expect(() => checkModulePath(path)).toThrow(/invalid module path/);
  });

  it.each(HOSTILE_NAMES.filter((n) => !n.fileNameOnly))(
    'refuses the hostile name $label',
    ({ value }) => {
      expect(() => checkName(value, MODULE_PATH)).toThrow(/invalid module path/);
    },
  );
});

describe('versions', () => {
  const GOOD = [
    'v0.0.1',
    'v1.2.3',
    'v1.2.3-pre',
    'v1.2.3-RC.1',
    'v1.0.0-0.20240101120000-abcdef123456',
    'v0.0.0-20191109021931-daa7c04131f5',
    'v1.2.4-pre.0.20191109021931-daa7c04131f5',
    'v2.0.0+incompatible',
    'v3.1.0-beta.2+incompatible',
  ];
  const BAD = ['1.2.3', 'v1.2', 'v1', 'v01.2.3', 'v1.2.3-01', 'v1.2.3+build', 'v1.2.3-', 'latest'];

  it.each(GOOD)('accepts %s', (v) => expect(checkModuleVersion(v)).toBe(v));
  it.each(BAD)('refuses %s', (v) =>
    expect(() => checkModuleVersion(v)).toThrow(/invalid module version/),
  );
  it.each(HOSTILE_NAMES)('refuses the hostile name $label', ({ value }) => {
    expect(() => checkName(value, MODULE_VERSION)).toThrow(/invalid module version/);
  });

  it('tells pseudo-versions from tagged versions', () => {
    expect(GOOD.filter(isPseudoVersion)).toEqual([
      'v1.0.0-0.20240101120000-abcdef123456',
      'v0.0.0-20191109021931-daa7c04131f5',
      'v1.2.4-pre.0.20191109021931-daa7c04131f5',
    ]);
  });

  it('orders by semver precedence', () => {
    const sorted = [
      'v1.0.0',
      'v1.0.0-rc.1',
      'v1.0.0-alpha',
      'v1.0.0-alpha.10',
      'v1.0.0-alpha.2',
      'v0.9.10',
      'v0.9.9',
      'v1.0.0-alpha.beta',
    ].sort(compareModuleVersions);
    expect(sorted).toEqual([
      'v0.9.9',
      'v0.9.10',
      'v1.0.0-alpha',
      'v1.0.0-alpha.2',
      'v1.0.0-alpha.10',
      'v1.0.0-alpha.beta',
      'v1.0.0-rc.1',
      'v1.0.0',
    ]);
  });

  it('names latest as Go queries do: releases, then pre-releases, then pseudo-versions', () => {
    const pseudo = 'v0.0.0-20240101120000-abcdef123456';
    expect(latestVersion([pseudo])).toBe(pseudo);
    expect(latestVersion([pseudo, 'v0.2.0-beta'])).toBe('v0.2.0-beta');
    expect(latestVersion(['v0.2.0-beta', 'v0.1.0', pseudo])).toBe('v0.1.0');
    expect(latestVersion(['v1.10.0', 'v1.9.0'])).toBe('v1.10.0');
    expect(latestVersion(['v1.0.0', 'v2.0.0+incompatible'])).toBe('v1.0.0');
    expect(latestVersion([])).toBeUndefined();
  });

  it('applies the major version rules', () => {
    const ok: [string, string][] = [
      ['example.com/m', 'v0.1.0'],
      ['example.com/m', 'v1.9.0'],
      ['example.com/m', 'v2.0.0+incompatible'],
      ['example.com/m/v2', 'v2.0.0'],
      ['example.com/m/v3', 'v3.0.0-pre'],
      ['gopkg.in/yaml.v3', 'v3.0.1'],
      ['gopkg.in/yaml.v1', 'v0.0.0-20140101000000-abcdef123456'],
    ];
    for (const [path, version] of ok) expect(() => checkMajorVersion(path, version)).not.toThrow();
    const bad: [string, string, RegExp][] = [
      ['example.com/m', 'v2.0.0', /must end in \/v2/],
      ['example.com/m/v2', 'v1.0.0', /pins v2/],
      ['example.com/m/v2', 'v2.0.0+incompatible', /only for v2 and above of a module path without/],
      ['example.com/m', 'v1.0.0+incompatible', /only for v2 and above/],
      ['gopkg.in/yaml.v3', 'v2.0.0', /pins v3/],
    ];
    for (const [path, version, why] of bad)
      expect(() => checkMajorVersion(path, version)).toThrow(why);
  });
});

describe('case encoding', () => {
  it('round-trips as the go command escapes', () => {
    expect(escapeModuleText('github.com/Azure/SDK')).toBe('github.com/!azure/!s!d!k');
    expect(unescapeModuleText('github.com/!azure/!s!d!k')).toBe('github.com/Azure/SDK');
    expect(unescapeModuleText('v1.0.0-!r!c1')).toBe('v1.0.0-RC1');
  });

  it.each(['github.com/Azure', 'a/!', 'a/!!b', 'a/!1'])('refuses %s', (escaped) =>
    expect(unescapeModuleText(escaped)).toBeUndefined(),
  );
});

describe('the module directive of go.mod', () => {
  const cases: [string, string][] = [
    ['module example.com/m\n\ngo 1.19\n', 'example.com/m'],
    ['// a comment\nmodule   example.com/m // trailing\n', 'example.com/m'],
    ['module "gitea.com/go-gitea/gitea"', 'gitea.com/go-gitea/gitea'],
    ['module `example.com/raw`\r\n', 'example.com/raw'],
    ['module (\n\texample.com/block\n)\n', 'example.com/block'],
  ];
  it.each(cases)('reads %j', (text, path) => expect(goModModulePath(Buffer.from(text))).toBe(path));

  it.each([
    ['go 1.19\n', /no module directive/],
    ['module\n', /no module directive/],
    ['module "unterminated\n', /malformed/],
    ['module a b\n', /malformed/],
  ])('refuses %j', (text, why) => expect(() => goModModulePath(Buffer.from(text))).toThrow(why));

  it('refuses bytes that are not UTF-8', () => {
    expect(() => goModModulePath(Buffer.from([0x6d, 0xff, 0xfe]))).toThrow(/not valid UTF-8/);
  });
});

describe('GOPROXY paths', () => {
  it('reads each kind from the end of the path', () => {
    expect(parseProxyPath('example.com/!azure/x/@v/list')).toEqual({
      kind: 'list',
      path: 'example.com/Azure/x',
    });
    expect(parseProxyPath('example.com/x/@latest')).toEqual({
      kind: 'latest',
      path: 'example.com/x',
    });
    expect(parseProxyPath('example.com/x/v2/@v/v2.0.0-!r!c1.zip')).toEqual({
      kind: 'zip',
      path: 'example.com/x/v2',
      version: 'v2.0.0-RC1',
    });
    expect(parseProxyPath('example.com/x/@v/latest.info')).toEqual({
      kind: 'info',
      path: 'example.com/x',
      version: 'latest',
    });
    expect(parseProxyPath('example.com/x/@v/v1.0.0+incompatible.mod')).toMatchObject({
      kind: 'mod',
      version: 'v1.0.0+incompatible',
    });
  });

  it.each([
    'example.com/x/@v/master.info',
    'example.com/x/@v/v1.0.info',
    'example.com/x/@v/v1.0.0.tar',
    'example.com/x/@v/',
    'example.com/x',
    'nodot/x/@v/list',
    'example.com/Upper/@v/list',
    'sumdb/sum.golang.org/supported',
    'sumdb/sum.golang.org/lookup/example.com/x@v1.0.0',
  ])('answers %s with 404', (rest) => {
    expect(() => parseProxyPath(rest)).toThrow(expect.objectContaining({ status: 404 }));
  });

  it.each(['../../etc/@v/list', 'example.com/a\nb/@v/list', 'example.com/x/@v/..%2f.info'])(
    'answers %j with 400',
    (rest) => {
      expect(() => parseProxyPath(rest)).toThrow(expect.objectContaining({ status: 400 }));
    },
  );
});

describe('documents', () => {
  it('lists tagged versions a line each and dates info in RFC 3339', () => {
    expect(buildVersionList(['v0.0.1', 'v0.0.0-20240101120000-abcdef123456', 'v0.0.2'])).toBe(
      'v0.0.1\nv0.0.2\n',
    );
    expect(buildVersionList([])).toBe('');
    expect(JSON.parse(buildVersionInfo('v1.0.0', 1714557600))).toEqual({
      Version: 'v1.0.0',
      Time: '2024-05-01T10:00:00Z',
    });
  });
});
