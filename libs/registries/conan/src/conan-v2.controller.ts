import {
  Controller,
  Delete,
  Get,
  Header,
  HttpCode,
  Param,
  Put,
  Query,
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
  PackageDownloadService,
  RegistryError,
  RegistryErrorCode,
  serveDocument,
  UserEntity,
} from '@wharf/packages-core';
import { ConanErrorFilter } from './conan-error.filter';
import {
  packageTarget,
  Params,
  receiveConanFile,
  recipeTarget,
  routePackageRevision,
  routeRecipe,
  routeRecipeRevision,
  sendConanFile,
} from './conan-routes';
import { ConanIndexService } from './conan-index.service';
import { ConanTokenService } from './conan-token.service';
import { ConanService } from './conan.service';
import { checkRevision, PACKAGE_ID } from './conan.metadata';

const R = 'v2/conans/:name/:version/:user/:channel';
const RREV = `${R}/revisions/:rrev`;
const PKG = `${RREV}/packages/:pkg`;
const PREV = `${PKG}/revisions/:prev`;
// v1's file URLs (`upload_urls`, `download_urls`) name the same coordinates.
const V1_FILES = 'v1/files/:name/:version/:user/:channel/:rrev';

/**
 * Conan's REST API v2 (docs/protocols/conan.md §2), the only one Conan 2 speaks, and the
 * routes v1 and v2 share (ping, authenticate, check_credentials, recipe search).
 */
@Controller('api/packages/:owner/conan')
@UseFilters(ConanErrorFilter)
export class ConanV2Controller {
  constructor(
    private readonly conan: ConanService,
    private readonly index: ConanIndexService,
    private readonly tokens: ConanTokenService,
    private readonly downloads: PackageDownloadService,
  ) {}

  // docs/protocols/conan.md §5: Conan 2 asks `v1/ping` for the capabilities and refuses a remote without `revisions`.
  @Get(['v1/ping', 'v2/ping'])
  @PackageAccess('read')
  @Header('X-Conan-Server-Capabilities', 'revisions')
  ping(): void {}

  // docs/protocols/conan.md §5: `conan remote login` sends Basic and stores the text answered as its Bearer token.
  @Get(['v1/users/authenticate', 'v2/users/authenticate'])
  @PackageAccess('read')
  async authenticate(
    @Res() res: Response,
    @CurrentPrincipal() principal: Principal | undefined,
  ): Promise<void> {
    if (!principal) throw this.signIn(res);
    res.type('text/plain').send(await this.tokens.issue(principal));
  }

  // docs/protocols/conan.md §5: `conan remove` and login checks; 401 makes Conan sign in again.
  @Get(['v1/users/check_credentials', 'v2/users/check_credentials'])
  @PackageAccess('read')
  checkCredentials(
    @Res() res: Response,
    @CurrentPrincipal() principal: Principal | undefined,
  ): void {
    if (!principal) throw this.signIn(res);
    res.type('text/plain').send(principal.user.name);
  }

  // docs/protocols/conan.md §4: `conan search`/`conan list -r` and version ranges (`q=zlib/*`).
  @Get(['v1/conans/search', 'v2/conans/search'])
  @PackageAccess('read')
  async search(
    @Req() req: Request,
    @Res() res: Response,
    @CurrentOwner() owner: UserEntity,
    @Query('q') q?: unknown,
  ): Promise<void> {
    serveDocument(
      req,
      res,
      await this.index.recipeSearch(owner, typeof q === 'string' ? q.trim() : ''),
    );
  }

  // docs/protocols/conan.md §2: the newest recipe revision (`conan install` resolves it first).
  @Get(`${R}/latest`)
  @PackageAccess('read')
  async recipeLatest(
    @Param() p: Params,
    @Req() req: Request,
    @Res() res: Response,
    @CurrentOwner() owner: UserEntity,
  ) {
    serveDocument(req, res, await this.index.recipeRevisions(owner, routeRecipe(p), true));
  }

