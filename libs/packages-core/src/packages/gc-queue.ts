import { EntityManager, In } from 'typeorm';
import { Database } from '../database/database.service';
import { PackageBlobUploadEntity } from '../entities';

/** Marks an object queued for deletion in `package_blob_upload` (see {@link BlobCollector}). */
export const GC_PURPOSE = 'gc';

/**
 * Queues the objects of blob rows the caller's transaction deletes, as
 * `package_blob_upload` rows of purpose {@link GC_PURPOSE} and age 0, in one INSERT. The
 * caller deletes the objects after the commit, then {@link unqueueObjects}; a process
 * killed in between leaves the rows, whose objects the next collection deletes, so no
 * object outlives its blob row unnoticed.
 */
export async function queueObjects(em: EntityManager, storageIds: string[]): Promise<void> {
  if (!storageIds.length) return;
  // updateEntity(false): no read-back of defaults (on SQLite it is one OR per row, past its depth limit)
  await em
    .createQueryBuilder()
    .insert()
    .into(PackageBlobUploadEntity)
    .values(
      storageIds.map((id) => ({
        id,
        bytesReceived: 0,
        hashState: null,
        purpose: GC_PURPOSE,
        createdUnix: 0,
        updatedUnix: 0,
      })),
    )
    .updateEntity(false)
    .execute();
}

/** Drops queue rows whose objects are deleted (a transaction: on SQLite it queues behind others instead of joining one). */
export async function unqueueObjects(db: Database, storageIds: string[]): Promise<void> {
  if (!storageIds.length) return;
  await db.transaction((em) =>
    em.delete(PackageBlobUploadEntity, { id: In(storageIds), purpose: GC_PURPOSE }),
  );
}
