import { readdir } from 'node:fs/promises';
import path from 'node:path';
import {
  BLOB_STORAGE,
  BlobStorage,
  Database,
  PackageBlobEntity,
  PackageBlobUploadEntity,
  PackageEntity,
  PackageFileEntity,
  PackagePropertyEntity,
  PackageVersionEntity,
} from '@wharf/packages-core';
import { minioClient } from '../backends';
import type { TestApp } from '../test-app';

/** Everything an upload can leave behind: rows, stored objects, and files being written. */
export interface StoredState {
  rows: Record<string, number>;
  /** Keys in blob storage (committed blobs and staging objects). */
  objects: string[];
  /**
   * Files under the data directory outside the committed blobs (`.tmp` files of the
   * filesystem driver, anything else written there) and, on S3, incomplete multipart
   * uploads. SQLite's own files are left out: they change with every write.
   */
  debris: string[];
}

const TABLES = {
  package: PackageEntity,
  package_version: PackageVersionEntity,
  package_file: PackageFileEntity,
  package_blob: PackageBlobEntity,
  package_property: PackagePropertyEntity,
  package_blob_upload: PackageBlobUploadEntity,
};

export async function storedState(t: TestApp): Promise<StoredState> {
  const em = t.app.get(Database).manager;
  const rows: Record<string, number> = {};
  for (const [table, entity] of Object.entries(TABLES)) rows[table] = await em.count(entity);

  const storage = t.app.get<BlobStorage>(BLOB_STORAGE);
  const objects: string[] = [];
  for await (const entry of storage.list('')) objects.push(entry.key);

  const debris = (await filesUnder(t.config.dataDir)).filter(
    (f) => !/^wharf\.db(-wal|-shm|-journal)?$/.test(f) && !/^blobs\/(blobs|uploads)\//.test(f),
  );
  const storageSettings = t.config.storage;
  if (storageSettings.kind === 's3') {
    const incomplete = await minioClient()
      .listIncompleteUploads(storageSettings.bucket, '', true)
      .toArray();
    debris.push(...incomplete.map((u: { key: string }) => `s3 incomplete upload ${u.key}`));
  }
  return { rows, objects: objects.sort(), debris: debris.sort() };
}

/** Relative paths of the regular files under `dir` (empty directories are not debris). */
async function filesUnder(dir: string, prefix = ''): Promise<string[]> {
  const entries = await readdir(path.join(dir, prefix), { withFileTypes: true }).catch(() => []);
  const files: string[] = [];
  for (const e of entries) {
    const rel = prefix ? `${prefix}/${e.name}` : e.name;
    if (e.isDirectory()) files.push(...(await filesUnder(dir, rel)));
    else files.push(rel);
  }
  return files;
}
