import { Readable } from 'node:stream';
import { checkName } from '@wharf/packages-core';
import { HOSTILE_NAMES } from '../../../packages-core/src/testing/hostile-names';
import {
  craftedCookbook,
  knifeCookbook,
  metadataJson,
} from '../../../../test/support/clients/chef';
import {
  compareCookbookVersions,
  COOKBOOK_NAME,
  COOKBOOK_VERSION,
  parseMetadataJson,
  readCookbook,
} from './chef.metadata';

const stream = (b: Buffer) => Readable.from([b]);

describe('readCookbook on tarballs packed as knife supermarket share packs them', () => {
  it('reads name, version and the documented fields of {name}/metadata.json', async () => {
    const tarball = knifeCookbook({
      name: 'wharf_base',
      version: '1.2.3',
      description: 'Base setup',
      maintainer: 'Ops Team',
      license: 'MIT',
      sourceUrl: 'https://git.example.com/wharf_base',
      dependencies: { apt: '>= 2.0', yum: '~> 3.1' },
    });
    expect(await readCookbook(stream(tarball))).toEqual({
      name: 'wharf_base',
      version: '1.2.3',
      metadata: {
        description: 'Base setup',
        author: 'Ops Team',
        license: 'MIT',
        repository_url: 'https://git.example.com/wharf_base',
        dependencies: { apt: '>= 2.0', yum: '~> 3.1' },
      },
    });
  });

  it('takes metadata.json one directory deep only, and ./-prefixed names', async () => {
    const nested = await craftedCookbook([
      { name: 'metadata.json', body: metadataJson({ name: 'root', version: '1.0.0' }) },
      { name: 'a/b/metadata.json', body: metadataJson({ name: 'deep', version: '1.0.0' }) },
      { name: './cb/metadata.json', body: metadataJson({ name: 'cb', version: '2.0' }) },
    ]);
    expect((await readCookbook(stream(nested))).name).toBe('cb');
  });

  it('refuses a tarball without {name}/metadata.json', async () => {
    const tarball = await craftedCookbook([
      { name: 'cb/metadata.rb', body: "name 'cb'" },
      { name: 'metadata.json', body: metadataJson({ name: 'cb', version: '1.0.0' }) },
    ]);
    await expect(readCookbook(stream(tarball))).rejects.toThrow(/metadata.json file is missing/);
  });

  it.each([
    ['a ../ entry', [{ name: 'cb/../../evil.rb', body: 'x' }]],
    ['an absolute entry', [{ name: '/etc/cron.d/evil', body: 'x' }]],
    ['a symbolic link', [{ name: 'cb/link', type: 'symlink' as const, linkname: '/etc/passwd' }]],
    ['a link inside', [{ name: 'cb/link', type: 'symlink' as const, linkname: 'README.md' }]],
  ])('refuses %s anywhere in the archive, even after metadata.json', async (_label, extra) => {
    const tarball = await craftedCookbook([
      { name: 'cb/metadata.json', body: metadataJson({ name: 'cb', version: '1.0.0' }) },
      ...extra,
    ]);
    await expect(readCookbook(stream(tarball))).rejects.toMatchObject({ status: 400 });
  });

  it('stops a decompression bomb with a 413', async () => {
    // 64 MiB of zeros gzip to about 64 KiB.
    const bomb = await craftedCookbook([
      { name: 'cb/metadata.json', body: metadataJson({ name: 'cb', version: '1.0.0' }) },
      { name: 'cb/zeros', body: Buffer.alloc(64 * 1024 * 1024) },
    ]);
    expect(bomb.length).toBeLessThan(256 * 1024);
    await expect(
      readCookbook(stream(bomb), { maxMetadataJson: 1024, maxUnpacked: 1024 * 1024 }),
    ).rejects.toMatchObject({ status: 413 });
  });

  it('refuses what is not a gzip tar', async () => {
    await expect(readCookbook(stream(Buffer.from('not a tarball')))).rejects.toMatchObject({
      status: 400,
    });
  });
});

describe('parseMetadataJson', () => {
  const parse = (doc: Record<string, unknown>) => () =>
    parseMetadataJson(Buffer.from(JSON.stringify(doc)));

  it.each([
    [{ version: '1.0.0' }, /has no name/],
    [{ name: 'cb' }, /has no version/],
    [{ name: 'a b', version: '1.0.0' }, /invalid cookbook name/],
    [{ name: '../cb', version: '1.0.0' }, /invalid cookbook name/],
    [{ name: 'cb', version: '1.0.0-beta' }, /invalid cookbook version/],
    [{ name: 'cb', version: '1.0.0.1' }, /invalid cookbook version/],
    [{ name: 'cb', version: '1.0', dependencies: { '../x': '>= 1' } }, /invalid dependency name/],
    [{ name: 'cb', version: '1.0', dependencies: { x: 1 } }, /constraint of dependency x/],
    [{ name: 'cb', version: '1.0', dependencies: ['x'] }, /dependencies must be an object/],
  ])('refuses %j', (doc, message) => {
    expect(parse(doc)).toThrow(message);
  });

  it('drops a source_url that is no web URL and keeps x.y versions', () => {
    const doc = { name: 'cb', version: '1.0', source_url: 'javascript:alert(1)' };
    expect(parse(doc)()).toEqual({ name: 'cb', version: '1.0', metadata: {} });
  });

  it('refuses a document nested past the depth limit', () => {
    const deep = `{"name":"cb","version":"1.0","x":${'['.repeat(100)}${']'.repeat(100)}}`;
    expect(() => parseMetadataJson(Buffer.from(deep))).toThrow(/nested deeper/);
  });
});

describe('cookbook names and versions', () => {
  it.each(['apt', 'wharf_base', 'my-cookbook', 'cb.v2', '7zip'])('accepts name %p', (n) => {
    expect(checkName(n, COOKBOOK_NAME)).toBe(n);
  });
  it.each(['.hidden', '-x', 'a/b', 'a b', 'ä'])('refuses name %p', (n) => {
    expect(() => checkName(n, COOKBOOK_NAME)).toThrow(/invalid cookbook name/);
  });
  it.each(HOSTILE_NAMES.map((h) => [h.label, h.value]))('refuses hostile %s', (_l, value) => {
    expect(() => checkName(value, COOKBOOK_NAME)).toThrow(/invalid cookbook name/);
    expect(() => checkName(value, COOKBOOK_VERSION)).toThrow(/invalid cookbook version/);
  });

  it('orders versions as Chef::Version does', () => {
    const sorted = ['1.10.0', '1.2', '1.2.1', '0.9.9', '1.9'].sort(compareCookbookVersions);
    expect(sorted).toEqual(['0.9.9', '1.2', '1.2.1', '1.9', '1.10.0']);
    expect(compareCookbookVersions('1.0', '1.0.0')).toBe(0);
  });
});
