import { Inject, Injectable } from '@nestjs/common';
import { In } from 'typeorm';
import { Database, isForeignKeyViolation, isUniqueViolation } from '../database/database.service';
import { PackageBlobEntity, PackageBlobUploadEntity } from '../entities';
import { BLOB_STORAGE, BlobStorage } from '../storage/blob-storage';
import { blobKey } from '../storage/blob-keys';
import { PackageService } from './package.service';

/** Blobs per round: one S3 multi-object DELETE, a bounded IN list, flat memory. */
export const GC_BATCH = 1000;

/** Marks an object queued for deletion in `package_blob_upload` (see {@link BlobCollector}). */
export const GC_PURPOSE = 'gc';

/**
 * Deletes blobs no file references, in rounds of {@link GC_BATCH} (docs/protocols/core.md §9).
 *
 * A round, in one transaction: delete the candidate rows that are still unreferenced
 * (the condition is re-checked by the DELETE itself, so a blob a publish just reused
 * stays), and queue each deleted row's object as a `package_blob_upload` row of purpose
 * `gc` with an age of 0. Then the objects go in one multi-object delete, then the queue
 * rows. A process killed between the two leaves queue rows, which the next pass's sweep
 * of abandoned uploads finishes (an upload row whose object no blob row owns is garbage),
 * so no object outlives its row for longer than a pass, and no row points at a deleted
 * object. Memory holds one round, whatever the number of blobs.
 */
@Injectable()
export class BlobCollector {
  constructor(
    private readonly db: Database,
    private readonly packages: PackageService,
    @Inject(BLOB_STORAGE) private readonly storage: BlobStorage,
  ) {}

  /** Every unreferenced blob created at or before `cutoff`, `batch` per round; returns how many went. */
  async collect(
    cutoff: number,
    stillHeld: () => boolean = () => true,
    batch = GC_BATCH,
  ): Promise<number> {
    let removed = 0;
    let afterId = 0;
    while (stillHeld()) {
      const candidates = await this.db.manager
        .createQueryBuilder(PackageBlobEntity, 'b')
        .select(['b.id', 'b.storageId'])
        .where('b.id > :afterId AND b.created_unix <= :cutoff', { afterId, cutoff })
        .andWhere('NOT EXISTS (SELECT 1 FROM package_file f WHERE f.blob_id = b.id)')
        .orderBy('b.id', 'ASC')
        .take(batch)
        .getMany();
      if (!candidates.length) break;
      afterId = candidates[candidates.length - 1].id;
      removed += await this.round(candidates);
      if (candidates.length < batch) break;
    }
    return removed;
  }

  private async round(candidates: PackageBlobEntity[]): Promise<number> {
    let gone: PackageBlobEntity[];
    try {
      gone = await this.db.transaction(async (em) => {
        const ids = candidates.map((c) => c.id);
        await em
          .createQueryBuilder()
          .delete()
          .from(PackageBlobEntity)
          .where({ id: In(ids) })
          .andWhere('NOT EXISTS (SELECT 1 FROM package_file f WHERE f.blob_id = package_blob.id)')
          .execute();
        const kept = new Set(
          (await em.find(PackageBlobEntity, { where: { id: In(ids) }, select: ['id'] })).map(
            (b) => b.id,
          ),
        );
        const deleted = candidates.filter((c) => !kept.has(c.id));
        if (deleted.length)
          // updateEntity(false): no read-back of defaults (on SQLite it is one OR per row, past its depth limit)
          await em
            .createQueryBuilder()
            .insert()
            .into(PackageBlobUploadEntity)
            .values(
              deleted.map((b) => ({
                id: b.storageId,
                bytesReceived: 0,
                hashState: null,
                purpose: GC_PURPOSE,
                createdUnix: 0,
                updatedUnix: 0,
              })),
            )
            .updateEntity(false)
            .execute();
        return deleted;
      });
    } catch (err) {
      // A publish raced for one of them, or a storage id is queued already: go one by one.
      if (isForeignKeyViolation(err) || isUniqueViolation(err))
        return this.packages.removeUnreferencedBlobs(candidates.map((c) => c.id));
      throw err;
    }
    if (!gone.length) return 0;
    const storageIds = gone.map((b) => b.storageId);
    await this.storage.deleteMany(storageIds.map(blobKey));
    await this.db.manager.delete(PackageBlobUploadEntity, { id: In(storageIds) });
    return gone.length;
  }
}
