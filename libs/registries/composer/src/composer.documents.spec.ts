import {
  buildP2Json,
  buildPackagesJson,
  buildSearchJson,
  CatalogEntry,
  ComposerVersion,
  searchQuery,
} from './composer.documents';

const BASE = 'http://h:1/api/packages/user2/composer';

const version = (
  v: string,
  normalized: string,
  createdUnix: number,
  extra = {},
): ComposerVersion => ({
  name: 'gitea/composer-package',
  version: v,
  createdUnix,
  metadata: { version_normalized: normalized, type: 'library', ...extra },
  dist: { type: 'zip', url: `${BASE}/files/x/${v}/f.zip`, shasum: 'ab'.repeat(20) },
});

describe('composer documents', () => {
  it("packages.json carries Forgejo's three templates", () => {
    expect(JSON.parse(buildPackagesJson(BASE))).toEqual({
      search: `${BASE}/search.json?q=%query%&type=%type%`,
      'metadata-url': `${BASE}/p2/%package%.json`,
      list: `${BASE}/list.json`,
    });
  });

  it('p2 splits tagged releases from dev versions, newest first, each entry complete, not minified', () => {
    const versions = [
      version('1.0.0', '1.0.0.0', 100, { description: 'first' }),
      version('dev-main', 'dev-main', 150),
      version('1.1.0-beta1', '1.1.0.0-beta1', 200),
      version('2.x-dev', '2.9999999.9999999.9999999-dev', 300),
    ];
    const tagged = JSON.parse(buildP2Json('gitea/composer-package', versions, false));
    expect(tagged.minified).toBeUndefined();
    expect(tagged.packages['gitea/composer-package']).toEqual([
      {
        name: 'gitea/composer-package',
        version: '1.1.0-beta1',
        version_normalized: '1.1.0.0-beta1',
        type: 'library',
        time: '1970-01-01T00:03:20+00:00',
        dist: versions[2].dist,
      },
      {
        name: 'gitea/composer-package',
        version: '1.0.0',
        version_normalized: '1.0.0.0',
        type: 'library',
        description: 'first',
        time: '1970-01-01T00:01:40+00:00',
        dist: versions[0].dist,
      },
    ]);
    const dev = JSON.parse(buildP2Json('gitea/composer-package', versions, true));
    expect(
      dev.packages['gitea/composer-package'].map((e: { version: string }) => e.version),
    ).toEqual(['2.x-dev', 'dev-main']);
    expect(JSON.parse(buildP2Json('a/b', [], true))).toEqual({ packages: { 'a/b': [] } });
  });

  // Forgejo's search table (docs/protocols/composer.md §7): (q, type, page, per_page) → (total, results).
  it.each([
    ['', '', 0, 0, 1, 1],
    ['', '', 1, 1, 1, 1],
    ['test', '', 1, 0, 0, 0],
    ['gitea', '', 1, 1, 1, 1],
    ['gitea', '', 2, 1, 1, 0],
    ['', 'composer-plugin', 1, 1, 1, 1],
    ['gitea', 'composer-plugin', 1, 1, 1, 1],
    ['gitea', 'dummy', 1, 1, 0, 0],
  ])(
    'search q=%p type=%p page=%p per_page=%p → total %p, %p results',
    (q, type, page, perPage, total, count) => {
      const catalog: CatalogEntry[] = [
        { name: 'gitea/composer-package', description: 'd', type: 'composer-plugin', downloads: 3 },
      ];
      const query = searchQuery({ q, type, page: String(page), per_page: String(perPage) });
      const doc = JSON.parse(buildSearchJson(catalog, query, BASE));
      expect(doc.total).toBe(total);
      expect(doc.results).toHaveLength(count);
      if (count)
        expect(doc.results[0]).toEqual({
          name: 'gitea/composer-package',
          description: 'd',
          downloads: 3,
        });
    },
  );

  it('search links the next page only when this one is full', () => {
    const catalog: CatalogEntry[] = ['a/x', 'b/x', 'c/x'].map((name) => ({
      name,
      description: '',
      type: 'library',
      downloads: 0,
    }));
    const first = JSON.parse(
      buildSearchJson(catalog, searchQuery({ q: 'X', per_page: '2' }), BASE),
    );
    expect(first.results.map((r: { name: string }) => r.name)).toEqual(['a/x', 'b/x']);
    expect(first.next).toBe(`${BASE}/search.json?q=X&type=&page=2&per_page=2`);
    const second = JSON.parse(
      buildSearchJson(catalog, searchQuery({ q: 'x', page: '2', per_page: '2' }), BASE),
    );
    expect(second).toEqual({ total: 3, results: [{ name: 'c/x', description: '', downloads: 0 }] });
    expect(searchQuery({ per_page: '500', page: '-3', q: ['a', 'b'] })).toEqual({
      q: '',
      type: '',
      page: 1,
      perPage: 50,
    });
  });
});
