import {
  Controller,
  Delete,
  Get,
  Head,
  Param,
  Patch,
  Post,
  Put,
  Query,
  Req,
  Res,
  UseFilters,
} from '@nestjs/common';
import type { Request, Response } from 'express';
import { CurrentOwner, CurrentPrincipal, Principal } from '@wharf/auth';
import {
  PackageDownloadService,
  parseContentLength,
  serveFile,
  UploadSession,
  UserEntity,
} from '@wharf/packages-core';
import { ContainerAccess, Image } from './container-access.guard';
import { ContainerBlobsService } from './container-blobs.service';
import { OciError, OciErrorCode, OciErrorFilter } from './container.errors';
import { hasBody, sendEmpty, str } from './container-http';
import { ImageName, parseContentRange, parseDigest } from './container.metadata';

const NAME = 'v2/:owner/*';

/** Blobs and blob uploads (OCI end-2, end-3, end-4, end-5, end-6, end-10, end-11). */
@Controller()
@UseFilters(OciErrorFilter)
export class ContainerBlobsController {
  constructor(
    private readonly blobs: ContainerBlobsService,
    private readonly download: PackageDownloadService,
  ) {}

  // end-2 (HEAD) / end-2 (GET): the bytes with their digest; Range → 206; S3 direct serving → 307 (as distribution).
  @Head(`${NAME}/blobs/:digest`)
  @ContainerAccess('read')
  headBlob(
    @Image() name: ImageName,
    @CurrentOwner() owner: UserEntity,
    @Param('digest') digest: string,
    @Req() req: Request,
    @Res() res: Response,
  ) {
    return this.serveBlob(name, owner, digest, req, res);
  }

  @Get(`${NAME}/blobs/:digest`)
  @ContainerAccess('read')
  getBlob(
    @Image() name: ImageName,
    @CurrentOwner() owner: UserEntity,
    @Param('digest') digest: string,
    @Req() req: Request,
    @Res() res: Response,
  ) {
    return this.serveBlob(name, owner, digest, req, res);
  }

  // end-10: unlinks the blob from this image; 202.
  @Delete(`${NAME}/blobs/:digest`)
  @ContainerAccess('write')
  async deleteBlob(
    @Image() name: ImageName,
    @CurrentOwner() owner: UserEntity,
    @Param('digest') digest: string,
    @Res() res: Response,
  ) {
    if (!(await this.blobs.unlink(owner, name, parseDigest(digest))))
      throw new OciError(OciErrorCode.BlobUnknown, `blob ${digest} is not in ${name.full}`);
    sendEmpty(res, 202);
  }

  // end-4a (session), end-4b (monolithic `?digest=`), end-11 (`?mount=` with or without `from`, falling back to a session).
  @Post(`${NAME}/blobs/uploads`)
  @ContainerAccess('write')
  async startUpload(
    @Image() name: ImageName,
    @CurrentOwner() owner: UserEntity,
    @CurrentPrincipal() principal: Principal,
    @Query() q: Record<string, unknown>,
    @Req() req: Request,
    @Res() res: Response,
  ): Promise<void> {
    const digestParam = str(q.digest);
    if (digestParam !== undefined) {
      const digest = parseDigest(digestParam);
      const declared = parseContentLength(req.headers);
      await this.blobs.uploadMonolithic(owner, principal.user.id, name, digest, req, declared);
      return created(res, name, digest);
    }
    const mount = str(q.mount);
    const mounted =
      mount !== undefined && (await this.blobs.mount(owner, principal, name, mount, str(q.from)));
    if (mounted) return created(res, name, mounted);
    req.resume();
    const session = await this.blobs.startSession(owner, name);
    sendEmpty(res, 202, sessionHeaders(name, session));
  }

  // end-13: where a session stands.
  @Get(`${NAME}/blobs/uploads/:uuid`)
  @ContainerAccess('write')
  async uploadStatus(
    @Image() name: ImageName,
    @CurrentOwner() owner: UserEntity,
    @Param('uuid') uuid: string,
    @Res() res: Response,
  ) {
    const session = await this.blobs.getSession(owner, name, uuid);
    sendEmpty(res, 204, sessionHeaders(name, session));
  }

