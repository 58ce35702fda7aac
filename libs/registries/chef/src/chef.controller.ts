import {
  Controller,
  Delete,
  Get,
  HttpCode,
  Param,
  Post,
  Query,
  Req,
  Res,
  UseFilters,
} from '@nestjs/common';
import type { Request, Response } from 'express';
import { CurrentOwner, CurrentPrincipal, PackageAccess, Principal } from '@wharf/auth';
import {
  checkName,
  openUploadBody,
  PackageDownloadService,
  RegistryError,
  serveDocument,
  serveFile,
  UserEntity,
} from '@wharf/packages-core';
import { ChefErrorFilter } from './chef-error.filter';
import { listQuery } from './chef.documents';
import { COOKBOOK_NAME, COOKBOOK_VERSION } from './chef.metadata';
import { ChefService } from './chef.service';

/**
 * The Supermarket API (docs/protocols/chef.md §2) at Forgejo's paths: `knife[:supermarket_site]`
 * is `{base}`, and knife appends `/api/v1/…`.
 */
@Controller('api/packages/:owner/chef/api/v1')
@UseFilters(ChefErrorFilter)
export class ChefController {
  constructor(
    private readonly chef: ChefService,
    private readonly downloads: PackageDownloadService,
  ) {}

  // docs/protocols/chef.md §4: Berkshelf's dependency resolver reads the whole universe.
  @Get('universe')
  @PackageAccess('read')
  async universe(
    @Req() req: Request,
    @Res() res: Response,
    @CurrentOwner() owner: UserEntity,
  ): Promise<void> {
    serveDocument(req, res, await this.chef.universe(owner));
  }

  // docs/protocols/chef.md §4: `knife supermarket search` (q, start, items).
  @Get('search')
  @PackageAccess('read')
  async search(
    @Req() req: Request,
    @Res() res: Response,
    @CurrentOwner() owner: UserEntity,
    @Query() query: Record<string, unknown>,
  ): Promise<void> {
    serveDocument(req, res, await this.chef.list(owner, listQuery(query, true)));
  }

  // docs/protocols/chef.md §4: `knife supermarket list` (start, items, order).
  @Get('cookbooks')
  @PackageAccess('read')
  async list(
    @Req() req: Request,
    @Res() res: Response,
    @CurrentOwner() owner: UserEntity,
    @Query() query: Record<string, unknown>,
  ): Promise<void> {
    serveDocument(req, res, await this.chef.list(owner, listQuery(query, false)));
  }

  // docs/protocols/chef.md §3: `knife supermarket share` posts the `tarball` part (and a `cookbook` part, ignored). 201 `{}`.
  @Post('cookbooks')
  @HttpCode(201)
  @PackageAccess('write')
  async upload(
    @Req() req: Request,
    @CurrentOwner() owner: UserEntity,
    @CurrentPrincipal() principal: Principal,
  ): Promise<Record<string, never>> {
    if (!/^\s*multipart\/form-data/i.test(req.headers['content-type'] ?? '')) {
      req.resume();
      throw RegistryError.invalid('send the cookbook as multipart/form-data with a tarball part');
    }
    const body = await openUploadBody(req);
    if (body.field !== 'tarball') {
      body.stream.resume();
      throw RegistryError.invalid(
        `the form's file part must be named tarball, not ${JSON.stringify(body.field ?? '')}`,
      );
    }
    await this.chef.upload(owner, principal.user.id, body.stream, body.declaredSize);
    return {};
  }

  // docs/protocols/chef.md §4: `knife supermarket show {name}`.
  @Get('cookbooks/:name')
  @PackageAccess('read')
  async cookbook(
    @Param('name') name: string,
    @Req() req: Request,
    @Res() res: Response,
    @CurrentOwner() owner: UserEntity,
  ): Promise<void> {
    serveDocument(req, res, await this.chef.cookbook(owner, checkName(name, COOKBOOK_NAME)));
  }

  // docs/protocols/chef.md §8: knife asks for `/versions/1_0_1`; `_` reads as `.`.
  @Get('cookbooks/:name/versions/:version')
  @PackageAccess('read')
  async version(
    @Param('name') name: string,
    @Param('version') version: string,
    @Req() req: Request,
    @Res() res: Response,
    @CurrentOwner() owner: UserEntity,
  ): Promise<void> {
    const [n, v] = coordinates(name, version);
    serveDocument(req, res, await this.chef.version(owner, n, v));
  }

  // docs/protocols/chef.md §4: the tarball (the version document's `file`); each GET counts.
  @Get('cookbooks/:name/versions/:version/download')
  @PackageAccess('read')
  async download(
    @Param('name') name: string,
    @Param('version') version: string,
    @Req() req: Request,
    @Res() res: Response,
    @CurrentOwner() owner: UserEntity,
  ): Promise<void> {
    const [n, v] = coordinates(name, version);
    const { file, blob } = await this.chef.tarball(owner, n, v);
    await serveFile(req, res, this.downloads, file, blob, {
      contentType: 'application/octet-stream',
      countDownload: true,
    });
  }

  // docs/protocols/chef.md §2: `knife supermarket unshare {name}/versions/{version}`; 200, empty.
  @Delete('cookbooks/:name/versions/:version')
  @HttpCode(200)
  @PackageAccess('write')
  async deleteVersion(
    @Param('name') name: string,
    @Param('version') version: string,
    @CurrentOwner() owner: UserEntity,
  ): Promise<void> {
    const [n, v] = coordinates(name, version);
    await this.chef.deleteVersion(owner, n, v);
  }

  // docs/protocols/chef.md §2: `knife supermarket unshare {name}`: every version; 200, empty.
  @Delete('cookbooks/:name')
  @HttpCode(200)
  @PackageAccess('write')
  async deleteCookbook(
    @Param('name') name: string,
    @CurrentOwner() owner: UserEntity,
  ): Promise<void> {
    await this.chef.deleteCookbook(owner, checkName(name, COOKBOOK_NAME));
  }
}

/** A cookbook name and version from the path, checked; `1_0_1` is `1.0.1`. */
function coordinates(name: string, version: string): [string, string] {
  return [checkName(name, COOKBOOK_NAME), checkName(version.replace(/_/g, '.'), COOKBOOK_VERSION)];
}
