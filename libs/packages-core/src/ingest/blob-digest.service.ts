import { Inject, Injectable } from '@nestjs/common';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Database } from '../database/database.service';
import { PackageBlobEntity } from '../entities';
import { BLOB_STORAGE, BlobStorage } from '../storage/blob-storage';
import { blobKey } from '../storage/blob-keys';
import { HashingStream } from './hashing-stream';

/** The digests a blob row may lack (see PackageBlobEntity). */
export interface LazyDigests {
  hashMd5: string;
  hashSha1: string;
  hashSha512: string;
}

/** A blob row with every digest known. */
export type CompleteBlob<T extends PackageBlobEntity = PackageBlobEntity> = T & LazyDigests;

export function isComplete<T extends PackageBlobEntity>(blob: T): blob is CompleteBlob<T> {
  return blob.hashMd5 !== null && blob.hashSha1 !== null && blob.hashSha512 !== null;
}

/**
 * The blob, typed with every digest, after {@link BlobDigestService.complete} (or
 * PackageQueryService.completeDigests) ran on it; throws when that was skipped.
 */
export function known<T extends PackageBlobEntity>(blob: T): CompleteBlob<T> {
  if (!isComplete(blob))
    throw new Error(`blob ${blob.id}: digests served before they were completed`);
  return blob;
}

/**
 * md5, sha1 and sha512 of blobs stored with sha256 only (container layers, which
 * nothing asks for them on the way in). A reader that serves one of them calls
 * {@link complete}: the first call reads the stored bytes once, checks them against the
 * sha256, and stores the digests in the row, so every later reader (on any replica) finds
 * them there. Concurrent calls in one process share one computation.
 */
@Injectable()
export class BlobDigestService {
  private readonly running = new Map<number, Promise<LazyDigests>>();

  constructor(
    private readonly db: Database,
    @Inject(BLOB_STORAGE) private readonly storage: BlobStorage,
  ) {}

  /** The same blobs, each with every digest (computed and stored for those that lacked some). */
  async complete<T extends PackageBlobEntity>(blobs: T[]): Promise<CompleteBlob<T>[]> {
    for (const blob of blobs)
      if (!isComplete(blob)) Object.assign(blob, await this.digestsOf(blob));
    return blobs as CompleteBlob<T>[];
  }

  async completeOne<T extends PackageBlobEntity>(blob: T): Promise<CompleteBlob<T>> {
    return (await this.complete([blob]))[0];
  }

  private digestsOf(blob: PackageBlobEntity): Promise<LazyDigests> {
    let running = this.running.get(blob.id);
    if (!running) {
      running = this.compute(blob).finally(() => this.running.delete(blob.id));
      this.running.set(blob.id, running);
    }
    return running;
  }

  private async compute(blob: PackageBlobEntity): Promise<LazyDigests> {
    // Another replica (or an upload of the same bytes through another format) may have
    // filled the row since this one was read.
    const current = await this.db.manager.findOneBy(PackageBlobEntity, { id: blob.id });
    if (current && isComplete(current)) return pick(current);
    const hasher = new HashingStream();
    const sink = new Writable({ write: (_chunk, _encoding, done) => done() });
    await pipeline(await this.storage.get(blobKey(blob.storageId)), hasher, sink);
    const d = hasher.digests();
    if (d.sha256 !== blob.hashSha256 || d.size !== blob.size)
      throw new Error(`stored blob ${blob.storageId} does not match its sha256 and size`);
    const digests = { hashMd5: d.md5, hashSha1: d.sha1, hashSha512: d.sha512 };
    await this.db.manager.update(PackageBlobEntity, { id: blob.id }, digests);
    return digests;
  }
}

function pick(blob: CompleteBlob): LazyDigests {
  return { hashMd5: blob.hashMd5, hashSha1: blob.hashSha1, hashSha512: blob.hashSha512 };
}