  // end-5: one chunk; `Content-Range` must continue where the session stands (416 otherwise).
  @Patch(`${NAME}/blobs/uploads/:uuid`)
  @ContainerAccess('write')
  async uploadChunk(
    @Image() name: ImageName,
    @CurrentOwner() owner: UserEntity,
    @Param('uuid') uuid: string,
    @Req() req: Request,
    @Res() res: Response,
  ) {
    const range = parseContentRange(str(req.headers['content-range']));
    const length = parseContentLength(req.headers);
    if (range && length !== undefined && length !== range.end - range.start + 1) {
      throw new OciError(
        OciErrorCode.BlobUploadInvalid,
        `Content-Range ${range.start}-${range.end} does not match Content-Length ${length}`,
        { status: 416 },
      );
    }
    const session = await this.blobs.append(
      owner,
      await this.blobs.getSession(owner, name, uuid),
      req,
      range,
    );
    sendEmpty(res, 202, sessionHeaders(name, session));
  }

  // end-6: closes the session, with an optional last chunk; the digest must match (DIGEST_INVALID).
  @Put(`${NAME}/blobs/uploads/:uuid`)
  @ContainerAccess('write')
  async finishUpload(
    @Image() name: ImageName,
    @CurrentOwner() owner: UserEntity,
    @CurrentPrincipal() principal: Principal,
    @Param('uuid') uuid: string,
    @Query('digest') digestParam: unknown,
    @Req() req: Request,
    @Res() res: Response,
  ): Promise<void> {
    let session = await this.blobs.getSession(owner, name, uuid);
    const digest = parseDigest(digestParam);
    const withChunk = hasBody(req);
    if (withChunk)
      // appended under a claim that finish() then keeps
      session = await this.blobs.append(
        owner,
        session,
        req,
        parseContentRange(str(req.headers['content-range'])),
        true,
      );
    else req.resume();
    await this.blobs.finish(owner, principal.user.id, name, session, digest, withChunk);
    created(res, name, digest);
  }

  // end-13 (DELETE): cancels a session.
  @Delete(`${NAME}/blobs/uploads/:uuid`)
  @ContainerAccess('write')
  async cancelUpload(
    @Image() name: ImageName,
    @CurrentOwner() owner: UserEntity,
    @Param('uuid') uuid: string,
    @Res() res: Response,
  ) {
    await this.blobs.cancel(await this.blobs.getSession(owner, name, uuid));
    sendEmpty(res, 204);
  }

  private async serveBlob(
    name: ImageName,
    owner: UserEntity,
    digestParam: string,
    req: Request,
    res: Response,
  ): Promise<void> {
    const digest = parseDigest(digestParam, OciErrorCode.BlobUnknown);
    const link = await this.blobs.findLink(owner, name, digest);
    if (!link)
      throw new OciError(OciErrorCode.BlobUnknown, `blob ${digest} is not in ${name.full}`);
    res.setHeader('Docker-Content-Digest', digest);
    // A blob is content-addressed: cacheable for a year. Each GET counts on the image's links.
    await serveFile(req, res, this.download, link.file, link.blob, {
      etag: `"${digest}"`,
      maxAge: 31536000,
      redirectStatus: 307,
      countDownload: true,
      countAnyFile: true,
    });
  }
}

function created(res: Response, name: ImageName, digest: string): void {
  sendEmpty(res, 201, {
    Location: `/v2/${name.full}/blobs/${digest}`,
    'Docker-Content-Digest': digest,
  });
}

function sessionHeaders(name: ImageName, session: UploadSession): Record<string, string> {
  return {
    Location: `/v2/${name.full}/blobs/uploads/${session.id}`,
    Range: `0-${Math.max(session.bytesReceived - 1, 0)}`,
    'Docker-Upload-UUID': session.id,
  };
}
