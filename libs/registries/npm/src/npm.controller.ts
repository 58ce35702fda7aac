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
import { CurrentOwner, CurrentPrincipal, PackageAccess, Principal } from '@wharf/auth';
import {
  checkName,
  PackageDownloadService,
  RegistryError,
  serveDocument,
  serveFile,
  UserEntity,
} from '@wharf/packages-core';
import { NpmErrorFilter } from './npm-error.filter';
import { wantsAbbreviated } from './npm.documents';
import {
  assertVersionOrTag,
  NPM_REVISION,
  packageNameFromPath,
  tarballVersion,
} from './npm.metadata';
import { NpmService } from './npm.service';
import { drainBody } from './read-json-body';

/** Route params of a package path: `:pkg` (`name`, `@scope%2fname`) or `:scope/:pkg` (`@scope/name` unescaped). */
interface PkgParams {
  scope?: string;
  pkg: string;
  rev?: string;
}

const UNPUBLISH_BODY_LIMIT = 64 * 1024 * 1024;

/** The package routes of the npm registry (docs/protocols/npm.md §2); the `-/…` routes are in NpmRegistryController. */
@Controller('api/packages/:owner/npm')
@UseFilters(NpmErrorFilter)
export class NpmController {
  constructor(
    private readonly npm: NpmService,
    private readonly downloads: PackageDownloadService,
  ) {}

  // docs/protocols/npm.md §4: the packument; npm install asks for the abbreviated form by Accept.
  @Get(':pkg')
  @PackageAccess('read')
  async packument(
    @Param() p: PkgParams,
    @Req() req: Request,
    @Res() res: Response,
    @CurrentOwner() owner: UserEntity,
  ): Promise<void> {
    await this.sendPackument(nameOf(p), req, res, owner);
  }

  // `@scope/name` unescaped is a packument; `name/version` is one version document (Gitea 2026).
  @Get(':first/:second')
  @PackageAccess('read')
  async packumentOrVersion(
    @Param('first') first: string,
    @Param('second') second: string,
    @Req() req: Request,
    @Res() res: Response,
    @CurrentOwner() owner: UserEntity,
  ): Promise<void> {
    if (first.startsWith('@'))
      return this.sendPackument(packageNameFromPath(first, second), req, res, owner);
    const name = packageNameFromPath(first);
    assertVersionOrTag(second);
    sendJson(res, await this.npm.versionDocument(owner, name, second));
  }

  // docs/protocols/npm.md §3: `npm publish` (document with a base64 tarball) and `npm deprecate` (packument sent back).
  @Put([':pkg', ':scope/:pkg'])
  @PackageAccess('write')
  async put(
    @Param() p: PkgParams,
    @Req() req: Request,
    @Res() res: Response,
    @CurrentOwner() owner: UserEntity,
    @CurrentPrincipal() principal: Principal,
  ): Promise<void> {
    const outcome = await this.npm.put(owner, principal.user.id, nameOf(p), req);
    res.status(outcome === 'published' ? 201 : 200).json({ ok: true });
  }

  // docs/protocols/npm.md §8: unpublish step 1 uploads the trimmed packument; the DELETE that follows does the work.
  @Put([':pkg/-rev/:rev', ':scope/:pkg/-rev/:rev'])
  @HttpCode(200)
  @PackageAccess('write')
  async unpublishStep(@Param() p: PkgParams, @Req() req: Request): Promise<{ ok: true }> {
    nameOf(p);
    checkRevision(p.rev);
    await drainBody(req, UNPUBLISH_BODY_LIMIT);
    return { ok: true };
  }

  // docs/protocols/npm.md §2: `npm unpublish pkg --force` deletes every version.
  @Delete([':pkg/-rev/:rev', ':scope/:pkg/-rev/:rev'])
  @HttpCode(200)
  @PackageAccess('write')
  async unpublishPackage(
    @Param() p: PkgParams,
    @CurrentOwner() owner: UserEntity,
  ): Promise<{ ok: true }> {
    const name = nameOf(p);
    checkRevision(p.rev);
    await this.npm.unpublishPackage(owner, name);
    return { ok: true };
  }

  // docs/protocols/npm.md §8: `npm unpublish pkg@v` ends with DELETE `<dist.tarball>/-rev/<rev>`.
  @Delete([':pkg/-/:version/:filename/-rev/:rev', ':scope/:pkg/-/:version/:filename/-rev/:rev'])
  @HttpCode(200)
  @PackageAccess('write')
  async unpublishVersion(
    @Param() p: PkgParams,
    @Param('version') version: string,
    @Param('filename') filename: string,
    @CurrentOwner() owner: UserEntity,
  ): Promise<{ ok: true }> {
    const name = nameOf(p);
    tarballVersion(name, filename, version);
    checkRevision(p.rev);
    await this.npm.unpublishVersion(owner, name, version, filename);
    return { ok: true };
  }

  // docs/protocols/npm.md §2: the tarball at the URL the packument's dist.tarball names; each GET counts a download.
  @Get([':pkg/-/:version/:filename', ':scope/:pkg/-/:version/:filename'])
  @PackageAccess('read')
  async tarball(
    @Param() p: PkgParams,
    @Param('version') version: string,
    @Param('filename') filename: string,
    @Req() req: Request,
    @Res() res: Response,
    @CurrentOwner() owner: UserEntity,
  ): Promise<void> {
    await this.sendTarball(nameOf(p), filename, version, req, res, owner);
  }

  // docs/protocols/npm.md §8: npmjs-style tarball URLs of old lockfiles, `/{pkg}/-/{name}-{version}.tgz`.
  @Get([':pkg/-/:filename', ':scope/:pkg/-/:filename'])
  @PackageAccess('read')
  async tarballByName(
    @Param() p: PkgParams,
    @Param('filename') filename: string,
    @Req() req: Request,
    @Res() res: Response,
    @CurrentOwner() owner: UserEntity,
  ): Promise<void> {
    await this.sendTarball(nameOf(p), filename, undefined, req, res, owner);
  }

  private async sendPackument(
    name: string,
    req: Request,
    res: Response,
    owner: UserEntity,
  ): Promise<void> {
    const abbreviated = wantsAbbreviated(req.headers.accept);
    const doc = await this.npm.packument(owner, name, abbreviated);
    serveDocument(req, res, doc, { vary: 'Accept, Authorization' });
  }

  private async sendTarball(
    name: string,
    filename: string,
    version: string | undefined,
    req: Request,
    res: Response,
    owner: UserEntity,
  ) {
    tarballVersion(name, filename, version);
    const { file, blob } = await this.npm.tarball(owner, name, filename, version);
    await serveFile(req, res, this.downloads, file, blob, {
      contentType: 'application/octet-stream',
      countDownload: true,
    });
  }
}

function nameOf(p: PkgParams): string {
  if (p.scope !== undefined && !p.scope.startsWith('@')) throw RegistryError.notFound('not found');
  return packageNameFromPath(p.scope ?? p.pkg, p.scope === undefined ? undefined : p.pkg);
}

/** `-rev/{rev}`: the `_rev` npm read from the packument; Wharf ignores it, but it is still a name in a URL. */
function checkRevision(rev: string | undefined): void {
  if (rev !== undefined) checkName(rev, NPM_REVISION);
}

function sendJson(res: Response, body: unknown, type = 'application/json'): void {
  res.setHeader('Content-Type', `${type}; charset=utf-8`);
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Cache-Control', 'private, max-age=0, must-revalidate');
  res.status(200).send(JSON.stringify(body));
}
