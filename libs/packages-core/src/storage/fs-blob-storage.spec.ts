import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { describeBlobStorageContract } from './blob-storage.contract';
import { FsBlobStorage } from './fs-blob-storage';

const newRoot = () => mkdtemp(join(tmpdir(), 'wharf-fs-storage-'));
/** Files in .tmp are writes neither renamed into place nor removed: a failed put's leftovers. */
const tmpFiles = (root: string) => readdir(join(root, '.tmp')).catch(() => []);

describeBlobStorageContract('fs', async () => {
  const root = await newRoot();
  return {
    storage: new FsBlobStorage(root),
    debris: () => tmpFiles(root),
    cleanup: () => rm(root, { recursive: true, force: true }),
  };
});

describe('FsBlobStorage on disk', () => {
  let root: string;
  beforeEach(async () => (root = await newRoot()));
  afterEach(() => rm(root, { recursive: true, force: true }));

  it('removes the directories a delete left empty, and never lists .tmp', async () => {
    const storage = new FsBlobStorage(root);
    await storage.put('blobs/ab/cd/x', Readable.from([Buffer.from('x')]));
    await storage.put('blobs/ab/ef/y', Readable.from([Buffer.from('y')]));
    await storage.delete('blobs/ab/cd/x');
    expect((await readdir(root)).sort()).toEqual(['.tmp', 'blobs']);
    expect(await readdir(join(root, 'blobs', 'ab'))).toEqual(['ef']);
    await storage.delete('blobs/ab/ef/y');
    expect(await readdir(root)).toEqual(['.tmp']);
    const keys = [];
    for await (const entry of storage.list('')) keys.push(entry.key);
    expect(keys).toEqual([]);
  });
});
