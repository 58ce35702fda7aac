import { Controller, Delete, Get, Head, HttpCode, Param, Put, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import { CurrentOwner, CurrentPrincipal, PackageAccess, Principal } from '@wharf/auth';
import {
  openUploadBody,
  PackageDownloadService,
  serveFile,
  UserEntity,
} from '@wharf/packages-core';
import { GenericCoordinates, GenericService } from './generic.service';

// Never a type a browser renders: the stored name is not used to guess one (Forgejo).
const CONTENT_TYPE = 'application/octet-stream';

@Controller('api/packages/:owner/generic')
export class GenericController {
  constructor(
    private readonly generic: GenericService,
    private readonly downloads: PackageDownloadService,
  ) {}

  // docs/protocols/generic.md §3: PUT a file (raw body, or the first file part of a form) → 201; 409 if it exists.
  @Put(':name/:version/:filename')
  @HttpCode(201)
  @PackageAccess('write')
  async upload(
    @Param() c: GenericCoordinates,
    @Req() req: Request,
    @CurrentOwner() owner: UserEntity,
    @CurrentPrincipal() principal: Principal,
  ): Promise<void> {
    this.generic.validate(c);
    const body = await openUploadBody(req);
    await this.generic.upload(owner, principal.user.id, c, body.stream, body.declaredSize);
  }

  // docs/protocols/generic.md §8: Forgejo's HEAD only checks existence and never counts a download.
  @Head(':name/:version/:filename')
  @PackageAccess('read')
  async head(
    @Param() c: GenericCoordinates,
    @Req() req: Request,
    @Res() res: Response,
    @CurrentOwner() owner: UserEntity,
  ): Promise<void> {
    await this.send(c, req, res, owner, false);
  }

  // docs/protocols/generic.md §4: download with Range, Content-Disposition, checksums; counts a download.
  @Get(':name/:version/:filename')
  @PackageAccess('read')
  async download(
    @Param() c: GenericCoordinates,
    @Req() req: Request,
    @Res() res: Response,
    @CurrentOwner() owner: UserEntity,
  ): Promise<void> {
    await this.send(c, req, res, owner, true);
  }

  // docs/protocols/generic.md §2: DELETE one file (the version goes with its last file).
  @Delete(':name/:version/:filename')
  @HttpCode(204)
  @PackageAccess('write')
  async deleteFile(
    @Param() c: GenericCoordinates,
    @CurrentOwner() owner: UserEntity,
  ): Promise<void> {
    await this.generic.deleteFile(owner, c);
  }

  // docs/protocols/generic.md §2: DELETE a version with all its files.
  @Delete(':name/:version')
  @HttpCode(204)
  @PackageAccess('write')
  async deleteVersion(
    @Param('name') name: string,
    @Param('version') version: string,
    @CurrentOwner() owner: UserEntity,
  ): Promise<void> {
    await this.generic.deleteVersion(owner, name, version);
  }

  private async send(
    c: GenericCoordinates,
    req: Request,
    res: Response,
    owner: UserEntity,
    count: boolean,
  ): Promise<void> {
    const { file, blob } = await this.generic.findFile(owner, c);
    await serveFile(req, res, this.downloads, file, blob, {
      contentType: CONTENT_TYPE,
      countDownload: count,
    });
  }
}
