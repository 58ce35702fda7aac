import {
  buildCatalog,
  buildCookbook,
  buildList,
  buildUniverse,
  buildVersion,
  CookbookVersion,
  listQuery,
} from './chef.documents';

const API = 'https://wharf.example.com/api/packages/alice/chef/api/v1';
const v = (name: string, version: string, createdUnix: number, extra = {}): CookbookVersion => ({
  name,
  version,
  createdUnix,
  size: 100,
  metadata: { author: 'KN4CK3R', description: `${name} ${version}`, ...extra },
});
const VERSIONS = [
  v('test', '1.0.1', 1000, { dependencies: { apt: '>= 2.0' } }),
  v('test', '1.0.10', 1100),
  v('test', '1.0.2', 1200),
  v('apt', '2.0', 900),
];

describe('Supermarket documents', () => {
  it('builds the universe Forgejo serves', () => {
    const universe = JSON.parse(buildUniverse(API, VERSIONS));
    expect(Object.keys(universe.test)).toEqual(['1.0.1', '1.0.10', '1.0.2']);
    expect(universe.test['1.0.1']).toEqual({
      location_type: 'opscode',
      location_path: API,
      download_url: `${API}/cookbooks/test/versions/1.0.1/download`,
      dependencies: { apt: '>= 2.0' },
    });
    expect(universe.apt['2.0'].dependencies).toEqual({});
  });

  it('lists one entry per cookbook, described by its highest version, paged', () => {
    const catalog = buildCatalog(VERSIONS);
    const page = (q: Record<string, string>, withQ = true) =>
      JSON.parse(buildList(API, catalog, listQuery(q, withQ)));
    // Forgejo's search cases: (q, start, items) → total, count.
    expect(page({ q: '', start: '0', items: '0' })).toMatchObject({ start: 0, total: 2 });
    expect(page({ q: 'gitea' })).toEqual({ start: 0, total: 0, items: [] });
    expect(page({ q: 'TEST', start: '0', items: '10' }).items).toEqual([
      {
        cookbook_name: 'test',
        cookbook_maintainer: 'KN4CK3R',
        cookbook_description: 'test 1.0.10',
        cookbook: `${API}/cookbooks/test`,
      },
    ]);
    expect(page({ q: 'test', start: '1', items: '10' })).toEqual({ start: 1, total: 1, items: [] });
    const names = (q: Record<string, string>) =>
      page(q, false).items.map((i: { cookbook_name: string }) => i.cookbook_name);
    expect(names({ q: 'test' })).toEqual(['apt', 'test']); // /cookbooks has no q
    expect(names({ order: 'RECENTLY_UPDATED' })).toEqual(['test', 'apt']);
    expect(names({ sort_order: 'recently_added' })).toEqual(['test', 'apt']);
    expect(names({ items: '1', start: 'x' })).toEqual(['apt']);
    expect(listQuery({ items: '500' }, true).items).toBe(50);
  });

  it('builds the cookbook document with versions in Chef order and the highest as latest', () => {
    const doc = JSON.parse(buildCookbook(API, VERSIONS.slice(0, 3)));
    const url = (ver: string) => `${API}/cookbooks/test/versions/${ver}`;
    expect(doc).toMatchObject({
      name: 'test',
      maintainer: 'KN4CK3R',
      description: 'test 1.0.10',
      latest_version: url('1.0.10'),
      deprecated: false,
      versions: [url('1.0.1'), url('1.0.2'), url('1.0.10')],
      created_at: '1970-01-01T00:16:40Z',
      updated_at: '1970-01-01T00:20:00Z',
    });
  });

  it('builds the version document with a dotted download URL', () => {
    expect(JSON.parse(buildVersion(API, VERSIONS[0]))).toEqual({
      version: '1.0.1',
      tarball_file_size: 100,
      published_at: '1970-01-01T00:16:40Z',
      cookbook: `${API}/cookbooks/test`,
      file: `${API}/cookbooks/test/versions/1.0.1/download`,
      license: '',
      dependencies: { apt: '>= 2.0' },
    });
  });
});
