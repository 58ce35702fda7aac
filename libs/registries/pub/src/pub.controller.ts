import { Controller, Get, HttpCode, Param, Post, Req, Res, UseFilters } from '@nestjs/common';
import type { Request, Response } from 'express';
import {
  AuthChallenge,
  CurrentOwner,
  CurrentPrincipal,
  PackageAccess,
  Principal,
} from '@wharf/auth';
import {
  openUploadBody,
  PackageDownloadService,
  serveDocument,
  serveFile,
  UserEntity,
} from '@wharf/packages-core';
import { PubErrorFilter } from './pub-error.filter';
import { PUB_JSON } from './pub.documents';
import { PubService } from './pub.service';

// docs/protocols/pub.md §5: the spec's challenge; `dart pub` shows `message`.
const PUB_CHALLENGE =
  'Bearer realm="pub", message="Use a Wharf access token: dart pub token add <hosted url>"';

/**
 * The hosted pub repository v2 (docs/protocols/pub.md §2) under the hosted URL
 * `/api/packages/{owner}/pub`. The `versions/new` routes are declared before `{name}`.
 */
@Controller('api/packages/:owner/pub/api/packages')
@UseFilters(PubErrorFilter)
@AuthChallenge(PUB_CHALLENGE)
export class PubController {
  constructor(
    private readonly pub: PubService,
    private readonly downloads: PackageDownloadService,
  ) {}

  // docs/protocols/pub.md §3 step 1: lish.dart asks where to upload; no extra fields.
  @Get('versions/new')
  @PackageAccess('write')
  start(@Res() res: Response, @CurrentOwner() owner: UserEntity): void {
    const url = `${this.pub.hostedUrl(owner)}/api/packages/versions/new/upload`;
    res.type(PUB_JSON).send(JSON.stringify({ url, fields: {} }));
  }

  // docs/protocols/pub.md §3 step 2: the multipart `file`; 204 with the finalize URL in Location.
  @Post('versions/new/upload')
  @HttpCode(204)
  @PackageAccess('write')
  async upload(
    @Req() req: Request,
    @Res({ passthrough: true }) res: Response,
    @CurrentOwner() owner: UserEntity,
    @CurrentPrincipal() principal: Principal,
  ): Promise<void> {
    const body = await openUploadBody(req);
    const { name, version } = await this.pub.upload(
      owner,
      principal.user.id,
      body.stream,
      body.declaredSize,
    );
    res.setHeader(
      'Location',
      `${this.pub.hostedUrl(owner)}/api/packages/versions/new/finalize/${encodeURIComponent(name)}/${encodeURIComponent(version)}`,
    );
  }

  // docs/protocols/pub.md §3 step 4: the version exists → the success message pub prints.
  @Get('versions/new/finalize/:name/:version')
  @PackageAccess('write')
  async finalize(
    @Param('name') name: string,
    @Param('version') version: string,
    @Res() res: Response,
    @CurrentOwner() owner: UserEntity,
  ): Promise<void> {
    const message = await this.pub.finalize(owner, name, version);
    res.type(PUB_JSON).send(JSON.stringify({ success: { message } }));
  }

  // docs/protocols/pub.md §4: every version of a package, as `dart pub get` reads it.
  @Get(':name')
  @PackageAccess('read')
  async versions(
    @Param('name') name: string,
    @Req() req: Request,
    @Res() res: Response,
    @CurrentOwner() owner: UserEntity,
  ): Promise<void> {
    serveDocument(req, res, await this.pub.packageDocument(owner, name));
  }

  // docs/protocols/pub.md §4: one version (deprecated in the spec, still asked for).
  @Get(':name/:version')
  @PackageAccess('read')
  async version(
    @Param('name') name: string,
    @Param('version') version: string,
    @Res() res: Response,
    @CurrentOwner() owner: UserEntity,
  ): Promise<void> {
    res.type(PUB_JSON).send(await this.pub.versionDocument(owner, name, version));
  }

  // docs/protocols/pub.md §2: the archive `archive_url` names; every GET counts.
  @Get(':name/files/:file')
  @PackageAccess('read')
  async download(
    @Param('name') name: string,
    @Param('file') file: string,
    @Req() req: Request,
    @Res() res: Response,
    @CurrentOwner() owner: UserEntity,
  ): Promise<void> {
    const found = await this.pub.findArchive(owner, name, file);
    await serveFile(req, res, this.downloads, found.file, found.blob, {
      contentType: 'application/octet-stream',
      countDownload: true,
    });
  }
}
