import { Controller, Get, HttpCode, Param, Put, Query, Req, Res } from '@nestjs/common';
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
import { GoService } from './go.service';
import { parseProxyPath } from './go-proxy-path';
import { checkModulePath, MODULE_PATH } from './go.metadata';

/** The Go module proxy (docs/protocols/go.md §2), at Forgejo's paths. Errors are plain text. */
@Controller('api/packages/:owner/go')
export class GoController {
  constructor(
    private readonly go: GoService,
    private readonly downloads: PackageDownloadService,
  ) {}

  // docs/protocols/go.md §3: there is no `go publish`; a plain PUT of the module zip. 201, empty.
  @Put('upload')
  @HttpCode(201)
  @PackageAccess('write')
  async upload(
    @Req() req: Request,
    @CurrentOwner() owner: UserEntity,
    @CurrentPrincipal() principal: Principal,
    @Query('module') module?: unknown,
  ): Promise<void> {
    if (module !== undefined && typeof module !== 'string') {
      req.resume();
      throw RegistryError.invalid('give the module once: ?module=example.com/mod');
    }
    if (module !== undefined) {
      checkName(module, MODULE_PATH);
      checkModulePath(module);
    }
    const body = await openUploadBody(req);
    await this.go.upload(owner, principal.user.id, body.stream, body.declaredSize, module);
  }

  // docs/protocols/go.md §2: module paths hold slashes, so the GOPROXY paths are matched from their end.
  @Get('*')
  @PackageAccess('read')
  async proxy(
    @Param('0') rest: string,
    @Req() req: Request,
    @Res() res: Response,
    @CurrentOwner() owner: UserEntity,
  ): Promise<void> {
    const asked = parseProxyPath(rest);
    switch (asked.kind) {
      case 'list':
        return serveDocument(req, res, await this.go.versionList(owner, asked.path));
      case 'latest':
        return serveDocument(req, res, await this.go.latest(owner, asked.path));
      case 'info':
        return serveDocument(req, res, await this.go.info(owner, asked.path, asked.version));
      case 'mod':
        return serveDocument(req, res, await this.go.goMod(owner, asked.path, asked.version));
      case 'zip': {
        const { file, blob } = await this.go.findZip(owner, asked.path, asked.version);
        // docs/protocols/go.md §2: each zip fetched counts a download, as in Forgejo.
        return serveFile(req, res, this.downloads, file, blob, {
          contentType: 'application/zip',
          countDownload: true,
        });
      }
    }
  }
}