  // docs/protocols/conan.md §2: every recipe revision, newest first (`conan upload` asks whether its revision is there).
  @Get(`${R}/revisions`)
  @PackageAccess('read')
  async recipeRevisions(
    @Param() p: Params,
    @Req() req: Request,
    @Res() res: Response,
    @CurrentOwner() owner: UserEntity,
  ) {
    serveDocument(req, res, await this.index.recipeRevisions(owner, routeRecipe(p), false));
  }

  // docs/protocols/conan.md §2: every revision of the recipe with its packages (v1's DELETE too).
  @Delete([R, 'v1/conans/:name/:version/:user/:channel'])
  @PackageAccess('write')
  async deleteRecipe(@Param() p: Params, @CurrentOwner() owner: UserEntity): Promise<void> {
    await this.conan.deleteRecipe(owner, routeRecipe(p));
  }

  // docs/protocols/conan.md §4: packages of the newest recipe revision.
  @Get(`${R}/search`)
  @PackageAccess('read')
  async searchPackages(
    @Param() p: Params,
    @Req() req: Request,
    @Res() res: Response,
    @CurrentOwner() owner: UserEntity,
  ) {
    serveDocument(req, res, await this.index.packageSearch(owner, routeRecipe(p), undefined));
  }

  // docs/protocols/conan.md §4: packages of one recipe revision (`conan list ref#rrev:*`).
  @Get(`${RREV}/search`)
  @PackageAccess('read')
  async searchRevisionPackages(
    @Param() p: Params,
    @Req() req: Request,
    @Res() res: Response,
    @CurrentOwner() owner: UserEntity,
  ) {
    const ref = routeRecipeRevision(p);
    serveDocument(req, res, await this.index.packageSearch(owner, ref, ref.revision));
  }

  // docs/protocols/conan.md §2: `conan remove ref#rrev` — the revision and its packages.
  @Delete(RREV)
  @PackageAccess('write')
  async deleteRecipeRevision(@Param() p: Params, @CurrentOwner() owner: UserEntity): Promise<void> {
    const ref = routeRecipeRevision(p);
    await this.conan.deleteRecipe(owner, ref, ref.revision);
  }

  // docs/protocols/conan.md §2: the files of a recipe revision; Conan downloads the ones it knows.
  @Get(`${RREV}/files`)
  @PackageAccess('read')
  async recipeFiles(
    @Param() p: Params,
    @Req() req: Request,
    @Res() res: Response,
    @CurrentOwner() owner: UserEntity,
  ) {
    serveDocument(req, res, await this.index.fileList(owner, routeRecipeRevision(p)));
  }

  // docs/protocols/conan.md §2: one recipe file (v2, and v1's URLs).
  @Get([`${RREV}/files/:file`, `${V1_FILES}/recipe/:file`])
  @PackageAccess('read')
  async recipeFile(
    @Param() p: Params,
    @Req() req: Request,
    @Res() res: Response,
    @CurrentOwner() owner: UserEntity,
  ) {
    await sendConanFile(req, res, this.downloads, this.conan, owner, recipeTarget(p));
  }

  // docs/protocols/conan.md §3: Conan uploads the recipe's files one PUT each, sorted by name.
  @Put([`${RREV}/files/:file`, `${V1_FILES}/recipe/:file`])
  @HttpCode(201)
  @PackageAccess('write')
  async uploadRecipeFile(
    @Param() p: Params,
    @Req() req: Request,
    @CurrentOwner() owner: UserEntity,
    @CurrentPrincipal() principal: Principal,
  ): Promise<void> {
    await receiveConanFile(req, this.conan, owner, principal, recipeTarget(p));
  }

  // docs/protocols/conan.md §2: every package of a recipe revision (`conan remove ref#rrev:*`).
  @Delete(`${RREV}/packages`)
  @PackageAccess('write')
  async deleteAllPackages(@Param() p: Params, @CurrentOwner() owner: UserEntity): Promise<void> {
    await this.conan.deletePackages(owner, routeRecipeRevision(p));
  }

