import { Controller, Delete, Get, HttpCode, Param, Put, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import { CurrentOwner, CurrentPrincipal, PackageAccess, Principal } from '@wharf/auth';
import {
  openUploadBody,
  PackageDownloadService,
  serveDocument,
  serveFile,
  UserEntity,
} from '@wharf/packages-core';
import { AlpineRepository, AlpineService, INDEX_FILE } from './alpine.service';

/**
 * The apk repositories of an owner (docs/protocols/alpine.md §2), at Forgejo's paths:
 * `{branch}/{repository}` is what goes in /etc/apk/repositories, apk appends
 * `{arch}/APKINDEX.tar.gz` and `{arch}/{name}-{version}.apk`. Errors are plain text.
 */
@Controller('api/packages/:owner/alpine')
export class AlpineController {
  constructor(
    private readonly alpine: AlpineService,
    private readonly downloads: PackageDownloadService,
  ) {}

  // docs/protocols/alpine.md §6: the public key users save into /etc/apk/keys under the name the index's signature gives.
  @Get('key')
  @PackageAccess('read')
  async key(
    @Req() req: Request,
    @Res() res: Response,
    @CurrentOwner() owner: UserEntity,
  ): Promise<void> {
    const key = await this.alpine.key(owner);
    res.setHeader('Content-Disposition', `attachment; filename="${key.fileName}"`);
    serveDocument(req, res, { body: key.pem, contentType: 'application/x-pem-file' });
  }

  // docs/protocols/alpine.md §3: `curl --upload-file foo-1.0-r0.apk …/{branch}/{repository}`. 201, empty.
  @Put(':branch/:repository')
  @HttpCode(201)
  @PackageAccess('write')
  async upload(
    @Req() req: Request,
    @Param('branch') branch: string,
    @Param('repository') repository: string,
    @CurrentOwner() owner: UserEntity,
    @CurrentPrincipal() principal: Principal,
  ): Promise<void> {
    let repo: AlpineRepository;
    try {
      repo = this.alpine.repository(branch, repository);
    } catch (err) {
      req.resume();
      throw err;
    }
    const body = await openUploadBody(req);
    await this.alpine.upload(owner, principal.user.id, repo, body.stream, body.declaredSize);
  }

  // docs/protocols/alpine.md §4: what `apk update` and `apk add` fetch: the signed index of an architecture, and packages (counted).
  @Get(':branch/:repository/:arch/:file')
  @PackageAccess('read')
  async get(
    @Req() req: Request,
    @Res() res: Response,
    @Param('branch') branch: string,
    @Param('repository') repository: string,
    @Param('arch') archParam: string,
    @Param('file') fileParam: string,
    @CurrentOwner() owner: UserEntity,
  ): Promise<void> {
    const repo = this.alpine.repository(branch, repository);
    const { arch, fileName } = this.alpine.fileOf(archParam, fileParam);
    if (fileName === INDEX_FILE)
      return serveDocument(req, res, await this.alpine.indexFile(owner, repo, arch));
    const found = await this.alpine.file(owner, repo, arch, fileName, true);
    return serveFile(req, res, this.downloads, found.file, found.blob, {
      contentType: 'application/octet-stream',
      countDownload: true,
    });
  }

  // docs/protocols/alpine.md §2: removes one file; the next index read no longer lists it. 204.
  @Delete(':branch/:repository/:arch/:file')
  @HttpCode(204)
  @PackageAccess('write')
  async delete(
    @Param('branch') branch: string,
    @Param('repository') repository: string,
    @Param('arch') archParam: string,
    @Param('file') fileParam: string,
    @CurrentOwner() owner: UserEntity,
  ): Promise<void> {
    const repo = this.alpine.repository(branch, repository);
    const { arch, fileName } = this.alpine.fileOf(archParam, fileParam);
    await this.alpine.delete(owner, repo, arch, fileName);
  }
}
