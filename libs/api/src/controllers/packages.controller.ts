import { Delete, Get, HttpCode, Param, Query, Req, Res } from '@nestjs/common';
import { ApiNoContentResponse, ApiOkResponse, ApiOperation } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { CurrentOwner, CurrentPrincipal, PackageAccess, Principal, UserService } from '@wharf/auth';
import {
  BlobDigestService,
  AppConfig,
  isPackageType,
  PackageEntity,
  PackageQueryService,
  PackageService,
  PackageVersionEntity,
  RegistryError,
  UserEntity,
} from '@wharf/packages-core';
import { PackageListQuery } from '../dto/package-query.dto';
import { ApiController } from '../http/api-controller.decorator';
import { pageOf, setPagingHeaders } from '../http/paging';
import { ApiPackage, ApiPackageFile } from '../shapes/api-shapes';
import { ghostUser, presentPackage, presentPackageFile, presentUser } from '../shapes/present';

/** docs/protocols/core.md §10: the owner's packages, with the same access rules as the package-manager routes. */
@ApiController('packages/:owner', 'package')
export class PackagesController {
  constructor(
    private readonly query: PackageQueryService,
    private readonly packages: PackageService,
    private readonly users: UserService,
    private readonly config: AppConfig,
    private readonly digests: BlobDigestService,
  ) {}

  // Forgejo `GET /packages/{owner}` (listPackages): versions newest first, paged.
  @Get()
  @PackageAccess('read')
  @ApiOkResponse({ type: [ApiPackage] })
  @ApiOperation({ operationId: 'listPackages' })
  async list(
    @Query() q: PackageListQuery,
    @CurrentOwner() owner: UserEntity,
    @CurrentPrincipal() principal: Principal | undefined,
    @Req() req: Request,
    @Res({ passthrough: true }) res: Response,
  ): Promise<ApiPackage[]> {
    const page = pageOf(q);
    const { items, total } = await this.query.searchVersions({
      ownerId: owner.id,
      type: q.type,
      query: q.q,
      offset: page.offset,
      limit: page.limit,
    });
    setPagingHeaders(req, res, this.config.baseUrl, page, total);
    return this.present(owner, principal, items);
  }

  // Forgejo `GET /packages/{owner}/{type}/{name}/{version}` (getPackage).
  @Get(':type/:name/:version')
  @PackageAccess('read')
  @ApiOkResponse({ type: ApiPackage })
  @ApiOperation({ operationId: 'getPackage' })
  async get(
    @Param('type') type: string,
    @Param('name') name: string,
    @Param('version') version: string,
    @CurrentOwner() owner: UserEntity,
    @CurrentPrincipal() principal: Principal | undefined,
  ): Promise<ApiPackage> {
    const found = await this.find(owner, type, name, version);
    return (await this.present(owner, principal, [found]))[0];
  }

  // Forgejo `DELETE /packages/{owner}/{type}/{name}/{version}` (deletePackage).
  @Delete(':type/:name/:version')
  @HttpCode(204)
  @PackageAccess('write')
  @ApiNoContentResponse()
  @ApiOperation({ operationId: 'deletePackage' })
  async remove(
    @Param('type') type: string,
    @Param('name') name: string,
    @Param('version') version: string,
    @CurrentOwner() owner: UserEntity,
  ): Promise<void> {
    const found = await this.find(owner, type, name, version);
    await this.packages.deleteVersion(found.version.id);
  }

  // Forgejo `GET /packages/{owner}/{type}/{name}/{version}/files` (listPackageFiles).
  @Get(':type/:name/:version/files')
  @PackageAccess('read')
  @ApiOkResponse({ type: [ApiPackageFile] })
  @ApiOperation({ operationId: 'listPackageFiles' })
  async files(
    @Param('type') type: string,
    @Param('name') name: string,
    @Param('version') version: string,
    @CurrentOwner() owner: UserEntity,
  ): Promise<ApiPackageFile[]> {
    const found = await this.find(owner, type, name, version);
    const files = await this.query.listFiles(found.version.id);
    // Container layers are stored with sha256 only: the API shows every digest.
    await this.digests.complete(files.map((f) => f.blob));
    return files.map(presentPackageFile);
  }

  private async find(owner: UserEntity, type: string, name: string, version: string) {
    const found = isPackageType(type)
      ? await this.query.findVersionByName(owner.id, type, name, version)
      : null;
    if (!found || found.version.isInternal || found.package.isInternal)
      throw RegistryError.notFound('package does not exist');
    return found;
  }

  private async present(
    owner: UserEntity,
    principal: Principal | undefined,
    items: { package: PackageEntity; version: PackageVersionEntity }[],
  ): Promise<ApiPackage[]> {
    const base = this.config.baseUrl;
    const privileged = (u: UserEntity) =>
      !!principal && (principal.user.isAdmin || principal.user.id === u.id);
    const creators = await this.users.findByIds(items.map((i) => i.version.creatorId));
    const ownerJson = presentUser(owner, base, { privileged: privileged(owner) });
    return items.map((i) => {
      const creator = creators.get(i.version.creatorId);
      return presentPackage(
        i.package,
        i.version,
        ownerJson,
        creator ? presentUser(creator, base, { privileged: privileged(creator) }) : ghostUser(base),
        base,
      );
    });
  }
}
