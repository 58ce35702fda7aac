import { execFileSync } from 'node:child_process';
import {
  createReadStream,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { ArchiveBudgetError, InvalidArtifactError, RegistryError } from '@wharf/packages-core';
import { buildDistributions } from '../../../../test/support/clients/pypi';
import { readTarSdistMetadata, readWheelMetadata } from './distribution-reader';
import {
  assertDistributionFilename,
  assertMetadataAgrees,
  canonicalVersion,
  normalizeProjectName,
  parseCoreMetadata,
  pickHomepage,
  projectDisplayName,
} from './pypi.metadata';

describe('canonicalVersion (PEP 440)', () => {
  it.each([
    ['1.0', '1.0'],
    ['v1.0.1', '1.0.1'],
    ['01.02', '1.2'],
    ['1.0RC1', '1.0rc1'],
    ['1.0-alpha', '1.0a0'],
    ['1.0.beta.3', '1.0b3'],
    ['1.0c1', '1.0rc1'],
    ['1.0preview2', '1.0rc2'],
    ['1.0.post', '1.0.post0'],
    ['1.0-1', '1.0.post1'],
    ['1.0.r4', '1.0.post4'],
    ['1.0rev', '1.0.post0'],
    ['1.0.dev', '1.0.dev0'],
    ['1.0a1.post2.dev3', '1.0a1.post2.dev3'],
    ['0!1.0', '1.0'],
    ['1!2.0', '1!2.0'],
    ['1.0+Ubuntu-1_2', '1.0+ubuntu.1.2'],
    [' 1.0 ', '1.0'],
  ])('%j → %s', (input, expected) => {
    expect(canonicalVersion(input)).toBe(expected);
  });

  it.each(['', 'abc', '1..0', '1.0-foo', '1.0+', '1.0+a..b', 'latest'])('refuses %j', (input) => {
    expect(() => canonicalVersion(input)).toThrow(/is not a PEP 440 version/);
  });
});

describe('normalizeProjectName (PEP 503)', () => {
  it.each([
    ['Django', 'django'],
    ['Foo_Bar.baz', 'foo-bar-baz'],
    ['a--_.b', 'a-b'],
    ['zope.interface', 'zope-interface'],
    ['already-normal', 'already-normal'],
  ])('%s → %s', (input, expected) => {
    expect(normalizeProjectName(input)).toBe(expected);
  });
});

describe('projectDisplayName', () => {
  it('keeps case and folds separators', () => {
    expect(projectDisplayName('Foo_Bar..baz')).toBe('Foo-Bar-baz');
  });

  it.each(['', '-foo', 'foo-', 'a b', 'a/b', 'é'])('refuses %j', (name) => {
    expect(() => projectDisplayName(name)).toThrow(RegistryError);
  });
});

describe('assertDistributionFilename', () => {
  it.each([
    'Foo_Bar-1.0-py3-none-any.whl',
    'foo.bar-1.0-1-py3-none-any.whl',
    'foo_bar-1.0rc1-py3-none-any.whl',
    'foo-bar-1.0.tar.gz',
  ])('accepts %s for foo-bar 1.0 (or 1.0rc1)', (file) => {
    const version = file.includes('rc1') ? '1.0rc1' : '1.0';
    expect(() => assertDistributionFilename(file, 'foo-bar', version)).not.toThrow();
  });

  it.each([
    ['other-1.0-py3-none-any.whl', /is for project other, not foo-bar/],
    ['foo_bar-2.0-py3-none-any.whl', /is version 2.0, not 1.0/],
    ['foo_bar-1.0-any.whl', /invalid wheel file name/],
    ['../foo_bar-1.0.tar.gz', RegistryError],
  ])('refuses %s', (file, reason) => {
    expect(() => assertDistributionFilename(file, 'foo-bar', '1.0')).toThrow(reason);
  });
});

describe('core metadata of real distributions', () => {
  let dir: string;
  let wheel: Buffer;
  let sdist: Buffer;

  beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'wharf-pypi-meta-'));
    const built = buildDistributions('wharf-demo', '1.2.0', dir);
    wheel = readFileSync(built.wheel);
    sdist = readFileSync(built.sdist);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const ranges = (bytes: Buffer) => async (start: number, end: number) =>
    Readable.from([bytes.subarray(start, end + 1)]);

  it('reads and parses the METADATA of a wheel', async () => {
    const text = (await readWheelMetadata(ranges(wheel), wheel.length))!.toString('utf8');
    const meta = parseCoreMetadata(text);
    expect(meta.fields).toMatchObject({
      'metadata-version': '2.1',
      name: 'wharf-demo',
      version: '1.2.0',
      summary: 'A demo package for Wharf',
      'requires-python': '>=3.7',
      'home-page': 'https://example.com/demo',
      description: 'Long description of wharf-demo.',
    });
    expect(meta.multi['project-url']).toEqual(['Homepage, https://example.com/home']);
    expect(() => assertMetadataAgrees(meta, 'Wharf_Demo', '1.2.0', 'METADATA')).not.toThrow();
    expect(() => assertMetadataAgrees(meta, 'other', '1.2.0', 'METADATA')).toThrow(
      'METADATA names project wharf-demo, but the upload is for other',
    );
    expect(() => assertMetadataAgrees(meta, 'wharf-demo', '1.3', 'METADATA')).toThrow(
      'METADATA has version 1.2.0, but the upload is for 1.3',
    );
  });

  it('reads the PKG-INFO of a tar sdist', async () => {
    const text = (await readTarSdistMetadata(Readable.from(sdist)))!.toString('utf8');
    expect(parseCoreMetadata(text).fields.name).toBe('wharf-demo');
  });

  describe('refuses hostile tar sdists made by GNU tar and gzip (issue 11)', () => {
    /** `demo-1.0/PKG-INFO` in a fresh directory, then `prepare`, then the shell `make` writes sdist.tar.gz. */
    function sdistOf(prepare: string, make = 'tar -cPzf sdist.tar.gz demo-1.0'): string {
      const work = mkdtempSync(path.join(dir, 'case-'));
      mkdirSync(path.join(work, 'demo-1.0'));
      writeFileSync(
        path.join(work, 'demo-1.0/PKG-INFO'),
        'Metadata-Version: 2.1\nName: demo\nVersion: 1.0\n',
      );
      execFileSync('sh', ['-c', `${prepare} && ${make}`], { cwd: work });
      return path.join(work, 'sdist.tar.gz');
    }

    it('a PKG-INFO that inflates to 2 GiB, refused from its header (413)', async () => {
      // GNU tar's own header for a 2 GiB PKG-INFO, then 2 GiB of gzip'd zeros as 32
      // concatenated 64 MiB members: 2 MiB on disk.
      const file = sdistOf(
        'rm demo-1.0/PKG-INFO && truncate -s 2G demo-1.0/PKG-INFO && ' +
          'head -c 64M /dev/zero | gzip -1 > z.gz',
        '{ tar -cf - demo-1.0 | head -c 1024 | gzip -1; for i in $(seq 32); do cat z.gz; done; } > sdist.tar.gz',
      );
      const err = await readTarSdistMetadata(createReadStream(file)).catch((e: Error) => e);
      expect(err).toBeInstanceOf(ArchiveBudgetError);
      expect((err as ArchiveBudgetError).status).toBe(413);
      expect((err as Error).message).toBe(
        'the sdist has an entry "demo-1.0/PKG-INFO" of 2147483648 bytes; at most 8388608 are read',
      );
    });

    it('a gzip bomb beside PKG-INFO, refused at the unpacked budget (413)', async () => {
      const file = sdistOf('truncate -s 64M demo-1.0/zeros');
      const err = await readTarSdistMetadata(createReadStream(file), 16 * 1024 * 1024).catch(
        (e: Error) => e,
      );
      expect(err).toBeInstanceOf(ArchiveBudgetError);
      expect((err as Error).message).toBe('the sdist unpacks to more than 16777216 bytes');
    });

    it.each([
      ['a symlink', 'ln -s /etc/passwd demo-1.0/setup.py', /it is a symbolic link/],
      ['a hardlink', 'ln demo-1.0/PKG-INFO demo-1.0/copy', /it is a hard link/],
      ['a ../ entry', 'echo x > evil && cd demo-1.0', /the name has a "\.\." segment/],
    ])('%s (400)', async (_what, prepare, reason) => {
      const make = prepare.includes('cd demo-1.0')
        ? 'tar -cPzf ../sdist.tar.gz ../demo-1.0/PKG-INFO ../evil'
        : undefined;
      const err = await readTarSdistMetadata(createReadStream(sdistOf(prepare, make))).catch(
        (e: Error) => e,
      );
      expect(err).toBeInstanceOf(InvalidArtifactError);
      expect((err as Error).message).toMatch(reason);
    });
  });

  it('refuses a wheel that is not a zip', async () => {
    const junk = Buffer.from('not a zip at all');
    await expect(readWheelMetadata(ranges(junk), junk.length)).rejects.toThrow(/not a zip archive/);
  });
});

