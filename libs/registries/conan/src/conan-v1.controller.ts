import { Controller, Get, HttpCode, Param, Post, Req, Res, UseFilters } from '@nestjs/common';
import type { Request, Response } from 'express';
import { CurrentOwner, PackageAccess } from '@wharf/auth';
import {
  PackageQueryService,
  PackageType,
  parseJsonDocument,
  readBounded,
  RegistryError,
  serveDocument,
  UserEntity,
} from '@wharf/packages-core';
import { ConanErrorFilter } from './conan-error.filter';
import { Params, routePackageRevision, routeRecipe, routeRecipeRevision } from './conan-routes';
import { ConanIndexService } from './conan-index.service';
import { buildFileMap } from './conan.documents';
import {
  checkRevision,
  DEFAULT_REVISION,
  PACKAGE_ID,
  PACKAGE_FILES,
  RECIPE_FILES,
  RecipeRef,
} from './conan.metadata';
import { ConanService } from './conan.service';

const R = 'v1/conans/:name/:version/:user/:channel';
// `{"conanfile.py": 1234, …}` and `{"package_ids": […]}` are small.
const MAX_JSON_BODY = 64 * 1024;

/**
 * Conan's REST API v1 (docs/protocols/conan.md §2), for Conan 1 without revisions: its
 * files live in revision `0`; search and deletes span every revision, so v1 and v2
 * clients can share a reference.
 */
@Controller('api/packages/:owner/conan')
@UseFilters(ConanErrorFilter)
export class ConanV1Controller {
  constructor(
    private readonly conan: ConanService,
    private readonly index: ConanIndexService,
    private readonly query: PackageQueryService,
  ) {}

  // docs/protocols/conan.md §4: the recipe snapshot `{file: md5}`.
  @Get(R)
  @PackageAccess('read')
  async recipeSnapshot(
    @Param() p: Params,
    @Req() req: Request,
    @Res() res: Response,
    @CurrentOwner() owner: UserEntity,
  ) {
    serveDocument(
      req,
      res,
      await this.index.v1FileMap(owner, routeRecipeRevision(p, DEFAULT_REVISION)),
    );
  }

  // docs/protocols/conan.md §4: packages of every recipe revision.
  @Get(`${R}/search`)
  @PackageAccess('read')
  async searchPackages(
    @Param() p: Params,
    @Req() req: Request,
    @Res() res: Response,
    @CurrentOwner() owner: UserEntity,
  ) {
    serveDocument(req, res, await this.index.packageSearch(owner, routeRecipe(p), 'all'));
  }

  // docs/protocols/conan.md §2: `digest` and `download_urls` answer the same `{file: url}` map.
  @Get([`${R}/digest`, `${R}/download_urls`])
  @PackageAccess('read')
  async recipeUrls(
    @Param() p: Params,
    @Req() req: Request,
    @Res() res: Response,
    @CurrentOwner() owner: UserEntity,
  ) {
    const ref = routeRecipeRevision(p, DEFAULT_REVISION);
    serveDocument(req, res, await this.index.v1FileMap(owner, ref, this.recipeUrl(owner, ref)));
  }

  // docs/protocols/conan.md §2: `{file: size}` in, `{file: url}` out; names outside the recipe's set are dropped.
  @Post(`${R}/upload_urls`)
  @HttpCode(200)
  @PackageAccess('write')
  async recipeUploadUrls(
    @Param() p: Params,
    @Req() req: Request,
    @Res() res: Response,
    @CurrentOwner() owner: UserEntity,
  ) {
    const ref = routeRecipeRevision(p, DEFAULT_REVISION);
    const names = await readFileSizes(req);
    const base = this.recipeUrl(owner, ref);
    sendJson(
      req,
      res,
      buildFileMap(names.filter((n) => RECIPE_FILES.has(n)).map((n) => [n, `${base}/${n}`])),
    );
  }

