import { readFileSync } from 'node:fs';
import path from 'node:path';
import {
  buildConfig,
  buildIndexFile,
  buildOwners,
  buildSearch,
  indexLine,
  splitFeatures,
} from './cargo.documents';
import { parsePublishMetadata } from './cargo.metadata';

const fixture = (file: string) =>
  parsePublishMetadata(readFileSync(path.join(__dirname, 'fixtures', file)));

describe('cargo documents', () => {
  it('config.json: dl without markers (cargo appends /{crate}/{version}/download), api, auth-required', () => {
    expect(buildConfig('http://h/api/packages/alice/cargo', true)).toEqual({
      dl: 'http://h/api/packages/alice/cargo/api/v1/crates',
      api: 'http://h/api/packages/alice/cargo',
      'auth-required': true,
    });
  });

  it('writes one newline-terminated JSON line per version, fields in crates.io order', () => {
    const lib = fixture('demo-lib-0.1.0.json');
    const body = buildIndexFile([
      { metadata: lib, cksum: 'a'.repeat(64), yanked: false },
      { metadata: { ...lib, vers: '0.2.0' }, cksum: 'b'.repeat(64), yanked: true },
    ]);
    expect(body).toBe(
      '{"name":"demo-lib","vers":"0.1.0","deps":[],"cksum":"' +
        'a'.repeat(64) +
        '","features":{"default":["std"],"std":[]},"yanked":false}\n' +
        '{"name":"demo-lib","vers":"0.2.0","deps":[],"cksum":"' +
        'b'.repeat(64) +
        '","features":{"default":["std"],"std":[]},"yanked":true}\n',
    );
  });

  it('moves dep:/?/ features to features2 (schema v2) and carries links and rust_version', () => {
    const line = indexLine({
      metadata: fixture('Demo_App-1.2.3-beta.1+build.5.json'),
      cksum: 'c'.repeat(64),
      yanked: false,
    });
    expect(line).toMatchObject({
      name: 'Demo_App',
      vers: '1.2.3-beta.1+build.5',
      features: { default: [] },
      features2: { extra: ['dep:opt'], weak: ['opt?/std'] },
      links: 'demoapp',
      rust_version: '1.70',
      v: 2,
    });
    expect(Object.keys(line)).toEqual([
      'name',
      'vers',
      'deps',
      'cksum',
      'features',
      'features2',
      'yanked',
      'links',
      'rust_version',
      'v',
    ]);
    for (const dep of line.deps) expect(Array.isArray(dep.features)).toBe(true);
  });

  it('never writes null features, even for metadata stored without them', () => {
    const line = indexLine({
      metadata: {
        name: 'x',
        vers: '1.0.0',
        deps: [
          {
            name: 'd',
            req: '1',
            features: undefined as unknown as string[],
            optional: false,
            default_features: true,
            target: null,
            kind: 'normal',
            registry: null,
          },
        ],
        features: undefined as unknown as Record<string, string[]>,
      },
      cksum: '',
      yanked: false,
    });
    expect(line.features).toEqual({});
    expect(line.deps[0].features).toEqual([]);
    expect(splitFeatures({ a: ['b'] })).toEqual({ features: { a: ['b'] } });
  });

  it('search and owners bodies', () => {
    expect(buildSearch([{ name: 'a', max_version: '1.0.0', description: 'd' }], 3)).toEqual({
      crates: [{ name: 'a', max_version: '1.0.0', description: 'd' }],
      meta: { total: 3 },
    });
    expect(buildOwners({ id: 7, name: 'alice', fullName: '' })).toEqual({
      users: [{ id: 7, login: 'alice', name: 'alice' }],
    });
  });
});
