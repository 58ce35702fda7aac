import { Injectable } from '@nestjs/common';
import { Database } from '../database/database.service';
import { nowUnix, PackageBlobUploadEntity } from '../entities';
import { generateStorageId } from '../storage/blob-keys';

/** A resumable upload session as the store keeps it (one `package_blob_upload` row). */
export interface UploadSession {
  readonly id: string;
  readonly purpose: string;
  readonly bytesReceived: number;
  /** The format's serialized state (hash states, part list); opaque to the store. */
  readonly state: string | null;
  readonly createdUnix: number;
  readonly updatedUnix: number;
}

/**
 * Resumable upload sessions (container chunked uploads) kept in the database, so any
 * replica can continue one. The row's id is also the storage id of the session's first
 * object (`blobKey(id)`) and names its parts (`uploads/<id>/…`): the cleanup job removes
 * all of them when a session is abandoned, and committing the first object as a blob
 * (PackageService) deletes the row, as for any staged blob.
 *
 * Concurrency is compare-and-set on (bytes received, state): two replicas appending to
 * one session at once end with one winner; the loser learns it and undoes its own write.
 */
@Injectable()
export class UploadSessionStore {
  constructor(private readonly db: Database) {}

  async create(purpose: string): Promise<UploadSession> {
    const now = nowUnix();
    const row = {
      id: generateStorageId(),
      bytesReceived: 0,
      hashState: null,
      purpose,
      createdUnix: now,
      updatedUnix: now,
    };
    await this.db.manager.insert(PackageBlobUploadEntity, row);
    return toSession(row);
  }

  async find(id: string): Promise<UploadSession | null> {
    if (!/^[0-9a-f]{32}$/.test(id)) return null;
    const row = await this.db.manager.findOneBy(PackageBlobUploadEntity, { id });
    return row ? toSession(row) : null;
  }

  /** Moves the session from `expected` to `next`; false when another writer changed it first. */
  async compareAndSet(
    expected: UploadSession,
    next: { bytesReceived: number; state: string | null },
  ): Promise<boolean> {
    const qb = this.db.manager
      .createQueryBuilder()
      .update(PackageBlobUploadEntity)
      .set({ bytesReceived: next.bytesReceived, hashState: next.state, updatedUnix: nowUnix() })
      .where('id = :id AND bytes_received = :bytes', {
        id: expected.id,
        bytes: expected.bytesReceived,
      });
    if (expected.state === null) qb.andWhere('hash_state IS NULL');
    else qb.andWhere('hash_state = :state', { state: expected.state });
    const result = await qb.execute();
    return (result.affected ?? 0) > 0;
  }

  async delete(id: string): Promise<void> {
    await this.db.manager.delete(PackageBlobUploadEntity, { id });
  }
}

function toSession(
  row: Omit<PackageBlobUploadEntity, 'hashState'> & { hashState: string | null },
): UploadSession {
  return {
    id: row.id,
    purpose: row.purpose,
    bytesReceived: row.bytesReceived,
    state: row.hashState,
    createdUnix: row.createdUnix,
    updatedUnix: row.updatedUnix,
  };
}
