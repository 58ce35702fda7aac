import type { Request, Response } from 'express';
import type { PackageBlobEntity, PackageFileEntity } from '../entities';
import type { OpenOptions, PackageDownloadService } from '../packages/package-download.service';
import {
  answerNotModified,
  BlobResponseOptions,
  requestedRange,
  sendOpenedBlob,
} from './send-blob';

export interface ServeFileOptions
  extends
    Omit<BlobResponseOptions, 'filename'>,
    Pick<OpenOptions, 'countDownload' | 'countAnyFile' | 'neverRedirect'> {}

/**
 * The download every format serves the same way: ETag and Last-Modified, 304 for a
 * current copy, Range, HEAD without a body, a presigned redirect when S3 serves directly,
 * an X-Accel-Redirect when nginx sends filesystem blobs (REGISTRY_FS_ACCEL_REDIRECT).
 */
export async function serveFile(
  req: Request,
  res: Response,
  downloads: PackageDownloadService,
  file: PackageFileEntity,
  blob: PackageBlobEntity,
  options: ServeFileOptions = {},
): Promise<void> {
  const lastModified = options.lastModified ?? new Date(file.createdUnix * 1000);
  const etag = options.etag ?? `"${blob.hashSha256}"`;
  const response = { ...options, filename: file.name, lastModified, etag };
  res.setHeader('ETag', etag);
  res.setHeader('Last-Modified', lastModified.toUTCString());
  if (answerNotModified(req, res, etag, lastModified)) return;
  const opened = await downloads.openFile(file, blob, {
    filename: file.name,
    contentType: options.contentType,
    range: requestedRange(req, blob.size),
    countDownload: options.countDownload ?? false,
    countAnyFile: options.countAnyFile,
    neverRedirect: options.neverRedirect,
    headOnly: req.method === 'HEAD',
  });
  await sendOpenedBlob(req, res, opened, response);
}
