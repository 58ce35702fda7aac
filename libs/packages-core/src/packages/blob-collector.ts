import { Inject, Injectable } from '@nestjs/common';
import { In } from 'typeorm';
import { Database, isForeignKeyViolation, isUniqueViolation } from '../database/database.service';
import { PackageBlobEntity, PackageBlobUploadEntity } from '../entities';
import { BLOB_STORAGE, BlobStorage } from '../storage/blob-storage';
import { blobKey } from '../storage/blob-keys';
import { GC_PURPOSE, queueObjects, unqueueObjects } from './gc-queue';
import { PackageService } from './package.service';

/** Blobs per round: one S3 multi-object DELETE, a bounded IN list, flat memory. */
export const GC_BATCH = 1000;

/**
 * Rounds whose objects are being deleted at once. Storage deletion is the slow part (a
 * multi-object DELETE is one request, but the server still removes each object); with a
 * few rounds in flight the next rounds' statements overlap it, and a server that works
 * a request with little parallelism of its own (Swift's s3api: 2 deletes at a time per
 * request) gets several. Memory holds this many rounds.
 */
export const GC_IN_FLIGHT = 4;

export { GC_PURPOSE };

/**
 * Deletes blobs no file references, in rounds of {@link GC_BATCH} (docs/protocols/core.md §9).
 *
 * Candidates are read by keyset pagination on the primary key (`id > last`), never by
 * offset, so each scan costs one round whatever the table's size. A round, in one
 * transaction: delete the candidate rows that are still unreferenced (one statement; the
 * condition is re-checked by the DELETE itself, so a blob a publish just reused stays),
 * and queue each deleted row's object as a `package_blob_upload` row of purpose `gc` with
 * an age of 0 (one INSERT). Then the objects go in one multi-object delete, then the
 * queue rows (one DELETE); up to {@link GC_IN_FLIGHT} rounds are at that stage while the
 * next round's statements run. A process killed between the commit and the storage
 * delete (or a storage delete that failed) leaves queue rows, which the next collection
 * deletes first, in the same rounds, so no object outlives its row for longer than a
 * pass, and no row points at a deleted object.
 */
@Injectable()
export class BlobCollector {
  constructor(
    private readonly db: Database,
    private readonly packages: PackageService,
    @Inject(BLOB_STORAGE) private readonly storage: BlobStorage,
  ) {}

  /**
   * Every unreferenced blob created at or before `cutoff`, `batch` per round; returns how
   * many went. Stops starting rounds once `stillHeld` says the lease is lost; rounds
   * already committed still get their objects deleted before it returns.
   */
  async collect(
    cutoff: number,
    stillHeld: () => boolean = () => true,
    batch = GC_BATCH,
    inFlight = GC_IN_FLIGHT,
  ): Promise<number> {
    let removed = 0;
    const pending = new Set<Promise<void>>();
    let failure: { err: unknown } | undefined;
    const start = async (storageIds: string[]) => {
      const purge: Promise<void> = this.purge(storageIds)
        .catch((err: unknown) => void (failure ??= { err }))
        .finally(() => pending.delete(purge));
      pending.add(purge);
      while (pending.size >= Math.max(1, inFlight)) await Promise.race(pending);
    };
    try {
      // first what an earlier pass committed but did not delete (killed, or storage failed)
      for (let afterKey = ''; stillHeld() && !failure;) {
        const queued = await this.queued(afterKey, batch);
        if (!queued.length) break;
        afterKey = queued[queued.length - 1];
        await start(queued);
        if (queued.length < batch) break;
      }
      for (let afterId = 0; stillHeld() && !failure;) {
        const candidates = await this.scan(afterId, cutoff, batch);
        if (!candidates.length) break;
        afterId = candidates[candidates.length - 1].id;
        const round = await this.unlink(candidates);
        removed += round.removed;
        if (round.queued.length) await start(round.queued);
        if (candidates.length < batch) break;
      }
    } finally {
      await Promise.all(pending);
    }
    if (failure) throw failure.err;
    return removed;
  }

  /**
   * Storage ids of queue rows after `afterKey` (keyset on the primary key). A row whose
   * id a blob row owns is skipped: none should be, ids are generated once.
   */
  private async queued(afterKey: string, batch: number): Promise<string[]> {
    const rows = await this.db.manager
      .createQueryBuilder(PackageBlobUploadEntity, 'u')
      .select('u.id')
      .where('u.purpose = :purpose AND u.id > :afterKey', { purpose: GC_PURPOSE, afterKey })
      .andWhere('NOT EXISTS (SELECT 1 FROM package_blob b WHERE b.storage_id = u.id)')
      .orderBy('u.id', 'ASC')
      .take(batch)
      .getMany();
    return rows.map((r) => r.id);
  }

  /** The next `batch` unreferenced blobs after `afterId` (keyset pagination on the primary key). */
  private scan(afterId: number, cutoff: number, batch: number): Promise<PackageBlobEntity[]> {
    return this.db.manager
      .createQueryBuilder(PackageBlobEntity, 'b')
      .select(['b.id', 'b.storageId'])
      .where('b.id > :afterId AND b.created_unix <= :cutoff', { afterId, cutoff })
      .andWhere('NOT EXISTS (SELECT 1 FROM package_file f WHERE f.blob_id = b.id)')
      .orderBy('b.id', 'ASC')
      .take(batch)
      .getMany();
  }

  /** The objects of a committed round, then their queue rows. */
  private async purge(storageIds: string[]): Promise<void> {
    await this.storage.deleteMany(storageIds.map(blobKey));
    await unqueueObjects(this.db, storageIds);
  }

  /**
   * Deletes the rows of the candidates still unreferenced and queues their objects, in
   * one transaction; returns how many blobs went and the storage ids queued (none when a
   * race sent the round down the one-by-one path, which deletes its own objects).
   */
  private async unlink(
    candidates: PackageBlobEntity[],
  ): Promise<{ removed: number; queued: string[] }> {
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
        await queueObjects(
          em,
          deleted.map((b) => b.storageId),
        );
        return deleted;
      });
    } catch (err) {
      // A publish raced for one of them, or a storage id is queued already: go one by one.
      if (isForeignKeyViolation(err) || isUniqueViolation(err))
        return {
          removed: await this.packages.removeUnreferencedBlobs(candidates.map((c) => c.id)),
          queued: [],
        };
      throw err;
    }
    return { removed: gone.length, queued: gone.map((b) => b.storageId) };
  }
}
