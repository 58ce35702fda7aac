import { Inject, Injectable, Logger } from '@nestjs/common';
import { Readable, pipeline } from 'node:stream';
import { Database } from '../database/database.service';
import { nowUnix, PackageBlobUploadEntity } from '../entities';
import { PayloadTooLargeError, RegistryError, RegistryErrorCode } from '../errors/registry-error';
import {
  BLOB_STORAGE,
  BlobStorage,
  ByteRange,
  StorageUnavailableError,
} from '../storage/blob-storage';
import { QuotaService } from '../quota/quota.service';
import { blobKey, generateStorageId } from '../storage/blob-keys';
import { BlobDigests, ContentDigests, HashingStream } from './hashing-stream';

/**
 * Bytes that are stored and hashed but not yet part of any package: the object lives at
 * its final key (`blobs/…/<storageId>`), yet nothing references it until a package
 * service commits it, and a `package_blob_upload` row records it so the cleanup job
 * removes it if the process dies first.
 */
export interface StagedBlob extends BlobDigests {
  readonly storageId: string;
}

/** A staged blob of which only the size and sha256 are known (see {@link IngestService.ingestContent}). */
export interface StagedContent extends ContentDigests {
  readonly storageId: string;
}

export interface IngestOptions {
  /** Byte limit (the format's configured limit); `undefined` = unlimited. */
  limit?: number;
  /** Content-Length the client declared, checked against the limit before reading. */
  declaredSize?: number;
  /**
   * The owner the upload is for: its size limits and quota (docs/protocols/core.md §8)
   * bound the upload like `limit`, so a declared size over the room left is refused
   * before a byte is read, and a body that passes it is cut off while streaming. Set it
   * when the body is the artifact itself (not an envelope around it).
   */
  quotaOwnerId?: number;
}

@Injectable()
export class IngestService {
  private readonly log = new Logger(IngestService.name);

  constructor(
    private readonly db: Database,
    @Inject(BLOB_STORAGE) private readonly storage: BlobStorage,
    private readonly quota: QuotaService,
  ) {}

  /**
   * Reads `body` once into storage while counting and hashing it. Over the limit, or if
   * the body fails midway, nothing is kept (no object, no row) and the error propagates
   * ({@link PayloadTooLargeError} → 413).
   */
  async ingest(body: Readable, options: IngestOptions = {}): Promise<StagedBlob> {
    return (await this.store(body, options, false)) as StagedBlob;
  }

  /**
   * {@link ingest} for formats that serve no digest but sha256 (container layers): one
   * hash instead of four on the way in. The row's other digests stay null until a reader
   * needs them (BlobDigestService computes them once from the stored bytes).
   */
  ingestContent(body: Readable, options: IngestOptions = {}): Promise<StagedContent> {
    return this.store(body, options, true);
  }

  private async store(
    body: Readable,
    options: IngestOptions,
    sha256Only: boolean,
  ): Promise<StagedContent> {
    const { limit, declaredSize, quotaOwnerId } = options;
    if (limit !== undefined && declaredSize !== undefined && declaredSize > limit) {
      body.resume();
      throw new PayloadTooLargeError(limit);
    }
    const room = quotaOwnerId === undefined ? undefined : await this.roomFor(quotaOwnerId);
    if (room !== undefined && declaredSize !== undefined && declaredSize > room) {
      body.resume();
      throw await this.quota.overRoom(quotaOwnerId!, declaredSize);
    }
    const bound = room !== undefined && (limit === undefined || room < limit) ? room : limit;
    const storageId = generateStorageId();
    const now = nowUnix();
    await this.db.manager.insert(PackageBlobUploadEntity, {
      id: storageId,
      bytesReceived: 0,
      hashState: null,
      purpose: 'ingest',
      createdUnix: now,
      updatedUnix: now,
    });
    const hasher = new HashingStream(bound, sha256Only);
    // pipeline() forwards an error on either side (client abort, limit) and destroys both.
    const piped = pipeline(body, hasher, () => undefined);
    try {
      await this.storage.put(blobKey(storageId), piped);
    } catch (err) {
      await this.forget(storageId);
      // Cut off at the room the quota left (not the format's limit): say which quota.
      if (err instanceof PayloadTooLargeError && bound !== limit)
        throw await this.quota.overRoom(quotaOwnerId!, bound! + 1, true);
      throw asIngestError(err);
    }
    return { storageId, ...hasher.contentDigests() };
  }

  /**
   * Stages `body` and runs the format's `check` on the staged blob (read it again, parse,
   * validate). On any failure — the upload or the check — nothing is kept and the error
   * propagates; on success the caller commits the blob (PackageService), which discards it
   * should the commit fail.
   */
  async stageChecked<T>(
    body: Readable,
    options: IngestOptions,
    check: (staged: StagedBlob) => Promise<T>,
  ): Promise<{ staged: StagedBlob; checked: T }> {
    const staged = await this.ingest(body, options);
    return { staged, checked: await this.checkStaged(staged, check) };
  }

  /**
   * Runs `work` on a blob staged elsewhere (a multipart form, a JSON document) and discards
   * the blob when it throws. `work` may commit the blob: discarding one that was
   * committed does nothing.
   */
  async checkStaged<T>(staged: StagedBlob, work: (staged: StagedBlob) => Promise<T>): Promise<T> {
    try {
      return await work(staged);
    } catch (err) {
      await this.discard(staged);
      throw err;
    }
  }

  private async roomFor(ownerId: number): Promise<number | undefined> {
    return (await this.quota.room(ownerId)).bytes;
  }

  /** Reads a staged blob again (second, memory-bounded pass for parsers). */
  open(staged: { storageId: string }, range?: ByteRange): Promise<Readable> {
    return this.storage.get(blobKey(staged.storageId), range);
  }

  /**
   * Drops a staged blob that will not be committed. Safe to call twice, and after a
   * commit: a committed blob has no staging row any more, and is left alone.
   */
  async discard(staged: { storageId: string }): Promise<void> {
    try {
      if (!(await this.db.manager.existsBy(PackageBlobUploadEntity, { id: staged.storageId })))
        return;
    } catch (err) {
      // Unknown whether it was committed: keep it; the cleanup job decides from the row.
      this.log.warn(
        `staged blob ${staged.storageId} left for the cleanup job: ${(err as Error).message}`,
      );
      return;
    }
    await this.forget(staged.storageId);
  }

  /**
   * Object first, then the staging row. When the store or the database is down, the row
   * stays behind on purpose: the cleanup job finishes the removal once they are back.
   */
  private async forget(storageId: string): Promise<void> {
    try {
      await this.storage.delete(blobKey(storageId));
      await this.db.manager.delete(PackageBlobUploadEntity, { id: storageId });
    } catch (err) {
      this.log.warn(`staged blob ${storageId} left for the cleanup job: ${(err as Error).message}`);
    }
  }
}

function asIngestError(err: unknown): unknown {
  if (err instanceof RegistryError) return err;
  if (err instanceof StorageUnavailableError) {
    return new RegistryError(
      RegistryErrorCode.Unavailable,
      'blob storage is unavailable, try again shortly',
    );
  }
  const code = (err as { code?: string })?.code;
  if (code === 'ERR_STREAM_PREMATURE_CLOSE' || code === 'ECONNRESET' || code === 'ECONNABORTED') {
    return new RegistryError(
      RegistryErrorCode.InvalidArgument,
      'the upload was interrupted before it was complete',
    );
  }
  return err;
}
