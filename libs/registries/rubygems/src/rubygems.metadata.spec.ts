import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { checkName } from '@wharf/packages-core';
import { HOSTILE_NAMES } from '../../../packages-core/src/testing/hostile-names';
import { gemTar } from '../../../../test/support/clients/rubygems';
import { parseGemspecYaml } from './gemspec-yaml';
import {
  compareGemVersions,
  GEM_FULL_NAME,
  GEM_NAME,
  GEM_PLATFORM,
  GEM_VERSION,
  isPrerelease,
  readGem,
  validateGemspec,
} from './rubygems.metadata';

// Built by `gem build` (RubyGems 3.3): fixtures/build-fixtures.sh.
const fixture = (name: string) => readFileSync(path.join(__dirname, 'fixtures', name));
const stream = (b: Buffer) => Readable.from([b]);

const dataTar = async () => gzipSync(await gemTar([{ name: 'lib/x.rb', body: Buffer.from('1') }]));
const gemWithYaml = async (yaml: string) =>
  gemTar([
    { name: 'metadata.gz', body: gzipSync(yaml) },
    { name: 'data.tar.gz', body: await dataTar() },
  ]);
const SPEC = (extra = '') => `--- !ruby/object:Gem::Specification
name: evil
version: !ruby/object:Gem::Version
  version: 1.0.0
platform: ruby
${extra}`;

describe('readGem on gems built by gem build', () => {
  it('reads the gemspec: names, version, platform, dependencies and requirements', async () => {
    const meta = await readGem(stream(fixture('wharf-hello-1.2.0.gem')));
    expect(meta).toMatchObject({
      name: 'wharf-hello',
      version: '1.2.0',
      platform: 'ruby',
      summary: 'Hello from Wharf',
      authors: ['Ann', 'Bob'],
      email: ['ann@example.com'],
      homepage: 'https://example.com/hello',
      licenses: ['MIT'],
      metadata: { source_code_uri: 'https://example.com/src' },
      requiredRubyVersion: [['>=', '2.3.0']],
      requiredRubygemsVersion: [['>=', '0']],
      rubygemsVersion: '3.3.15',
      specificationVersion: 4,
      date: '2023-11-14',
    });
    expect(meta.dependencies).toEqual([
      {
        name: 'rake',
        type: 'runtime',
        requirement: [
          ['>=', '1.2.0'],
          ['<', '2.0'],
        ],
      },
      { name: 'json', type: 'runtime', requirement: [['>=', '0']] },
      { name: 'minitest', type: 'development', requirement: [['~>', '5.2']] },
    ]);
  });

  it('reads a platform gem and a prerelease', async () => {
    expect(await readGem(stream(fixture('wharf-hello-1.2.0-x86_64-linux.gem')))).toMatchObject({
      version: '1.2.0',
      platform: 'x86_64-linux',
    });
    expect(await readGem(stream(fixture('wharf-hello-2.0.0.pre1.gem')))).toMatchObject({
      version: '2.0.0.pre1',
    });
  });

  it('reads an old-style Gem::Platform object and normalises a dashed version as Gem::Version does', () => {
    const spec = parseGemspecYaml(`--- !ruby/object:Gem::Specification
name: old
version: !ruby/object:Gem::Version
  version: 1.0-beta
platform: !ruby/object:Gem::Platform
  cpu: x86
  os: mswin32
  version: "60"
`);
    expect(spec.platform).toBe('x86-mswin32-60');
    expect(validateGemspec(spec).version).toBe('1.0.pre.beta');
  });

  it('reads versions as written: 2.10 is not the float 2.1', () => {
    expect(parseGemspecYaml(SPEC().replace('version: 1.0.0', 'version: 2.10')).version).toBe(
      '2.10',
    );
  });
});