  // docs/protocols/conan.md §2: one package id, every revision.
  @Delete(PKG)
  @PackageAccess('write')
  async deletePackage(@Param() p: Params, @CurrentOwner() owner: UserEntity): Promise<void> {
    await this.conan.deletePackages(
      owner,
      routeRecipeRevision(p),
      checkRevision(p.pkg, PACKAGE_ID),
    );
  }

  // docs/protocols/conan.md §2: the newest package revision (`conan install` asks it per binary).
  @Get(`${PKG}/latest`)
  @PackageAccess('read')
  async packageLatest(
    @Param() p: Params,
    @Req() req: Request,
    @Res() res: Response,
    @CurrentOwner() owner: UserEntity,
  ) {
    const ref = { recipe: routeRecipeRevision(p), packageId: checkRevision(p.pkg, PACKAGE_ID) };
    serveDocument(req, res, await this.index.packageRevisions(owner, ref, true));
  }

  // docs/protocols/conan.md §2: every package revision, newest first (`conan upload` checks its own is there).
  @Get(`${PKG}/revisions`)
  @PackageAccess('read')
  async packageRevisions(
    @Param() p: Params,
    @Req() req: Request,
    @Res() res: Response,
    @CurrentOwner() owner: UserEntity,
  ) {
    const ref = { recipe: routeRecipeRevision(p), packageId: checkRevision(p.pkg, PACKAGE_ID) };
    serveDocument(req, res, await this.index.packageRevisions(owner, ref, false));
  }

  // docs/protocols/conan.md §2: `conan remove ref#rrev:pkgid#prev`.
  @Delete(PREV)
  @PackageAccess('write')
  async deletePackageRevision(
    @Param() p: Params,
    @CurrentOwner() owner: UserEntity,
  ): Promise<void> {
    const ref = routePackageRevision(p);
    await this.conan.deletePackages(owner, ref.recipe, ref.packageId, ref.revision);
  }

  // docs/protocols/conan.md §2: the files of a package revision.
  @Get(`${PREV}/files`)
  @PackageAccess('read')
  async packageFiles(
    @Param() p: Params,
    @Req() req: Request,
    @Res() res: Response,
    @CurrentOwner() owner: UserEntity,
  ) {
    serveDocument(req, res, await this.index.fileList(owner, routePackageRevision(p)));
  }

  // docs/protocols/conan.md §2: one package file (v2, and v1's URLs).
  @Get([`${PREV}/files/:file`, `${V1_FILES}/package/:pkg/:prev/:file`])
  @PackageAccess('read')
  async packageFile(
    @Param() p: Params,
    @Req() req: Request,
    @Res() res: Response,
    @CurrentOwner() owner: UserEntity,
  ) {
    await sendConanFile(req, res, this.downloads, this.conan, owner, packageTarget(p));
  }

  // docs/protocols/conan.md §3: Conan uploads conan_package.tgz, conaninfo.txt, then conanmanifest.txt.
  @Put([`${PREV}/files/:file`, `${V1_FILES}/package/:pkg/:prev/:file`])
  @HttpCode(201)
  @PackageAccess('write')
  async uploadPackageFile(
    @Param() p: Params,
    @Req() req: Request,
    @CurrentOwner() owner: UserEntity,
    @CurrentPrincipal() principal: Principal,
  ): Promise<void> {
    await receiveConanFile(req, this.conan, owner, principal, packageTarget(p));
  }

  // docs/protocols/conan.md §8: `conan upload --metadata` files (`metadata/…`) are not stored; last, after the single-name file routes.
  @Put([`${RREV}/files/*`, `${PREV}/files/*`])
  @PackageAccess('write')
  metadataFile(): void {
    throw RegistryError.invalid('Conan metadata files are not stored by this remote');
  }

  /** A sign-in route reached without credentials: 401 with the one Basic challenge. */
  private signIn(res: Response): RegistryError {
    res.setHeader('WWW-Authenticate', BASIC_CHALLENGE);
    return new RegistryError(
      RegistryErrorCode.Unauthorized,
      'sign in with user name and password or access token',
    );
  }
}
