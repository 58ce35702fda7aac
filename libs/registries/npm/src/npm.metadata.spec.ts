import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import * as tar from 'tar-stream';
import { InvalidArtifactError, RegistryError } from '@wharf/packages-core';
import {
  assertDistTag,
  assertIntegrity,
  assertManifestAgrees,
  assertNpmName,
  canonicalVersion,
  integrityOf,
  readPublishedVersion,
  readTarballManifest,
  tarballFileName,
  versionManifest,
} from './npm.metadata';

// A real tarball from the real `npm pack`, with npm's own integrity and shasum to compare.
let tarball: Buffer;
let packed: { integrity: string; shasum: string; filename: string };
let dir: string;

beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'wharf-npm-pack-'));
  const pkg = { name: '@wharf/demo', version: '1.2.3', description: 'demo', main: 'index.js' };
  writeFileSync(path.join(dir, 'package.json'), JSON.stringify(pkg));
  writeFileSync(path.join(dir, 'index.js'), 'module.exports = 42;\n');
  const res = spawnSync('npm', ['pack', '--json', '--cache', path.join(dir, '.cache')], {
    cwd: dir,
    encoding: 'utf8',
    // Packing a local folder needs no registry: offline, no update check (a flaky network
    // read once failed the pack with EOF).
    env: {
      PATH: process.env.PATH!,
      HOME: dir,
      npm_config_offline: 'true',
      npm_config_update_notifier: 'false',
    },
  });
  if (res.status !== 0) throw new Error(`npm pack failed: ${res.stderr}`);
  [packed] = JSON.parse(res.stdout) as (typeof packed)[];
  tarball = readFileSync(path.join(dir, packed.filename));
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function tgz(entries: { name: string; body: string }[]): Promise<Buffer> {
  const pack = tar.pack();
  for (const e of entries) pack.entry({ name: e.name }, e.body);
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const c of pack) chunks.push(c as Buffer);
  return gzipSync(Buffer.concat(chunks));
}

async function failure(promise: Promise<unknown>): Promise<Error> {
  return promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (err: Error) => err,
  );
}

describe('readTarballManifest', () => {
  it('reads name and version of a tarball made by npm pack', async () => {
    expect(await readTarballManifest(Readable.from(tarball))).toEqual({
      name: '@wharf/demo',
      version: '1.2.3',
    });
  });

  it('finds package.json under any top directory, as npm does', async () => {
    const archive = await tgz([
      { name: 'README.md', body: 'x' },
      { name: 'node/package.json', body: '{"name":"a","version":"1.0.0"}' },
    ]);
    expect(await readTarballManifest(Readable.from(archive))).toEqual({
      name: 'a',
      version: '1.0.0',
    });
  });

  it.each([
    [[{ name: 'package/index.js', body: '' }], 'the tarball has no package/package.json'],
    [[{ name: 'package/package.json', body: '{nope' }], /is not valid JSON/],
    [[{ name: 'package/package.json', body: '[1]' }], /is not a JSON object/],
  ])('refuses a tarball with %j', async (entries, reason) => {
    const err = await failure(readTarballManifest(Readable.from(await tgz(entries))));
    expect(err).toBeInstanceOf(InvalidArtifactError);
    expect(err.message).toMatch(reason);
  });

  // Issue 11: such tarballs were accepted; npm's extractor would drop links, and a
  // client trusting the names could write outside its target.
  it.each([
    [
      'an entry ../../x',
      'mkdir -p package/lib && echo x > x && cd package/lib',
      '. ../../x',
      /"\.\.\/\.\.\/x" that is refused: the name has a "\.\." segment/,
    ],
    [
      'an absolute path',
      'true',
      'package "$PWD/package/index.js"',
      /that is refused: the name is an absolute path/,
    ],
    [
      'a symlink',
      'ln -s /etc/passwd package/passwd',
      'package',
      /"package\/passwd" that is refused: it is a symbolic link/,
    ],
    [
      'a hardlink',
      'ln package/index.js package/copy.js',
      'package',
      /that is refused: it is a hard link/,
    ],
  ])(
    'refuses a tarball with %s, made by GNU tar (400)',
    async (_what, prepare, entries, reason) => {
      const work = mkdtempSync(path.join(dir, 'case-'));
      mkdirSync(path.join(work, 'package'));
      writeFileSync(path.join(work, 'package/package.json'), '{"name":"a","version":"1.0.0"}');
      writeFileSync(path.join(work, 'package/index.js'), '');
      const archive = execFileSync('sh', ['-c', `${prepare} && tar -cPzf - ${entries}`], {
        cwd: work,
      });
      const err = await failure(readTarballManifest(Readable.from([archive])));
      expect(err).toBeInstanceOf(InvalidArtifactError);
      expect((err as InvalidArtifactError).status).toBe(400);
      expect(err.message).toMatch(reason);
    },
  );

  it('refuses what is not gzip', async () => {
    const err = await failure(readTarballManifest(Readable.from(Buffer.from('plain text'))));
    expect(err).toBeInstanceOf(InvalidArtifactError);
    expect(err.message).toMatch(/not a valid gzip-compressed tar archive/);
  });
});

