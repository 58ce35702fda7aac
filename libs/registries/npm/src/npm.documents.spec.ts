import {
  ABBREVIATED_PACKUMENT,
  buildAbbreviatedPackument,
  buildPackument,
  headVersion,
  PackumentInput,
  StoredNpmVersion,
  tarballUrl,
  wantsAbbreviated,
} from './npm.documents';
import { integrityOf } from './npm.metadata';

const REGISTRY = 'https://wharf.example/api/packages/alice/npm';
const SHA512 = 'ab'.repeat(64);

function version(
  v: string,
  createdUnix: number,
  manifest: Record<string, unknown> = {},
): StoredNpmVersion {
  return {
    version: v,
    createdUnix,
    metadata: {
      manifest: { name: '@wharf/demo', version: v, ...manifest },
      dist: {
        filename: `demo-${v}.tgz`,
        shasum: `sha1-of-${v}`,
        integrity: integrityOf(SHA512),
        size: 100,
      },
    },
  };
}

const input = (over: Partial<PackumentInput> = {}): PackumentInput => ({
  name: '@wharf/demo',
  registryUrl: REGISTRY,
  createdUnix: 1_700_000_000,
  tags: { latest: '1.0.0', next: '2.0.0-rc.1' },
  versions: [
    version('2.0.0-rc.1', 1_700_000_300, {
      description: 'next one',
      scripts: { postinstall: 'x' },
    }),
    version('1.0.0', 1_700_000_100, {
      description: 'the demo',
      readme: '# demo',
      keywords: ['a'],
      dependencies: { left: '^1.0.0' },
      scripts: { test: 'jest' },
      devDependencies: { jest: '*' },
    }),
    version('0.9.0', 1_700_000_050),
  ],
  ...over,
});

describe('buildPackument', () => {
  const doc = buildPackument(input());

  it('describes the package by the version latest points at', () => {
    expect(doc).toMatchObject({
      _id: '@wharf/demo',
      name: '@wharf/demo',
      description: 'the demo',
      readme: '# demo',
      keywords: ['a'],
      'dist-tags': { latest: '1.0.0', next: '2.0.0-rc.1' },
    });
  });

  it('lists versions in SemVer order with their dist', () => {
    const versions = doc.versions as Record<string, Record<string, unknown>>;
    expect(Object.keys(versions)).toEqual(['0.9.0', '1.0.0', '2.0.0-rc.1']);
    expect(versions['1.0.0']).toEqual({
      name: '@wharf/demo',
      version: '1.0.0',
      _id: '@wharf/demo@1.0.0',
      description: 'the demo',
      readme: '# demo',
      keywords: ['a'],
      dependencies: { left: '^1.0.0' },
      scripts: { test: 'jest' },
      devDependencies: { jest: '*' },
      dist: {
        shasum: 'sha1-of-1.0.0',
        integrity: `sha512-${Buffer.from(SHA512, 'hex').toString('base64')}`,
        tarball: `${REGISTRY}/%40wharf%2Fdemo/-/1.0.0/demo-1.0.0.tgz`,
      },
    });
  });

  it('dates each version, the creation and the last change', () => {
    expect(doc.time).toEqual({
      created: '2023-11-14T22:13:20.000Z',
      modified: '2023-11-14T22:18:20.000Z',
      '0.9.0': '2023-11-14T22:14:10.000Z',
      '1.0.0': '2023-11-14T22:15:00.000Z',
      '2.0.0-rc.1': '2023-11-14T22:18:20.000Z',
    });
  });

  it('falls back to the highest release without latest', () => {
    expect(buildPackument(input({ tags: {} })).description).toBe('the demo');
    expect(headVersion(input().versions, {})?.version).toBe('1.0.0');
    expect(headVersion([version('1.0.0-a', 1)], {})?.version).toBe('1.0.0-a');
    expect(headVersion([], {})).toBeUndefined();
  });
});

describe('buildAbbreviatedPackument', () => {
  const doc = buildAbbreviatedPackument(input());
  const versions = doc.versions as Record<string, Record<string, unknown>>;

  it('keeps only what an install needs', () => {
    expect(Object.keys(doc).sort()).toEqual(['dist-tags', 'modified', 'name', 'versions']);
    expect(doc.modified).toBe('2023-11-14T22:18:20.000Z');
    expect(doc['dist-tags']).toEqual({ latest: '1.0.0', next: '2.0.0-rc.1' });
    expect(versions['1.0.0']).toEqual({
      name: '@wharf/demo',
      version: '1.0.0',
      dependencies: { left: '^1.0.0' },
      devDependencies: { jest: '*' },
      dist: {
        shasum: 'sha1-of-1.0.0',
        integrity: integrityOf(SHA512),
        tarball: `${REGISTRY}/%40wharf%2Fdemo/-/1.0.0/demo-1.0.0.tgz`,
      },
    });
  });

  it('flags install scripts, not other scripts', () => {
    expect(versions['2.0.0-rc.1'].hasInstallScript).toBe(true);
    expect(versions['1.0.0']).not.toHaveProperty('hasInstallScript');
    expect(versions['1.0.0']).not.toHaveProperty('scripts');
  });
});

describe('tarballUrl', () => {
  it('escapes the scope and keeps the URL under the registry base', () => {
    expect(tarballUrl(REGISTRY, '@s/p', '1.0.0+b', 'p-1.0.0.tgz')).toBe(
      `${REGISTRY}/%40s%2Fp/-/1.0.0%2Bb/p-1.0.0.tgz`,
    );
  });
});

describe('wantsAbbreviated', () => {
  it.each<[string | undefined, boolean]>([
    // npm install's Accept header
    [`${ABBREVIATED_PACKUMENT}; q=1.0, application/json; q=0.8, */*`, true],
    ['APPLICATION/VND.NPM.INSTALL-V1+JSON', true],
    ['application/json', false],
    [`application/json, ${ABBREVIATED_PACKUMENT}`, false],
    ['*/*', false],
    ['', false],
    [undefined, false],
  ])('%j → %s', (accept, expected) => {
    expect(wantsAbbreviated(accept)).toBe(expected);
  });
});
