import {
  Database,
  PackageBlobEntity,
  PackageBlobUploadEntity,
  PackageFileEntity,
  PackageVersionEntity,
} from '@wharf/packages-core';
import type { TestApp } from '../test-app';

/** Row counts that prove a refused upload stored nothing (no file, blob or staged upload left). */
export async function storedCounts(
  t: TestApp,
): Promise<{ versions: number; files: number; blobs: number; staged: number }> {
  const em = t.app.get(Database).manager;
  return {
    versions: await em.count(PackageVersionEntity),
    files: await em.count(PackageFileEntity),
    blobs: await em.count(PackageBlobEntity),
    staged: await em.count(PackageBlobUploadEntity),
  };
}

/** The download counter of a version, by version id. */
export async function downloadCount(t: TestApp, versionId: number): Promise<number> {
  const row = await t.app
    .get(Database)
    .manager.findOneByOrFail(PackageVersionEntity, { id: versionId });
  return row.downloadCount;
}