describe('integrity', () => {
  const digests = () => ({
    sha1: createHash('sha1').update(tarball).digest('hex'),
    sha512: createHash('sha512').update(tarball).digest('hex'),
  });

  it('computes what npm computes', () => {
    expect(integrityOf(digests().sha512)).toBe(packed.integrity);
    expect(digests().sha1).toBe(packed.shasum);
  });

  it("accepts npm's integrity, sha1 forms and several hashes", () => {
    const sha1 = `sha1-${Buffer.from(digests().sha1, 'hex').toString('base64')}`;
    expect(() => assertIntegrity(packed.integrity, digests())).not.toThrow();
    expect(() => assertIntegrity(`${sha1} ${packed.integrity}`, digests())).not.toThrow();
    expect(() => assertIntegrity(undefined, digests())).not.toThrow();
  });

  it.each([
    ['another file', () => `sha512-${createHash('sha512').update('x').digest('base64')}`],
    ['one bad of two', () => `sha1-AAAA ${packed.integrity}`],
    ['empty', () => ''],
    ['not a string', () => 42],
  ])('refuses %s', (_what, integrity) => {
    expect(() => assertIntegrity(integrity(), digests())).toThrow(InvalidArtifactError);
  });
});

describe('assertManifestAgrees', () => {
  it('accepts the packed manifest for its name and version', async () => {
    const found = await readTarballManifest(Readable.from(tarball));
    expect(() => assertManifestAgrees(found, '@wharf/demo', '1.2.3')).not.toThrow();
    expect(() =>
      assertManifestAgrees({ ...found, version: 'v1.2.3' }, '@wharf/demo', '1.2.3'),
    ).not.toThrow();
  });

  it('refuses another name or version', async () => {
    const found = await readTarballManifest(Readable.from(tarball));
    expect(() => assertManifestAgrees(found, '@wharf/other', '1.2.3')).toThrow(
      `the tarball's package.json names "@wharf/demo", but the document publishes @wharf/other`,
    );
    expect(() => assertManifestAgrees(found, '@wharf/demo', '1.2.4')).toThrow(
      `the tarball's package.json has version "1.2.3", but the document publishes 1.2.4`,
    );
  });
});

describe('canonicalVersion', () => {
  it.each([
    ['1.0.0', '1.0.0'],
    ['v1.0.0', '1.0.0'],
    ['1.0.0-beta.1', '1.0.0-beta.1'],
    ['1.0.0+build.5', '1.0.0'],
  ])('%s → %s', (input, expected) => {
    expect(canonicalVersion(input)).toBe(expected);
  });

  it.each(['1.0', 'latest', '', '01.0.0', 42, undefined])('refuses %j', (input) => {
    expect(() => canonicalVersion(input)).toThrow(/it must be SemVer/);
  });
});