describe('readGem refuses what is not a safe gem', () => {
  it.each([
    ['Gem::Installer gadget', SPEC('x: !ruby/object:Gem::Installer\n  i: x\n'), /Gem::Installer/],
    ['!ruby/hash gadget', SPEC('x: !ruby/hash:Gem::Requirement\n  a: 1\n'), /ruby\/hash/],
    ['!ruby/struct', SPEC('x: !ruby/struct:Foo {}\n'), /ruby\/struct/],
    ['!ruby/sym tag', SPEC('type: !ruby/sym runtime\n'), /ruby\/sym/],
    ['!!binary', SPEC('summary: !!binary aGk=\n'), /binary/],
    ['an untagged root that is no mapping', '--- [1, 2]\n', /not a Gem::Specification/],
    ['no name', '--- !ruby/object:Gem::Specification\nversion: 1.0\n', /has no name/],
    ['a name with a slash', SPEC().replace('name: evil', 'name: ../evil'), /invalid gem name/],
    ['a bad version', SPEC().replace('version: 1.0.0', 'version: "1.0 beta"'), /gem version/],
    ['a hostile platform', SPEC().replace('platform: ruby', 'platform: ../x'), /gem platform/],
    [
      'an alias bomb',
      `a: &a [x, x, x, x, x, x, x, x, x, x]\n${Array.from(
        { length: 12 },
        (_, i) =>
          `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [${Array(10)
            .fill(`*${String.fromCharCode(97 + i)}`)
            .join(', ')}]`,
      ).join('\n')}\n`,
      /alias|cannot be read/i,
    ],
    ['an over-deep document', SPEC(`deep: ${'['.repeat(100)}${']'.repeat(100)}\n`), /deeper/],
    [
      'a 10,000-deep flow collection',
      SPEC(`deep: ${'['.repeat(10000)}${']'.repeat(10000)}\n`),
      /./,
    ],
    ['not YAML', 'name: [unclosed\n', /not valid YAML/],
  ])('%s', async (_label, yaml, message) => {
    await expect(readGem(stream(await gemWithYaml(yaml)))).rejects.toMatchObject({
      status: 400,
      message: expect.stringMatching(message),
    });
  });

  it('refuses a gzip bomb in metadata.gz with a 413, before the YAML is read', async () => {
    const bomb = gzipSync(Buffer.alloc(64 * 1024 * 1024, 0x20));
    const gem = await gemTar([
      { name: 'metadata.gz', body: bomb },
      { name: 'data.tar.gz', body: await dataTar() },
    ]);
    await expect(readGem(stream(gem))).rejects.toMatchObject({
      status: 413,
      message: expect.stringMatching(/metadata\.gz unpacks to more than/),
    });
  });

  it.each([
    ['a ../ entry', [{ name: '../metadata.gz', body: gzipSync(SPEC()) }], 400],
    ['an absolute entry', [{ name: '/etc/x', body: Buffer.from('x') }], 400],
    ['a symlink', [{ name: 'metadata.gz', type: 'symlink', linkname: '/etc/passwd' }], 400],
    ['no metadata.gz', [{ name: 'data.tar.gz', body: gzipSync(Buffer.alloc(1024)) }], 400],
  ] as const)('refuses a gem with %s', async (_label, entries, status) => {
    const gem = await gemTar(entries.map((e) => ({ ...e })));
    await expect(readGem(stream(gem))).rejects.toMatchObject({ status });
  });

  it('refuses ../ and absolute names inside data.tar.gz', async () => {
    for (const name of ['../../evil.rb', '/etc/cron.d/x']) {
      const data = gzipSync(await gemTar([{ name, body: Buffer.from('x') }]));
      const gem = await gemTar([
        { name: 'metadata.gz', body: gzipSync(SPEC()) },
        { name: 'data.tar.gz', body: data },
      ]);
      await expect(readGem(stream(gem))).rejects.toMatchObject({ status: 400 });
    }
  });

  it('refuses what is not a tar', async () => {
    await expect(readGem(stream(Buffer.from('not a gem at all')))).rejects.toMatchObject({
      status: 400,
    });
    await expect(readGem(stream(gzipSync(fixture('wharf-hello-1.2.0.gem'))))).rejects.toMatchObject(
      { status: 400 },
    );
  });
});

describe('RubyGems names and versions', () => {
  it.each(['rails', 'wharf-hello', 'net_http.pipeline', 'A1'])('accepts gem name %p', (n) => {
    expect(checkName(n, GEM_NAME)).toBe(n);
  });
  it.each(['-x', '.x', '_x', 'a b', 'a/b', 'a:b', 'é'])('refuses gem name %p', (n) => {
    expect(() => checkName(n, GEM_NAME)).toThrow(/invalid gem name/);
  });
  it.each(['1', '1.0.2', '2.0.0.rc1', '1.0.a.10', '1.0-beta'])('accepts version %p', (v) => {
    expect(checkName(v, GEM_VERSION)).toBe(v);
  });
  it.each(['', 'v1', '1..0', '1.0 ', '1.0+b', '.1'])('refuses version %p', (v) => {
    expect(() => checkName(v, GEM_VERSION)).toThrow(/invalid gem version/);
  });
  it.each(HOSTILE_NAMES.map((h) => [h.label, h]))('refuses hostile %s', (_l, { value }) => {
    for (const grammar of [GEM_NAME, GEM_VERSION, GEM_PLATFORM, GEM_FULL_NAME])
      expect(() => checkName(value, grammar)).toThrow(/invalid gem/);
  });

  it('orders versions as Gem::Version does', () => {
    const sorted = ['1.0', '1.0.a', '0.9', '1.0.b1', '1.10', '1.9', '2.0.0.pre1', '2.0.0', '1'];
    sorted.sort(compareGemVersions);
    expect(sorted).toEqual([
      '0.9',
      '1.0.a',
      '1.0.b1',
      '1.0',
      '1',
      '1.9',
      '1.10',
      '2.0.0.pre1',
      '2.0.0',
    ]);
    expect(isPrerelease('2.0.0.pre1')).toBe(true);
    expect(isPrerelease('2.0.0')).toBe(false);
  });
});
