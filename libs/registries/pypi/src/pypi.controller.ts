import { Controller, Get, HttpCode, Param, Post, Query, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import { CurrentOwner, CurrentPrincipal, PackageAccess, Principal } from '@wharf/auth';
import {
  checkName,
  PackageDownloadService,
  RegistryError,
  RegistryErrorCode,
  serveDocument,
  serveFile,
  UserEntity,
} from '@wharf/packages-core';
import {
  buildIndexHtml,
  buildIndexJson,
  contentTypeOf,
  negotiateSimpleFormat,
  SimpleFormat,
} from './pypi.documents';
import { PYPI_FILENAME, PYPI_PROJECT, PYPI_VERSION } from './pypi.metadata';
import { PypiService } from './pypi.service';

/** The PyPI registry (docs/protocols/pypi.md §2): twine's upload API, the Simple API, file downloads. Errors are plain text. */
@Controller('api/packages/:owner/pypi')
export class PypiController {
  constructor(
    private readonly pypi: PypiService,
    private readonly downloads: PackageDownloadService,
  ) {}

  // docs/protocols/pypi.md §3: twine posts to `{base}` without a trailing slash; 201 with an empty body.
  @Post(['', '/'])
  @HttpCode(201)
  @PackageAccess('write')
  async upload(
    @Req() req: Request,
    @CurrentOwner() owner: UserEntity,
    @CurrentPrincipal() principal: Principal,
  ): Promise<void> {
    await this.pypi.upload(owner, principal.user.id, req);
  }

  // PEP 503 root page (Forgejo has none): every project of the owner.
  @Get('simple')
  @PackageAccess('read')
  async index(
    @Req() req: Request,
    @Res() res: Response,
    @CurrentOwner() owner: UserEntity,
    @Query('format') format?: string,
  ): Promise<void> {
    const chosen = this.negotiate(req, format);
    const projects = await this.pypi.projects(owner);
    const body =
      chosen === 'json' ? JSON.stringify(buildIndexJson(projects)) : buildIndexHtml(projects);
    serveDocument(req, res, { body, contentType: contentTypeOf(chosen) }, { vary: 'Accept' });
  }

  // PEP 503/691: the project page, HTML or JSON by Accept (pip ≥ 22.2 prefers JSON).
  @Get('simple/:project')
  @PackageAccess('read')
  async project(
    @Param('project') name: string,
    @Req() req: Request,
    @Res() res: Response,
    @CurrentOwner() owner: UserEntity,
    @Query('format') format?: string,
  ): Promise<void> {
    checkName(name, PYPI_PROJECT);
    const chosen = this.negotiate(req, format);
    serveDocument(req, res, await this.pypi.projectPage(owner, name, chosen), { vary: 'Accept' });
  }

  // docs/protocols/pypi.md §2: a distribution file (each GET counts), or `<wheel>.metadata` (PEP 658).
  @Get('files/:project/:version/:filename')
  @PackageAccess('read')
  async file(
    @Param('project') project: string,
    @Param('version') version: string,
    @Param('filename') filename: string,
    @Req() req: Request,
    @Res() res: Response,
    @CurrentOwner() owner: UserEntity,
  ): Promise<void> {
    checkName(project, PYPI_PROJECT);
    checkName(version, PYPI_VERSION);
    checkName(filename, PYPI_FILENAME);
    const found = await this.pypi.download(owner, project, version, filename);
    const lastModified = new Date(found.file.createdUnix * 1000);
    if (found.kind === 'metadata') {
      res.setHeader('Content-Type', 'application/octet-stream');
      res.setHeader('X-Content-Type-Options', 'nosniff');
      res.setHeader('Last-Modified', lastModified.toUTCString());
      res.setHeader('Content-Length', String(found.body.length));
      res.end(req.method === 'HEAD' ? undefined : found.body);
      return;
    }
    const { file, blob } = found;
    await serveFile(req, res, this.downloads, file, blob, {
      contentType: 'application/octet-stream',
      countDownload: true,
    });
  }

  private negotiate(req: Request, format?: string): SimpleFormat {
    const chosen = negotiateSimpleFormat(
      req.headers.accept,
      typeof format === 'string' ? format : undefined,
    );
    if (!chosen) {
      throw new RegistryError(
        RegistryErrorCode.InvalidArgument,
        'not acceptable: ask for application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html or text/html',
      );
    }
    return chosen;
  }
}