describe('assertDistTag', () => {
  it.each(['latest', 'next', 'beta-2', 'canary'])('accepts %s', (tag) => {
    expect(() => assertDistTag(tag)).not.toThrow();
  });

  it.each(['1.0', 'v1.0', '^1.2.0', '1.x', 'a b', 'a?b', '', '../x'])('refuses %j', (tag) => {
    expect(() => assertDistTag(tag)).toThrow(RegistryError);
  });
});

describe('assertNpmName', () => {
  it.each(['demo', '@scope/demo', 'a.b_c-d~e', 'x'.repeat(214)])('accepts %s', (name) => {
    expect(() => assertNpmName(name)).not.toThrow();
  });

  it.each(['Demo', '@scope', '@scope/', '.hidden', '_under', 'a b', 'a/b/c', 'x'.repeat(215)])(
    'refuses %j',
    (name) => {
      expect(() => assertNpmName(name)).toThrow(RegistryError);
    },
  );
});

describe('readPublishedVersion', () => {
  const doc = (over: Record<string, unknown> = {}) => ({
    _id: '@wharf/demo',
    name: '@wharf/demo',
    'dist-tags': { latest: '1.2.3', next: '1.2.3' },
    versions: { '1.2.3': { name: '@wharf/demo', version: '1.2.3', main: 'index.js' } },
    ...over,
  });

  it('returns the version, its object and the tags to move', () => {
    const read = readPublishedVersion(doc(), '@wharf/demo');
    expect(read).toEqual({
      version: '1.2.3',
      raw: { name: '@wharf/demo', version: '1.2.3', main: 'index.js' },
      tags: ['latest', 'next'],
    });
    expect(readPublishedVersion(doc({ 'dist-tags': {} }), '@wharf/demo').tags).toEqual(['latest']);
    expect(
      readPublishedVersion(doc({ versions: { 'v2.0.0': { main: 'x' } } }), '@wharf/demo').version,
    ).toBe('2.0.0');
  });

  it.each([
    [
      'another name',
      { name: '@wharf/other' },
      /the document publishes "@wharf\/other", but the URL names @wharf\/demo/,
    ],
    ['no version', { versions: {} }, /exactly one version/],
    ['two versions', { versions: { '1.0.0': {}, '2.0.0': {} } }, /exactly one version/],
    ['a bad semver', { versions: { '1.0': { version: '1.0' } } }, /invalid package version "1.0"/],
    [
      'a version object of another package',
      { versions: { '1.2.3': { name: 'x', version: '1.2.3' } } },
      /the version object names "x"/,
    ],
    [
      'a tag that reads as a version',
      { 'dist-tags': { '1.0': '1.2.3' } },
      /invalid dist-tag "1.0"/,
    ],
  ])('refuses %s', (_what, over, reason) => {
    expect(() => readPublishedVersion(doc(over), '@wharf/demo')).toThrow(reason);
  });
});

describe('versionManifest and tarballFileName', () => {
  it('drops what Wharf owns and pins name and version', () => {
    const raw = {
      _id: 'x',
      _rev: '1',
      dist: { tarball: 'evil' },
      name: 'x',
      version: '0',
      main: 'a',
    };
    expect(versionManifest(raw, '@wharf/demo', '1.2.3')).toEqual({
      name: '@wharf/demo',
      version: '1.2.3',
      main: 'a',
    });
    expect(() => versionManifest('nope', 'a', '1.0.0')).toThrow(RegistryError);
  });

  it('names the stored tarball as npm pack does', () => {
    expect(tarballFileName('@wharf/demo', '1.2.3')).toBe('demo-1.2.3.tgz');
    expect(packed.filename).toBe('wharf-demo-1.2.3.tgz'); // npm's local name keeps the scope; the registry's does not
    expect(tarballFileName('demo', '1.0.0-RC.1')).toBe('demo-1.0.0-rc.1.tgz');
  });
});
