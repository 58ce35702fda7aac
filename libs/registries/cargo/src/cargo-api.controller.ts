import {
  Controller,
  Delete,
  Get,
  HttpCode,
  Param,
  Put,
  Query,
  Req,
  Res,
  UseFilters,
} from '@nestjs/common';
import type { Request, Response } from 'express';
import { CurrentOwner, CurrentPrincipal, PackageAccess, Principal } from '@wharf/auth';
import {
  PackageDownloadService,
  parseContentLength,
  serveFile,
  UserEntity,
} from '@wharf/packages-core';
import { CargoErrorFilter } from './cargo-error.filter';
import { OK_RESPONSE, PUBLISH_RESPONSE } from './cargo.documents';
import { checkCrateName, checkCrateVersion } from './cargo.metadata';
import { CargoService } from './cargo.service';

/**
 * cargo's Registry Web API under `{base}/api/v1/crates` (docs/protocols/cargo.md §2):
 * publish, download, yank, search, owners. Registered before the index routes, whose
 * `{ab}/{cd}/{name}` pattern would otherwise take `api/v1/crates`.
 */
@Controller('api/packages/:owner/cargo/api/v1/crates')
@UseFilters(CargoErrorFilter)
export class CargoApiController {
  constructor(
    private readonly cargo: CargoService,
    private readonly downloads: PackageDownloadService,
  ) {}

  // docs/protocols/cargo.md §3: `cargo publish` sends the framed metadata + .crate body.
  @Put('new')
  @HttpCode(200)
  @PackageAccess('write')
  async publish(
    @Req() req: Request,
    @CurrentOwner() owner: UserEntity,
    @CurrentPrincipal() principal: Principal,
  ): Promise<typeof PUBLISH_RESPONSE> {
    await this.cargo.publish(owner, principal.user.id, req, parseContentLength(req.headers));
    return PUBLISH_RESPONSE;
  }

  // docs/protocols/cargo.md §4: `cargo search` (q, per_page; page as crates.io takes it).
  @Get()
  @PackageAccess('read')
  search(
    @CurrentOwner() owner: UserEntity,
    @Query('q') q?: unknown,
    @Query('page') page?: unknown,
    @Query('per_page') perPage?: unknown,
  ) {
    return this.cargo.search(
      owner,
      typeof q === 'string' ? q : '',
      positiveInt(page, 1),
      positiveInt(perPage, 10),
    );
  }

  // docs/protocols/cargo.md §2: the `dl` URL of config.json plus `/{crate}/{version}/download`; each GET counts.
  @Get(':name/:version/download')
  @PackageAccess('read')
  async download(
    @Param('name') name: string,
    @Param('version') version: string,
    @Req() req: Request,
    @Res() res: Response,
    @CurrentOwner() owner: UserEntity,
  ): Promise<void> {
    const { file, blob } = await this.cargo.findCrate(
      owner,
      checkCrateName(name),
      checkCrateVersion(version),
    );
    await serveFile(req, res, this.downloads, file, blob, {
      contentType: 'application/x-tar',
      countDownload: true,
    });
  }

  // docs/protocols/cargo.md §2: `cargo yank --version V NAME`.
  @Delete(':name/:version/yank')
  @HttpCode(200)
  @PackageAccess('write')
  async yank(
    @Param('name') name: string,
    @Param('version') version: string,
    @CurrentOwner() owner: UserEntity,
  ): Promise<typeof OK_RESPONSE> {
    await this.cargo.setYanked(owner, checkCrateName(name), checkCrateVersion(version), true);
    return OK_RESPONSE;
  }

  // docs/protocols/cargo.md §2: `cargo yank --undo --version V NAME`.
  @Put(':name/:version/unyank')
  @HttpCode(200)
  @PackageAccess('write')
  async unyank(
    @Param('name') name: string,
    @Param('version') version: string,
    @CurrentOwner() owner: UserEntity,
  ): Promise<typeof OK_RESPONSE> {
    await this.cargo.setYanked(owner, checkCrateName(name), checkCrateVersion(version), false);
    return OK_RESPONSE;
  }

  // docs/protocols/cargo.md §4: `cargo owner --list NAME` (the owner is the crate's only owner).
  @Get(':name/owners')
  @PackageAccess('read')
  owners(@Param('name') name: string, @CurrentOwner() owner: UserEntity) {
    return this.cargo.owners(owner, checkCrateName(name));
  }
}

function positiveInt(value: unknown, fallback: number): number {
  const n = typeof value === 'string' && /^\d{1,6}$/.test(value) ? Number(value) : NaN;
  return n >= 1 ? n : fallback;
}
