import { Controller, Get, HttpCode, Param, Put, Query, Req, Res, UseFilters } from '@nestjs/common';
import type { Request, Response } from 'express';
import { CurrentOwner, CurrentPrincipal, PackageAccess, Principal } from '@wharf/auth';
import {
  openUploadBody,
  PackageDownloadService,
  RegistryError,
  serveDocument,
  serveFile,
  UserEntity,
} from '@wharf/packages-core';
import { ComposerErrorFilter } from './composer-error.filter';
import { searchQuery } from './composer.documents';
import { ComposerService } from './composer.service';

/** The Composer repository (docs/protocols/composer.md §2), at Forgejo's paths. */
@Controller('api/packages/:owner/composer')
@UseFilters(ComposerErrorFilter)
export class ComposerController {
  constructor(
    private readonly composer: ComposerService,
    private readonly downloads: PackageDownloadService,
  ) {}

  // docs/protocols/composer.md §4: Composer 2 reads the repository root first.
  @Get('packages.json')
  @PackageAccess('read')
  async packagesJson(
    @Req() req: Request,
    @Res() res: Response,
    @CurrentOwner() owner: UserEntity,
  ): Promise<void> {
    serveDocument(req, res, await this.composer.packagesJson(owner));
  }

  // docs/protocols/composer.md §4: `composer search` (Packagist's search API).
  @Get('search.json')
  @PackageAccess('read')
  async search(
    @Req() req: Request,
    @Res() res: Response,
    @CurrentOwner() owner: UserEntity,
    @Query() query: Record<string, unknown>,
  ): Promise<void> {
    serveDocument(req, res, await this.composer.search(owner, searchQuery(query)));
  }

  // docs/protocols/composer.md §4: every package name (`composer show -a`, the `list` template).
  @Get('list.json')
  @PackageAccess('read')
  async list(
    @Req() req: Request,
    @Res() res: Response,
    @CurrentOwner() owner: UserEntity,
  ): Promise<void> {
    serveDocument(req, res, await this.composer.list(owner));
  }

  // docs/protocols/composer.md §4: the `metadata-url` template; Composer asks for `{name}.json` and, when dev versions are allowed, `{name}~dev.json`.
  @Get('p2/:vendor/:file')
  @PackageAccess('read')
  async p2(
    @Param('vendor') vendor: string,
    @Param('file') file: string,
    @Req() req: Request,
    @Res() res: Response,
    @CurrentOwner() owner: UserEntity,
  ): Promise<void> {
    const match = /^(.+?)(~dev)?\.json$/.exec(file);
    if (!match) throw RegistryError.notFound(`no such document: p2/${vendor}/${file}`);
    serveDocument(req, res, await this.composer.p2(owner, vendor, match[1], !!match[2]));
  }

  // docs/protocols/composer.md §2: `dist.url`, the package name in one segment (`vendor%2Fproject`); each GET counts.
  @Get('files/:package/:version/:filename')
  @PackageAccess('read')
  async download(
    @Param('package') name: string,
    @Param('version') version: string,
    @Param('filename') filename: string,
    @Req() req: Request,
    @Res() res: Response,
    @CurrentOwner() owner: UserEntity,
  ): Promise<void> {
    const { file, blob } = await this.composer.findArchive(owner, name, version, filename);
    await serveFile(req, res, this.downloads, file, blob, {
      contentType: 'application/octet-stream',
      countDownload: true,
    });
  }

  // docs/protocols/composer.md §3: Composer has no publish command; a plain `PUT {base}?version=` of the archive. 201, empty.
  @Put(['', '/'])
  @HttpCode(201)
  @PackageAccess('write')
  async upload(
    @Req() req: Request,
    @CurrentOwner() owner: UserEntity,
    @CurrentPrincipal() principal: Principal,
    @Query('version') version?: unknown,
  ): Promise<void> {
    if (version !== undefined && typeof version !== 'string') {
      req.resume();
      throw RegistryError.invalid('give the version once: ?version=1.0.3');
    }
    const body = await openUploadBody(req);
    await this.composer.upload(owner, principal.user.id, body.stream, body.declaredSize, version);
  }
}
