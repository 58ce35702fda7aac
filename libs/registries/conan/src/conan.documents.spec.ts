import {
  buildFileList,
  buildLatest,
  buildRecipeSearch,
  buildRevisions,
  conanTime,
  parseRecipeQuery,
  revisionsOf,
} from './conan.documents';

describe('Conan documents', () => {
  it('orders revisions by their newest file, ties broken by upload order', () => {
    const revisions = revisionsOf([
      { revision: 'r1', createdUnix: 100, id: 1 },
      { revision: 'r2', createdUnix: 100, id: 2 },
      { revision: 'r1', createdUnix: 100, id: 3 },
      { revision: 'r3', createdUnix: 90, id: 4 },
    ]);
    expect(revisions.map((r) => r.revision)).toEqual(['r1', 'r2', 'r3']);
    expect(JSON.parse(buildRevisions(revisions))).toEqual({
      revisions: [
        { revision: 'r1', time: '1970-01-01T00:01:40+00:00' },
        { revision: 'r2', time: '1970-01-01T00:01:40+00:00' },
        { revision: 'r3', time: '1970-01-01T00:01:30+00:00' },
      ],
    });
    expect(JSON.parse(buildLatest(revisions[0]))).toEqual({ revision: 'r1', time: conanTime(100) });
  });

  it('lists files as Conan reads them, by key', () => {
    expect(JSON.parse(buildFileList(['conanmanifest.txt', 'conanfile.py']))).toEqual({
      files: { 'conanfile.py': {}, 'conanmanifest.txt': {} },
    });
  });

  const refs = [
    { name: 'zlib', version: '1.3', user: '', channel: '' },
    { name: 'zlib', version: '1.2', user: 'acme', channel: 'stable' },
    { name: 'zlib', version: '1.2', user: 'acme', channel: 'stable' },
    { name: 'zstd', version: '1.5', user: 'acme', channel: 'testing' },
  ];
  const search = (q: string) => JSON.parse(buildRecipeSearch(refs, parseRecipeQuery(q))).results;

  it("reads q as Forgejo does and answers Conan's reference strings, once each", () => {
    expect(search('')).toEqual(['zlib/1.2@acme/stable', 'zlib/1.3', 'zstd/1.5@acme/testing']);
    expect(search('zlib')).toEqual(['zlib/1.2@acme/stable', 'zlib/1.3']);
    expect(search('ZLIB/*')).toEqual(['zlib/1.2@acme/stable', 'zlib/1.3']);
    expect(search('z*/1.*@acme/*')).toEqual(['zlib/1.2@acme/stable', 'zstd/1.5@acme/testing']);
    expect(search('*/*@_/_')).toEqual(['zlib/1.3']);
    expect(search('z.ib')).toEqual([]);
    expect(search('(a+)+$')).toEqual([]);
  });
});