describe('parseCoreMetadata', () => {
  it('joins continuation lines and keeps multiple-use fields', () => {
    const meta = parseCoreMetadata(
      'Metadata-Version: 1.2\r\nName: a\r\nVersion: 1\r\nLicense: MIT\r\n        and more\r\n' +
        'Classifier: A\r\nClassifier: B\r\nDescription: short\r\n\r\nbody is ignored when Description is set\r\n',
    );
    expect(meta.fields.license).toBe('MIT\nand more');
    expect(meta.fields.description).toBe('short');
    expect(meta.multi.classifier).toEqual(['A', 'B']);
  });

  it.each([
    ['Name: a\nVersion: 1\n', /lacks Metadata-Version, Name or Version/],
    ['Metadata-Version: 2.1\nName a\n', /has an invalid line: "Name a"/],
  ])('refuses %j', (text, reason) => {
    expect(() => parseCoreMetadata(text)).toThrow(InvalidArtifactError);
    expect(() => parseCoreMetadata(text)).toThrow(reason);
  });
});

describe('pickHomepage', () => {
  it.each<[string[], string | undefined, string | undefined]>([
    [['Home-page, https://a.example'], 'https://b.example', 'https://a.example'],
    [['Source, https://s.example'], 'https://b.example', 'https://b.example'],
    [['Homepage, javascript:alert(1)'], undefined, undefined],
    [[], 'ftp://x.example', undefined],
  ])('%j, %j → %j', (urls, home, expected) => {
    expect(pickHomepage(urls, home)).toBe(expected);
  });
});
