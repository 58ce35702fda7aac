import {
  Controller,
  Delete,
  Get,
  Head,
  Param,
  Put,
  Query,
  Req,
  Res,
  UseFilters,
} from '@nestjs/common';
import type { Request, Response } from 'express';
import { CurrentOwner, CurrentPrincipal, Principal } from '@wharf/auth';
import { PackageDownloadService, readBounded, serveFile, UserEntity } from '@wharf/packages-core';
import { ContainerAccess, Image } from './container-access.guard';
import { ContainerManifestsService } from './container-manifests.service';
import { pageOf, referrersIndex, tagList } from './container.documents';
import { OciError, OciErrorCode, OciErrorFilter } from './container.errors';
import { parsePageSize, sendEmpty, sendJson, str } from './container-http';
import {
  ImageName,
  MAX_MANIFEST_BYTES,
  MEDIA_TYPES,
  parseDigest,
  parseReference,
} from './container.metadata';

const NAME = 'v2/:owner/*';

/** Manifests, tags and referrers (OCI end-3, end-7, end-8, end-9, end-12). */
@Controller()
@UseFilters(OciErrorFilter)
export class ContainerManifestsController {
  constructor(
    private readonly manifests: ContainerManifestsService,
    private readonly download: PackageDownloadService,
  ) {}

  // end-3 (HEAD): existence, digest, type and length.
  @Head(`${NAME}/manifests/:reference`)
  @ContainerAccess('read')
  headManifest(
    @Image() name: ImageName,
    @CurrentOwner() owner: UserEntity,
    @Param('reference') reference: string,
    @Req() req: Request,
    @Res() res: Response,
  ) {
    return this.serveManifest(name, owner, reference, req, res);
  }

  // end-3 (GET): the bytes exactly as pushed, with the media type they were pushed with (no conversion).
  @Get(`${NAME}/manifests/:reference`)
  @ContainerAccess('read')
  getManifest(
    @Image() name: ImageName,
    @CurrentOwner() owner: UserEntity,
    @Param('reference') reference: string,
    @Req() req: Request,
    @Res() res: Response,
  ) {
    return this.serveManifest(name, owner, reference, req, res);
  }

  // end-7: push by tag or digest; 201 with the digest, and OCI-Subject when the manifest has a subject.
  @Put(`${NAME}/manifests/:reference`)
  @ContainerAccess('write')
  async putManifest(
    @Image() name: ImageName,
    @CurrentOwner() owner: UserEntity,
    @CurrentPrincipal() principal: Principal,
    @Param('reference') reference: string,
    @Req() req: Request,
    @Res() res: Response,
  ): Promise<void> {
    const ref = parseReference(reference);
    const body = await readBounded(req, MAX_MANIFEST_BYTES, { tooLarge: manifestTooLarge });
    const { digest, subject } = await this.manifests.put(
      owner,
      principal.user.id,
      name,
      ref,
      body,
      str(req.headers['content-type']),
    );
    const headers: Record<string, string> = {
      Location: `/v2/${name.full}/manifests/${digest}`,
      'Docker-Content-Digest': digest,
    };
    if (subject) headers['OCI-Subject'] = subject;
    sendEmpty(res, 201, headers);
  }

  // end-9: by tag, the tag only; by digest, the manifest and its tags.
  @Delete(`${NAME}/manifests/:reference`)
  @ContainerAccess('write')
  async deleteManifest(
    @Image() name: ImageName,
    @CurrentOwner() owner: UserEntity,
    @Param('reference') reference: string,
    @Res() res: Response,
  ) {
    await this.manifests.delete(owner, name, parseReference(reference));
    sendEmpty(res, 202);
  }

  // end-8a/8b: tags, ascending; `n` and `last` page; `Link` when more exist.
  @Get(`${NAME}/tags/list`)
  @ContainerAccess('read')
  async tags(
    @Image() name: ImageName,
    @CurrentOwner() owner: UserEntity,
    @Query() q: Record<string, unknown>,
    @Res() res: Response,
  ) {
    const all = await this.manifests.tags(owner, name);
    const page = pageOf(all, `/v2/${name.full}/tags/list`, parsePageSize(q.n), str(q.last));
    if (page.link) res.setHeader('Link', page.link);
    sendJson(res, 200, tagList(name.full, page.items));
  }

  // end-12a/12b: manifests whose subject is <digest>, as an image index; `artifactType` filters.
  @Get(`${NAME}/referrers/:digest`)
  @ContainerAccess('read')
  async referrers(
    @Image() name: ImageName,
    @CurrentOwner() owner: UserEntity,
    @Param('digest') digest: string,
    @Query('artifactType') artifactType: unknown,
    @Res() res: Response,
  ): Promise<void> {
    const filter = str(artifactType);
    const found = await this.manifests.referrers(owner, name, parseDigest(digest), filter);
    if (filter) res.setHeader('OCI-Filters-Applied', 'artifactType');
    sendJson(res, 200, referrersIndex(found), MEDIA_TYPES.ociIndex);
  }

  /** A GET counts a download of the version the reference names (the tag's, or the digest's). */
  private async serveManifest(
    name: ImageName,
    owner: UserEntity,
    reference: string,
    req: Request,
    res: Response,
  ): Promise<void> {
    const m = await this.manifests.get(owner, name, parseReference(reference));
    res.setHeader('Docker-Content-Digest', m.digest);
    await serveFile(req, res, this.download, m.file, m.blob, {
      contentType: m.mediaType,
      etag: `"${m.digest}"`,
      countDownload: true,
      // Always streamed, never redirected: clients read Docker-Content-Digest from this response.
      neverRedirect: true,
    });
  }
}

function manifestTooLarge(): OciError {
  return new OciError(OciErrorCode.ManifestInvalid, 'Manifest exceeds maximum size', {
    status: 413,
  });
}
