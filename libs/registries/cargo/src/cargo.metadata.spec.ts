import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import * as tar from 'tar-stream';
import { ArchiveBudgetError, InvalidArtifactError, RegistryError } from '@wharf/packages-core';
import { HOSTILE_NAMES } from '../../../packages-core/src/testing/hostile-names';
import {
  assertManifestAgrees,
  checkCrateName,
  checkCrateVersion,
  crateNameKey,
  indexPath,
  parseManifest,
  parsePublishMetadata,
  readCrateManifest,
  versionWithoutBuild,
} from './cargo.metadata';

/*
 * fixtures/: what cargo 1.95 sent for `cargo publish --registry` of two crates, split into
 * the metadata JSON and the .crate: `demo-lib-0.1.0` (`cargo new --lib`, a `std` feature)
 * and `Demo_App-1.2.3-beta.1+build.5` (a binary with a build script, `links`,
 * `rust-version`, renamed, optional, target-specific, build and dev dependencies, and
 * `dep:`/`?/` features).
 */
const fixture = (file: string) => readFileSync(path.join(__dirname, 'fixtures', file));
const LIB = 'demo-lib-0.1.0';
const APP = 'Demo_App-1.2.3-beta.1+build.5';

async function tgz(entries: { name: string; body?: string | Buffer }[]): Promise<Buffer> {
  const pack = tar.pack();
  for (const e of entries) pack.entry({ name: e.name }, e.body ?? '');
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const c of pack) chunks.push(c as Buffer);
  return gzipSync(Buffer.concat(chunks));
}

const MANIFEST = '[package]\nname = "demo"\nversion = "1.0.0"\n';
const meta = (extra: Record<string, unknown> = {}) =>
  Buffer.from(JSON.stringify({ name: 'demo', vers: '1.0.0', deps: [], features: {}, ...extra }));

