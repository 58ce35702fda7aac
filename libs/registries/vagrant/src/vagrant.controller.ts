import {
  Controller,
  Delete,
  Get,
  HttpCode,
  Param,
  Put,
  Req,
  Res,
  UseFilters,
} from '@nestjs/common';
import type { Request, Response } from 'express';
import {
  BASIC_CHALLENGE,
  CurrentOwner,
  CurrentPrincipal,
  PackageAccess,
  Principal,
} from '@wharf/auth';
import {
  openUploadBody,
  PackageDownloadService,
  RegistryError,
  RegistryErrorCode,
  serveDocument,
  serveFile,
  UserEntity,
} from '@wharf/packages-core';
import { VagrantErrorFilter } from './vagrant-error.filter';
import { BoxCoordinates, VagrantService } from './vagrant.service';

/** Vagrant boxes (docs/protocols/vagrant.md §2), at Forgejo's paths. */
@Controller('api/packages/:owner/vagrant')
@UseFilters(VagrantErrorFilter)
export class VagrantController {
  constructor(
    private readonly vagrant: VagrantService,
    private readonly downloads: PackageDownloadService,
  ) {}

  // docs/protocols/vagrant.md §5: `vagrant cloud auth login --check` with VAGRANT_SERVER_URL set to this base; 200 only for a signed-in caller.
  @Get('authenticate')
  @PackageAccess('read')
  authenticate(
    @Res({ passthrough: true }) res: Response,
    @CurrentPrincipal() principal: Principal | undefined,
  ): void {
    if (principal) return;
    res.setHeader('WWW-Authenticate', BASIC_CHALLENGE);
    throw new RegistryError(RegistryErrorCode.Unauthorized, 'Invalid access token');
  }

  // docs/protocols/vagrant.md §4, §8: the catalog `vagrant box add <url>` reads; its HEAD must say application/json.
  @Get(':name')
  @PackageAccess('read')
  async catalog(
    @Param('name') name: string,
    @Req() req: Request,
    @Res() res: Response,
    @CurrentOwner() owner: UserEntity,
  ): Promise<void> {
    serveDocument(req, res, await this.vagrant.catalog(owner, name));
  }

  // docs/protocols/vagrant.md §2: the box a catalog's provider URL names; every GET counts.
  @Get(':name/:version/:file')
  @PackageAccess('read')
  async download(
    @Param() coordinates: BoxCoordinates,
    @Req() req: Request,
    @Res() res: Response,
    @CurrentOwner() owner: UserEntity,
  ): Promise<void> {
    const { file, blob } = await this.vagrant.findBox(owner, coordinates);
    await serveFile(req, res, this.downloads, file, blob, {
      contentType: 'application/octet-stream',
      countDownload: true,
    });
  }

  // docs/protocols/vagrant.md §3: no publish command; a plain PUT of the box per provider. 201, empty.
  @Put(':name/:version/:file')
  @HttpCode(201)
  @PackageAccess('write')
  async upload(
    @Param() coordinates: BoxCoordinates,
    @Req() req: Request,
    @CurrentOwner() owner: UserEntity,
    @CurrentPrincipal() principal: Principal,
  ): Promise<void> {
    const body = await openUploadBody(req);
    await this.vagrant.upload(
      owner,
      principal.user.id,
      coordinates,
      body.stream,
      body.declaredSize,
    );
  }

  // docs/protocols/vagrant.md §2: removes one provider's box (the version goes with its last box).
  @Delete(':name/:version/:file')
  @HttpCode(204)
  @PackageAccess('write')
  async deleteBox(
    @Param() coordinates: BoxCoordinates,
    @CurrentOwner() owner: UserEntity,
  ): Promise<void> {
    await this.vagrant.deleteBox(owner, coordinates);
  }

  // docs/protocols/vagrant.md §2: removes a version with every provider's box.
  @Delete(':name/:version')
  @HttpCode(204)
  @PackageAccess('write')
  async deleteVersion(
    @Param('name') name: string,
    @Param('version') version: string,
    @CurrentOwner() owner: UserEntity,
  ): Promise<void> {
    await this.vagrant.deleteVersion(owner, name, version);
  }
}