  // docs/protocols/conan.md §2: `{"package_ids": [...]}`, an empty list meaning every package.
  @Post(`${R}/packages/delete`)
  @HttpCode(200)
  @PackageAccess('write')
  async deletePackages(
    @Param() p: Params,
    @Req() req: Request,
    @CurrentOwner() owner: UserEntity,
  ): Promise<void> {
    const ref = routeRecipe(p);
    const doc = parseJsonDocument(await readBounded(req, MAX_JSON_BODY), 'the request body');
    const ids = (doc as { package_ids?: unknown } | null)?.package_ids ?? [];
    if (!Array.isArray(ids) || !ids.every((id) => typeof id === 'string'))
      throw RegistryError.invalid('the body must be {"package_ids": ["<package id>", …]}');
    await this.conan.deletePackagesV1(
      owner,
      ref,
      ids.map((id) => checkRevision(id, PACKAGE_ID)),
    );
  }

  // docs/protocols/conan.md §4: a package snapshot `{file: md5}`.
  @Get(`${R}/packages/:pkg`)
  @PackageAccess('read')
  async packageSnapshot(
    @Param() p: Params,
    @Req() req: Request,
    @Res() res: Response,
    @CurrentOwner() owner: UserEntity,
  ) {
    const ref = routePackageRevision(p, DEFAULT_REVISION, DEFAULT_REVISION);
    serveDocument(req, res, await this.index.v1FileMap(owner, ref));
  }

  // docs/protocols/conan.md §2: a package's `{file: url}` map.
  @Get([`${R}/packages/:pkg/digest`, `${R}/packages/:pkg/download_urls`])
  @PackageAccess('read')
  async packageUrls(
    @Param() p: Params,
    @Req() req: Request,
    @Res() res: Response,
    @CurrentOwner() owner: UserEntity,
  ) {
    const ref = routePackageRevision(p, DEFAULT_REVISION, DEFAULT_REVISION);
    serveDocument(
      req,
      res,
      await this.index.v1FileMap(owner, ref, this.packageUrl(owner, ref.recipe, ref.packageId)),
    );
  }

  // docs/protocols/conan.md §2: upload URLs of a package's files.
  @Post(`${R}/packages/:pkg/upload_urls`)
  @HttpCode(200)
  @PackageAccess('write')
  async packageUploadUrls(
    @Param() p: Params,
    @Req() req: Request,
    @Res() res: Response,
    @CurrentOwner() owner: UserEntity,
  ) {
    const ref = routePackageRevision(p, DEFAULT_REVISION, DEFAULT_REVISION);
    const names = await readFileSizes(req);
    const base = this.packageUrl(owner, ref.recipe, ref.packageId);
    sendJson(
      req,
      res,
      buildFileMap(names.filter((n) => PACKAGE_FILES.has(n)).map((n) => [n, `${base}/${n}`])),
    );
  }

  private recipeUrl(owner: UserEntity, ref: RecipeRef & { revision: string }): string {
    return `${this.query.packageBaseUrl(owner, PackageType.Conan)}/v1/files/${linkName(ref)}/${ref.revision}/recipe`;
  }

  private packageUrl(
    owner: UserEntity,
    ref: RecipeRef & { revision: string },
    packageId: string,
  ): string {
    return `${this.recipeUrl(owner, ref).replace(/\/recipe$/, '')}/package/${packageId}/${DEFAULT_REVISION}`;
  }
}

/** `name/version/user/channel`, `_` for none. */
function linkName(ref: RecipeRef): string {
  return [ref.name, ref.version, ref.user || '_', ref.channel || '_'].join('/');
}

/** The names of an upload_urls body `{file: size}`; 400 when it is not such an object. */
async function readFileSizes(req: Request): Promise<string[]> {
  const doc = parseJsonDocument(await readBounded(req, MAX_JSON_BODY), 'the request body');
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc))
    throw RegistryError.invalid('the body must be {"<file name>": <size>, …}');
  return Object.keys(doc);
}

function sendJson(req: Request, res: Response, body: string): void {
  serveDocument(req, res, { body, contentType: 'application/json' });
}