describe('parsePublishMetadata', () => {
  it('reads what cargo sends for a library', () => {
    expect(parsePublishMetadata(fixture(`${LIB}.json`))).toEqual({
      name: 'demo-lib',
      vers: '0.1.0',
      deps: [],
      features: { default: ['std'], std: [] },
      description: 'A demo',
      license: 'MIT',
    });
  });

  it('reads every kind of dependency cargo sends; a rename is the index name, the crate its package', () => {
    const m = parsePublishMetadata(fixture(`${APP}.json`));
    expect(m).toMatchObject({
      name: 'Demo_App',
      vers: '1.2.3-beta.1+build.5',
      links: 'demoapp',
      rust_version: '1.70',
      homepage: 'https://example.com/',
      readme: '# Demo\n',
      readme_file: 'README.md',
      keywords: ['demo'],
      categories: ['development-tools'],
      features: { default: [], extra: ['dep:opt'], weak: ['opt?/std'] },
    });
    const dep = {
      optional: false,
      default_features: true,
      features: [],
      target: null,
      registry: null,
    };
    expect(m.deps).toEqual([
      {
        ...dep,
        name: 'mylib',
        package: 'demo-lib',
        req: '^0.1',
        kind: 'normal',
        default_features: false,
        features: ['std'],
      },
      { ...dep, name: 'opt', package: 'demo-lib', req: '^0.1.0', kind: 'normal', optional: true },
      { ...dep, name: 'demo-lib', req: '^0.1', kind: 'dev' },
      { ...dep, name: 'demo-lib', req: '^0.1', kind: 'build' },
      { ...dep, name: 'demo-lib', req: '=0.1.0', kind: 'normal', target: 'cfg(unix)' },
    ]);
  });

  // Forgejo's parser test: a renamed dependency and a dependency from another registry.
  it('keeps another registry of a dependency and fills what a hand-written body leaves out', () => {
    const m = parsePublishMetadata(
      meta({
        deps: [
          {
            name: 'dep-renamed',
            explicit_name_in_toml: 'dep-explicit',
            version_req: '1.0',
            registry: 'https://example.com/index',
          },
        ],
      }),
    );
    expect(m.deps).toEqual([
      {
        name: 'dep-explicit',
        package: 'dep-renamed',
        req: '1.0',
        features: [],
        optional: false,
        default_features: true,
        target: null,
        kind: 'normal',
        registry: 'https://example.com/index',
      },
    ]);
  });

  it('drops links that are not http(s) URLs', () => {
    const m = parsePublishMetadata(
      meta({ homepage: 'javascript:alert(1)', repository: 'https://example.com/r' }),
    );
    expect(m.homepage).toBeUndefined();
    expect(m.repository).toBe('https://example.com/r');
  });

  it.each([
    ['0test', /invalid crate name/],
    ['-test', /invalid crate name/],
    ['_test', /invalid crate name/],
    ['', /invalid crate name/],
    ['t'.repeat(65), /invalid crate name/],
    ['tést', /invalid crate name/],
  ])('refuses the name %p', (name, message) => {
    expect(() => parsePublishMetadata(meta({ name }))).toThrow(message);
  });

  it.each(['-1.0.0', '1.0', '1.', '', '1.0.0/1', '01.0.0', '1.0.0-', 'v1.0.0'])(
    'refuses the version %p',
    (vers) => {
      expect(() => parsePublishMetadata(meta({ vers }))).toThrow(/invalid crate version/);
    },
  );

  it.each([
    ['not JSON', Buffer.from('{'), /not valid JSON/],
    ['an array', Buffer.from('[]'), /must be a JSON object/],
    ['deps not a list', meta({ deps: {} }), /deps must be a list/],
    ['a dependency without a requirement', meta({ deps: [{ name: 'x' }] }), /version_req/],
    [
      'a bad dependency name',
      meta({ deps: [{ name: '../x', version_req: '1' }] }),
      /dependency name/,
    ],
    [
      'an unknown dependency kind',
      meta({ deps: [{ name: 'x', version_req: '1', kind: 'peer' }] }),
      /kind must be one of/,
    ],
    [
      'a feature list that is not one',
      meta({ features: { a: 'b' } }),
      /features\.a must be a list/,
    ],
    ['a bad feature name', meta({ features: { 'a b': [] } }), /feature name/],
    ['a name that is not a string', meta({ name: 1 }), /name must be a string/],
  ])('refuses %s', (_label, body, message) => {
    expect(() => parsePublishMetadata(body)).toThrow(message);
  });
});

