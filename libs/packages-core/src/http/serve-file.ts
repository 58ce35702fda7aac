import type { Request, Response } from 'express';
import type { PackageBlobEntity, PackageFileEntity } from '../entities';
import type { PackageDownloadService } from '../packages/package-download.service';
import {
  answerNotModified,
  BlobResponseOptions,
  requestedRange,
  sendOpenedBlob,
} from './send-blob';

export interface ServeFileOptions extends Omit<BlobResponseOptions, 'filename'> {
  /** Count a download of the version (lead files only; never for HEAD). */
  countDownload?: boolean;
}

/**
 * The download every format serves the same way: ETag and Last-Modified, 304 for a
 * current copy, Range, HEAD without a body, a presigned redirect when S3 serves directly.
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
  const response = { ...options, filename: file.name, lastModified };
  const etag = `"${blob.hashSha256}"`;
  res.setHeader('ETag', etag);
  res.setHeader('Last-Modified', lastModified.toUTCString());
  if (answerNotModified(req, res, etag, lastModified)) return;
  const opened = await downloads.openFile(file, blob, {
    filename: file.name,
    contentType: options.contentType,
    range: requestedRange(req, blob.size),
    countDownload: options.countDownload ?? false,
    headOnly: req.method === 'HEAD',
  });
  await sendOpenedBlob(req, res, opened, response);
}
