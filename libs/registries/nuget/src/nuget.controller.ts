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
  openUploadBody,
  PackageDownloadService,
  RegistryError,
  serveDocument,
  serveFile,
  UserEntity,
} from '@wharf/packages-core';
import { NuGetErrorFilter } from './nuget-error.filter';
import { searchQuery } from './nuget.documents';
import { NuGetFeedService, SearchMethod } from './nuget-feeds.service';
import { repairLegacyMultipart } from './nuget-multipart';
import { NuGetService } from './nuget.service';

// `Packages(Id='x',Version='1.0.0')`, as NuGet.exe asks for one version.
const ENTRY_SEGMENT = /^Packages\(Id='([^']*)',Version='([^']*)'\)$/;
const SYMBOL_KEY = /^([0-9a-f]{32})ffffffff$/i;

/** The NuGet feed (docs/protocols/nuget.md §2), at Forgejo's paths. */
@Controller('api/packages/:owner/nuget')
@UseFilters(NuGetErrorFilter)
export class NuGetController {
  constructor(
    private readonly nuget: NuGetService,
    private readonly feeds: NuGetFeedService,
    private readonly downloads: PackageDownloadService,
  ) {}

  // docs/protocols/nuget.md §4: the v2 service document; NuGet.exe GETs it before a push and
  // offers credentials only when it answers 401 (a private owner).
  @Get(['', '/'])
  @PackageAccess('read')
  async root(@Req() req: Request, @Res() res: Response, @CurrentOwner() owner: UserEntity) {
    serveDocument(req, res, await this.feeds.serviceDocument(owner));
  }

  // docs/protocols/nuget.md §4: the v3 service index, where NuGet 3+ starts.
  @Get('index.json')
  @PackageAccess('read')
  async serviceIndex(
    @Req() req: Request,
    @Res() res: Response,
    @CurrentOwner() owner: UserEntity,
  ): Promise<void> {
    serveDocument(req, res, await this.nuget.serviceIndex(owner));
  }

  // docs/protocols/nuget.md §4: SearchQueryService.
  @Get('query')
  @PackageAccess('read')
  async query(
    @Req() req: Request,
    @Res() res: Response,
    @CurrentOwner() owner: UserEntity,
    @Query() query: Record<string, unknown>,
  ): Promise<void> {
    serveDocument(req, res, await this.nuget.search(owner, searchQuery(query)));
  }

  // docs/protocols/nuget.md §4: RegistrationsBaseUrl, the registration index.
  @Get('registration/:id/index.json')
  @PackageAccess('read')
  async registrationIndex(
    @Param('id') id: string,
    @Req() req: Request,
    @Res() res: Response,
    @CurrentOwner() owner: UserEntity,
  ): Promise<void> {
    serveDocument(req, res, await this.nuget.registrationIndex(owner, id));
  }

  // docs/protocols/nuget.md §4: a registration leaf, `{version}.json` (the suffix optional).
  @Get('registration/:id/:leaf')
  @PackageAccess('read')
  async registrationLeaf(
    @Param('id') id: string,
    @Param('leaf') leaf: string,
    @Req() req: Request,
    @Res() res: Response,
    @CurrentOwner() owner: UserEntity,
  ): Promise<void> {
    const version = leaf.replace(/\.json$/i, '');
    serveDocument(req, res, await this.nuget.registrationLeaf(owner, id, version));
  }

  // docs/protocols/nuget.md §4: PackageBaseAddress, the versions of an id (lower case).
  @Get('package/:id/index.json')
  @PackageAccess('read')
  async versionList(
    @Param('id') id: string,
    @Req() req: Request,
    @Res() res: Response,
    @CurrentOwner() owner: UserEntity,
  ): Promise<void> {
    serveDocument(req, res, await this.nuget.versionList(owner, id));
  }

  // docs/protocols/nuget.md §2: `.nupkg` (counts a download), `.snupkg`, and the `.nuspec` read from the package.
  @Get('package/:id/:version/:filename')
  @PackageAccess('read')
  async download(
    @Param('id') id: string,
    @Param('version') version: string,
    @Param('filename') filename: string,
    @Req() req: Request,
    @Res() res: Response,
    @CurrentOwner() owner: UserEntity,
  ): Promise<void> {
    if (/\.nuspec$/i.test(filename)) {
      if (filename.toLowerCase() !== `${id}.nuspec`.toLowerCase())
        throw RegistryError.notFound(`file ${filename} of ${id} ${version} not found`);
      return serveDocument(req, res, await this.nuget.nuspec(owner, id, version));
    }
    const { file, blob } = await this.nuget.findFile(owner, id, version, filename);
    await serveFile(req, res, this.downloads, file, blob, {
      contentType: 'application/octet-stream',
      countDownload: file.isLead,
    });
  }

  // docs/protocols/nuget.md §2: the symbol server (Simple Symbol Query Protocol), `{file}/{pdb id}FFFFFFFF/{file}`.
  @Get('symbols/:file/:key/:file2')
  @PackageAccess('read')
  async symbol(
    @Param('file') file: string,
    @Param('key') key: string,
    @Param('file2') file2: string,
    @Req() req: Request,
    @Res() res: Response,
    @CurrentOwner() owner: UserEntity,
  ): Promise<void> {
    const match = SYMBOL_KEY.exec(key);
    if (!match)
      throw RegistryError.invalid('the symbol key must be a 32-digit PDB id and FFFFFFFF');
    if (file.toLowerCase() !== file2.toLowerCase())
      throw RegistryError.invalid('the two file names of a symbol request must be the same');
    serveDocument(req, res, await this.nuget.symbol(owner, file, match[1]));
  }

  // docs/protocols/nuget.md §3: PackagePublish; NuGet sends the .nupkg as a multipart form, curl may send it raw.
  @Put(['', '/'])
  @HttpCode(201)
  @PackageAccess('write')
  async push(
    @Req() req: Request,
    @CurrentOwner() owner: UserEntity,
    @CurrentPrincipal() principal: Principal,
  ): Promise<void> {
    const body = await openUploadBody(repairLegacyMultipart(req));
    await this.nuget.push(owner, principal.user.id, body.stream, body.declaredSize);
  }

  // docs/protocols/nuget.md §3: SymbolPackagePublish, a .snupkg for a pushed version.
  @Put('symbolpackage')
  @HttpCode(201)
  @PackageAccess('write')
  async pushSymbols(
    @Req() req: Request,
    @CurrentOwner() owner: UserEntity,
    @CurrentPrincipal() principal: Principal,
  ): Promise<void> {
    const body = await openUploadBody(repairLegacyMultipart(req));
    await this.nuget.pushSymbols(owner, principal.user.id, body.stream, body.declaredSize);
  }

  // docs/protocols/nuget.md §3: `nuget delete` / `dotnet nuget delete`; the version's files go with it.
  @Delete(':id/:version')
  @HttpCode(204)
  @PackageAccess('write')
  async delete(
    @Param('id') id: string,
    @Param('version') version: string,
    @CurrentOwner() owner: UserEntity,
  ): Promise<void> {
    await this.nuget.delete(owner, id, version);
  }

  // docs/protocols/nuget.md §4: the v2 OData resources, one path segment each: `$metadata`,
  // `Search()`, `Packages()`, `FindPackagesById()`, `Packages(Id='…',Version='…')`.
  @Get(':segment')
  @PackageAccess('read')
  async odata(
    @Param('segment') segment: string,
    @Req() req: Request,
    @Res() res: Response,
    @CurrentOwner() owner: UserEntity,
    @Query() query: Record<string, unknown>,
  ): Promise<void> {
    serveDocument(req, res, await this.odataDocument(owner, segment, query, false));
  }

  // docs/protocols/nuget.md §4: `Search()/$count`, `Packages()/$count`, `FindPackagesById()/$count`.
  @Get(':segment/:count')
  @PackageAccess('read')
  async odataCount(
    @Param('segment') segment: string,
    @Param('count') count: string,
    @Req() req: Request,
    @Res() res: Response,
    @CurrentOwner() owner: UserEntity,
    @Query() query: Record<string, unknown>,
  ): Promise<void> {
    if (count !== '$count') throw RegistryError.notFound(`no such resource: ${segment}/${count}`);
    serveDocument(req, res, await this.odataDocument(owner, segment, query, true));
  }

  private odataDocument(
    owner: UserEntity,
    segment: string,
    query: Record<string, unknown>,
    count: boolean,
  ) {
    if (segment === '$metadata' && !count) return this.feeds.metadata(owner);
    if (segment === 'Search()' || segment === 'Packages()')
      return this.feeds.search(owner, segment.slice(0, -2) as SearchMethod, query, count);
    if (segment === 'FindPackagesById()') return this.feeds.findById(owner, query, count);
    const entry = ENTRY_SEGMENT.exec(segment);
    if (entry && !count) return this.feeds.entry(owner, entry[1], entry[2]);
    throw RegistryError.notFound(`no such resource: ${segment}`);
  }
}
