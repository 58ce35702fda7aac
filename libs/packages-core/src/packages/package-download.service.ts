import { Inject, Injectable } from '@nestjs/common';
import { Readable } from 'node:stream';
import { AppConfig } from '../config/config';
import { Database } from '../database/database.service';
import { PackageBlobEntity, PackageFileEntity } from '../entities';
import { BLOB_STORAGE, BlobStorage, ByteRange } from '../storage/blob-storage';
import { blobKey } from '../storage/blob-keys';

export type OpenedBlob =
  | { kind: 'redirect'; url: string; blob: PackageBlobEntity }
  /**
   * REGISTRY_FS_ACCEL_REDIRECT: the fronting web server sends the file at `path` (its
   * internal location), Range included; Wharf opens nothing.
   */
  | { kind: 'accel'; path: string; blob: PackageBlobEntity }
  | { kind: 'stream'; blob: PackageBlobEntity; stream: Readable; range?: Required<ByteRange> }
  /** A small blob from memory: `bytes` are the range asked for, or the whole blob. */
  | { kind: 'bytes'; blob: PackageBlobEntity; bytes: Buffer; range?: Required<ByteRange> };

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
  /**
   * Stream even when S3 or the fronting web server (X-Accel-Redirect) serves directly:
   * the client reads this response's own headers (a container manifest's digest).
   */
  neverRedirect?: boolean;
}

/**
 * Blobs up to this size are kept in memory once read: manifests, configs, and most
 * package archives (npm tarballs, gems, wheels of pure-Python packages are mostly
 * under 256 KiB). Opening, stat-ing, reading and closing a file cost a quarter of the
 * CPU of a tarball GET; a copy in memory costs none of it.
 */
export const SMALL_BLOB = 256 * 1024;
/** Bytes of small blobs kept in memory per process. */
const SMALL_BLOB_CACHE = 16 * 1024 * 1024;

/**
 * Opens stored files for download: a stream (with range), a presigned URL when S3 serves
 * directly, or the internal path the fronting web server sends (X-Accel-Redirect).
 */
@Injectable()
export class PackageDownloadService {
  /**
   * Bytes of small blobs by storage id, least recently used first. A blob's bytes never
   * change (content-addressed; a new upload is a new storage id), so every replica may
   * keep its own copy without ever serving stale content.
   */
  private readonly small = new Map<string, Buffer>();
  private smallBytes = 0;

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
    const accel = this.config.storage.kind === 'fs' ? this.config.storage.accelRedirect : undefined;
    // Every size: the web server's sendfile beats even the small-blob cache, and leaves
    // this process's event loop to the requests only it can answer.
    if (accel && !options.headOnly && !options.neverRedirect)
      return { kind: 'accel', path: accel + key, blob };
    if (options.headOnly)
      return { kind: 'stream', blob, stream: Readable.from([]), range: options.range };
    if (blob.size <= SMALL_BLOB) {
      const bytes = await this.smallBlob(blob);
      const { range } = options;
      const part = range ? bytes.subarray(range.start, range.end + 1) : bytes;
      return { kind: 'bytes', blob, bytes: part, range };
    }
    const stream = await this.storage.get(key, options.range);
    return { kind: 'stream', blob, stream, range: options.range };
  }

  /** The whole bytes of a small blob, from memory when read before. */
  private async smallBlob(blob: PackageBlobEntity): Promise<Buffer> {
    const cached = this.small.get(blob.storageId);
    if (cached) {
      // most recently used last
      this.small.delete(blob.storageId);
      this.small.set(blob.storageId, cached);
      return cached;
    }
    const chunks: Buffer[] = [];
    for await (const chunk of await this.storage.get(blobKey(blob.storageId)))
      chunks.push(chunk as Buffer);
    const bytes = Buffer.concat(chunks);
    if (bytes.length !== blob.size) return bytes; // not what the row says: serve, never keep
    this.small.set(blob.storageId, bytes);
    this.smallBytes += bytes.length;
    for (const [id, b] of this.small) {
      if (this.smallBytes <= SMALL_BLOB_CACHE) break;
      this.small.delete(id);
      this.smallBytes -= b.length;
    }
    return bytes;
  }
}