describe('readCrateManifest', () => {
  it('reads Cargo.toml of crates packaged by cargo, which agree with their metadata', async () => {
    for (const crate of [LIB, APP]) {
      const m = parsePublishMetadata(fixture(`${crate}.json`));
      const manifest = await readCrateManifest(Readable.from(fixture(`${crate}.crate`)), m);
      expect(manifest).toEqual({ name: m.name, version: m.vers });
      expect(() => assertManifestAgrees(manifest, m)).not.toThrow();
    }
  });

  it('refuses metadata the Cargo.toml disagrees with', async () => {
    const m = parsePublishMetadata(fixture(`${LIB}.json`));
    const manifest = await readCrateManifest(Readable.from(fixture(`${LIB}.crate`)), m);
    expect(() => assertManifestAgrees(manifest, { ...m, vers: '0.1.1' })).toThrow(
      /Cargo.toml is demo-lib 0.1.0, but the publish metadata says demo-lib 0.1.1/,
    );
  });

  const expected = { name: 'demo', vers: '1.0.0' };
  it.each([
    ['a `../` entry', [{ name: 'demo-1.0.0/../../evil', body: 'x' }], /".." segment/],
    ['an absolute entry', [{ name: '/etc/passwd', body: 'x' }], /absolute path/],
    [
      'an entry outside {name}-{vers}/',
      [
        { name: 'demo-1.0.0/Cargo.toml', body: MANIFEST },
        { name: 'other/file', body: 'x' },
      ],
      /outside demo-1.0.0\//,
    ],
    [
      'no Cargo.toml',
      [{ name: 'demo-1.0.0/src/lib.rs', body: '' }],
      /has no demo-1.0.0\/Cargo.toml/,
    ],
    [
      'a Cargo.toml that is not TOML',
      [{ name: 'demo-1.0.0/Cargo.toml', body: '[package\nname=' }],
      /not valid TOML/,
    ],
    [
      'a Cargo.toml without [package]',
      [{ name: 'demo-1.0.0/Cargo.toml', body: '[workspace]\n' }],
      /has no \[package\]/,
    ],
  ])('refuses a crate with %s', async (_label, entries, message) => {
    const crate = await tgz(entries);
    await expect(readCrateManifest(Readable.from(crate), expected)).rejects.toThrow(message);
    await expect(readCrateManifest(Readable.from(crate), expected)).rejects.toBeInstanceOf(
      InvalidArtifactError,
    );
  });

  it('refuses a crate that is not gzip', async () => {
    await expect(
      readCrateManifest(Readable.from(Buffer.from('not a crate')), expected),
    ).rejects.toThrow(/the \.crate is not a valid gzip-compressed tar archive/);
  });

  it('stops a gzip bomb at the unpacked budget (413)', async () => {
    const bomb = await tgz([
      { name: 'demo-1.0.0/Cargo.toml', body: MANIFEST },
      { name: 'demo-1.0.0/zeros', body: Buffer.alloc(8 * 1024 * 1024) },
    ]);
    expect(bomb.length).toBeLessThan(64 * 1024);
    const read = readCrateManifest(Readable.from(bomb), expected, {
      maxManifest: 1024,
      maxUnpacked: 1024 * 1024,
    });
    await expect(read).rejects.toBeInstanceOf(ArchiveBudgetError);
  });
});

describe('parseManifest', () => {
  it('needs package.name and package.version as strings (a workspace-inherited version is not one)', () => {
    expect(() =>
      parseManifest(Buffer.from('[package]\nname = "a"\nversion.workspace = true\n')),
    ).toThrow(/package.name and package.version/);
  });
});

describe('crate names and versions', () => {
  it.each(['a', 'A', 'foo-bar', 'foo_bar', 'Foo_Bar-2', 'x'.repeat(64)])('accepts %p', (n) => {
    expect(checkCrateName(n)).toBe(n);
  });

  it('compares names as crates.io does: case and -/_ folded', () => {
    expect(crateNameKey('Foo_Bar')).toBe(crateNameKey('foo-bar'));
    expect(crateNameKey('foo-bar')).not.toBe(crateNameKey('foobar'));
  });

  it('treats versions that differ in build metadata only as one', () => {
    expect(versionWithoutBuild('1.0.0+a')).toBe(versionWithoutBuild('1.0.0+b'));
    expect(versionWithoutBuild('1.0.0-rc.1+a')).toBe('1.0.0-rc.1');
  });

  it.each([
    ['a', '1/a'],
    ['ab', '2/ab'],
    ['abc', '3/a/abc'],
    ['Cargo', 'ca/rg/cargo'],
    ['demo-lib', 'de/mo/demo-lib'],
  ])('puts %p at %p in the index', (name, expected) => {
    expect(indexPath(name)).toBe(expected);
  });

  it.each(HOSTILE_NAMES.map((h) => [h.label, h]))(
    'refuses the hostile name %s as crate name and version',
    (_label, { value, fileNameOnly }) => {
      expect(() => checkCrateVersion(value)).toThrow(/invalid crate version/);
      // Device names are hostile only as file names; a crate name never becomes one as it is.
      if (!fileNameOnly) expect(() => checkCrateName(value)).toThrow(RegistryError);
    },
  );
});
