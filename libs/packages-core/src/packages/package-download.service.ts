import { Inject, Injectable } from '@nestjs/common';
import { Readable } from 'node:stream';
import { AppConfig } from '../config/config';
import { Database } from '../database/database.service';
import { PackageBlobEntity, PackageFileEntity } from '../entities';
import { BLOB_STORAGE, BlobStorage, ByteRange } from '../storage/blob-storage';
import { blobKey } from '../storage/blob-keys';

export type OpenedBlob =
  | { kind: 'redirect'; url: string; blob: PackageBlobEntity }
  | { kind: 'stream'; blob: PackageBlobEntity; stream: Readable; range?: Required<ByteRange> };

export interface OpenOptions {
  range?: Required<ByteRange>;
  /** Name for Content-Disposition of a presigned URL. */
  filename?: string;
  contentType?: string;
  /** Count a download of the version when the file is its lead file (GET only, not HEAD). */
  countDownload?: boolean;
  /** With `countDownload`, count any file of the version (a container blob link is a download of its own). */
  countAnyFile?: boolean;
  /** HEAD: no body needed. */
  headOnly?: boolean;
  /** Stream even when S3 serves directly: the client reads this response's own headers (a container manifest's digest). */
  neverRedirect?: boolean;
}

/** Opens stored files for download: a stream (with range), or a presigned URL when S3 serves directly. */
@Injectable()
export class PackageDownloadService {
  constructor(
    private readonly db: Database,
    private readonly config: AppConfig,
    @Inject(BLOB_STORAGE) private readonly storage: BlobStorage,
  ) {}

  async openFile(
    file: PackageFileEntity,
    blob: PackageBlobEntity,
    options: OpenOptions = {},
  ): Promise<OpenedBlob> {
    if ((file.isLead || options.countAnyFile) && options.countDownload && !options.headOnly) {
      // A plain statement: this runs on every download, where TypeORM's query building
      // for `increment` costs more than the update itself.
      await this.db.manager.query(
        'UPDATE package_version SET download_count = download_count + 1 WHERE id = ?',
        [file.versionId],
      );
    }
    return this.openBlob(blob, { filename: file.name, ...options });
  }

  /**
   * The stored bytes (or a range) as a stream, for Wharf's own reading (e.g. a file's
   * metadata inside an archive) — never a redirect, whatever serve-direct says.
   */
  readBlob(blob: PackageBlobEntity, range?: ByteRange): Promise<Readable> {
    return this.storage.get(blobKey(blob.storageId), range);
  }

  async openBlob(blob: PackageBlobEntity, options: OpenOptions = {}): Promise<OpenedBlob> {
    const key = blobKey(blob.storageId);
    const direct = this.config.storage.kind === 's3' && this.config.storage.serveDirect;
    if (direct && !options.headOnly && !options.neverRedirect) {
      const url = await this.storage.presignedGetUrl(key, {
        expiresSeconds: 300,
        filename: options.filename,
        contentType: options.contentType,
      });
      if (url) return { kind: 'redirect', url, blob };
    }
    if (options.headOnly)
      return { kind: 'stream', blob, stream: Readable.from([]), range: options.range };
    const stream = await this.storage.get(key, options.range);
    return { kind: 'stream', blob, stream, range: options.range };
  }
}
