import { Controller, Delete, Get, HttpCode, Put, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import { CurrentOwner, CurrentPrincipal, PackageAccess, Principal } from '@wharf/auth';
import {
  openUploadBody,
  PackageDownloadService,
  pathSegmentsUnder,
  RegistryError,
  serveDocument,
  serveFile,
  serveRepositoryKey,
  UserEntity,
} from '@wharf/packages-core';
import { ArchService } from './arch.service';

/**
 * pacman repositories of an owner (docs/protocols/arch.md §2), at the paths Forgejo and
 * Gitea document: the repository is any path (none included) before the fixed segments,
 * so the routes take the rest of the path and split it from the end. Errors are plain text.
 */
@Controller('api/packages/:owner/arch')
export class ArchController {
  constructor(
    private readonly arch: ArchService,
    private readonly downloads: PackageDownloadService,
  ) {}

  // docs/protocols/arch.md §5: the key users add with pacman-key --add and --lsign-key.
  @Get('repository.key')
  @PackageAccess('read')
  async key(
    @Req() req: Request,
    @Res() res: Response,
    @CurrentOwner() owner: UserEntity,
  ): Promise<void> {
    serveRepositoryKey(req, res, await this.arch.repositoryKey(owner));
  }

  // docs/protocols/arch.md §2, §4: `{repository}/{arch}/{file}` as pacman fetches it: `{section}.db`, `.files`, packages, and each one's `.sig`.
  @Get('*')
  @PackageAccess('read')
  async get(
    @Req() req: Request,
    @Res() res: Response,
    @CurrentOwner() owner: UserEntity,
  ): Promise<void> {
    const segments = segmentsOf(req);
    if (segments.length < 2)
      throw RegistryError.notFound('files are at {repository}/{arch}/{file}');
    const repository = this.arch.checkRepository(segments.slice(0, -2).join('/'));
    const [arch, file] = segments.slice(-2);
    const found = await this.arch.download(owner, repository, arch, file);
    if (found.kind === 'document') {
      res.setHeader('Content-Disposition', `attachment; filename="${file}"`);
      return serveDocument(req, res, found.doc);
    }
    return serveFile(req, res, this.downloads, found.file, found.blob, {
      contentType: 'application/octet-stream',
      countDownload: true,
    });
  }

  // docs/protocols/arch.md §3: `curl --upload-file pkg.pkg.tar.zst {base}` for the repository without a name. 201, empty.
  @Put()
  @HttpCode(201)
  @PackageAccess('write')
  async uploadUnnamed(
    @Req() req: Request,
    @CurrentOwner() owner: UserEntity,
    @CurrentPrincipal() principal: Principal,
  ): Promise<void> {
    await this.upload(req, owner, principal, '');
  }

  // docs/protocols/arch.md §3: `curl --upload-file pkg.pkg.tar.zst {base}/{repository}`. 201, empty.
  @Put('*')
  @HttpCode(201)
  @PackageAccess('write')
  async uploadNamed(
    @Req() req: Request,
    @CurrentOwner() owner: UserEntity,
    @CurrentPrincipal() principal: Principal,
  ): Promise<void> {
    let repository: string;
    try {
      repository = this.arch.checkRepository(segmentsOf(req).join('/'));
    } catch (err) {
      req.resume();
      throw err;
    }
    await this.upload(req, owner, principal, repository);
  }

  private async upload(
    req: Request,
    owner: UserEntity,
    principal: Principal,
    repository: string,
  ): Promise<void> {
    const body = await openUploadBody(req);
    await this.arch.upload(owner, principal.user.id, repository, body.stream, body.declaredSize);
  }

  // docs/protocols/arch.md §2: `{repository}/{name}/{version}/{arch}` removes one package; the next database read no longer lists it. 204.
  @Delete('*')
  @HttpCode(204)
  @PackageAccess('write')
  async delete(@Req() req: Request, @CurrentOwner() owner: UserEntity): Promise<void> {
    const segments = segmentsOf(req);
    if (segments.length < 3)
      throw RegistryError.notFound('delete {repository}/{name}/{version}/{arch}');
    const repository = this.arch.checkRepository(segments.slice(0, -3).join('/'));
    const [name, version, arch] = segments.slice(-3);
    await this.arch.delete(owner, repository, name, version, arch);
  }
}

/** The path after `/arch/`; an empty segment (`a//b`, a trailing `/`) is no repository's. */
function segmentsOf(req: Request): string[] {
  const segments = pathSegmentsUnder(req, 'arch');
  if (segments.includes('')) throw RegistryError.invalid('the path has an empty segment');
  return segments;
}
