import {
  Controller,
  Delete,
  Get,
  HttpCode,
  Param,
  Post,
  Put,
  Req,
  Res,
  UseFilters,
} from '@nestjs/common';
import type { Request, Response } from 'express';
import { CurrentOwner, CurrentPrincipal, PackageAccess, Principal } from '@wharf/auth';
import {
  checkName,
  openUploadBody,
  PackageDownloadService,
  serveDocument,
  serveFile,
  UserEntity,
} from '@wharf/packages-core';
import { HelmErrorFilter } from './helm-error.filter';
import { chartEntries, chartEntry } from './helm.documents';
import { HELM_CHART_NAME, HELM_FILENAME, HELM_VERSION } from './helm.metadata';
import { HelmService } from './helm.service';

@Controller('api/packages/:owner/helm')
@UseFilters(HelmErrorFilter)
export class HelmController {
  constructor(
    private readonly helm: HelmService,
    private readonly downloads: PackageDownloadService,
  ) {}

  // docs/protocols/helm.md §4: `helm repo add/update` fetch the index; ETag + Last-Modified, 304 when unchanged.
  @Get('index.yaml')
  @PackageAccess('read')
  async index(
    @Req() req: Request,
    @Res() res: Response,
    @CurrentOwner() owner: UserEntity,
  ): Promise<void> {
    // The index keeps its weak ETag (helm.documents.ts); serveDocument sends it as is.
    serveDocument(req, res, await this.helm.index(owner));
  }

  // docs/protocols/helm.md §3: ChartMuseum's upload API (`helm cm-push`, `curl --data-binary`): raw .tgz or multipart `chart`.
  @Post('api/charts')
  @HttpCode(201)
  @PackageAccess('write')
  async upload(
    @Req() req: Request,
    @CurrentOwner() owner: UserEntity,
    @CurrentPrincipal() principal: Principal,
  ): Promise<{ saved: true }> {
    const body = await openUploadBody(req);
    await this.helm.upload(owner, principal.user.id, body.stream, body.declaredSize);
    return { saved: true };
  }

  // ChartMuseum API (`helm cm-push` users' scripts): every chart, entries by name, newest first.
  @Get('api/charts')
  @PackageAccess('read')
  async listCharts(@CurrentOwner() owner: UserEntity): Promise<Record<string, unknown>> {
    return chartEntries(await this.helm.charts(owner), this.helm.repoUrl(owner));
  }

  // ChartMuseum API: the versions of one chart (404 `{"error"}` for an unknown chart; HEAD answers alike).
  @Get('api/charts/:name')
  @PackageAccess('read')
  async listVersions(
    @Param('name') name: string,
    @CurrentOwner() owner: UserEntity,
  ): Promise<unknown[]> {
    checkName(name, HELM_CHART_NAME);
    const repoUrl = this.helm.repoUrl(owner);
    return chartEntries(await this.helm.charts(owner, name), repoUrl)[name] ?? [];
  }

  // ChartMuseum API: one version, or `latest` (the highest SemVer).
  @Get('api/charts/:name/:version')
  @PackageAccess('read')
  async getVersion(
    @Param('name') name: string,
    @Param('version') version: string,
    @CurrentOwner() owner: UserEntity,
  ): Promise<Record<string, unknown>> {
    checkName(name, HELM_CHART_NAME);
    if (version !== 'latest') checkName(version, HELM_VERSION);
    return chartEntry(await this.helm.chart(owner, name, version), this.helm.repoUrl(owner));
  }

  // ChartMuseum API: delete a version with its archive; the index drops it at once.
  @Delete('api/charts/:name/:version')
  @PackageAccess('write')
  async deleteVersion(
    @Param('name') name: string,
    @Param('version') version: string,
    @CurrentOwner() owner: UserEntity,
  ): Promise<{ deleted: true }> {
    checkName(name, HELM_CHART_NAME);
    checkName(version, HELM_VERSION);
    await this.helm.deleteChart(owner, name, version);
    return { deleted: true };
  }

  // Issue 5: `PUT {base}/{name}-{version}.tgz` with the archive as body; the name must match its Chart.yaml.
  @Put(':filename')
  @HttpCode(201)
  @PackageAccess('write')
  async put(
    @Param('filename') filename: string,
    @Req() req: Request,
    @CurrentOwner() owner: UserEntity,
    @CurrentPrincipal() principal: Principal,
  ): Promise<{ saved: true }> {
    checkName(filename, HELM_FILENAME);
    const body = await openUploadBody(req);
    await this.helm.upload(owner, principal.user.id, body.stream, body.declaredSize, filename);
    return { saved: true };
  }

  // docs/protocols/helm.md §2: `helm pull`/`install` download `{name}-{version}.tgz` from the index's urls; each GET counts.
  @Get(':filename')
  @PackageAccess('read')
  async download(
    @Param('filename') filename: string,
    @Req() req: Request,
    @Res() res: Response,
    @CurrentOwner() owner: UserEntity,
  ): Promise<void> {
    checkName(filename, HELM_FILENAME);
    const { file, blob } = await this.helm.findChart(owner, filename);
    await serveFile(req, res, this.downloads, file, blob, {
      contentType: 'application/octet-stream',
      countDownload: true,
    });
  }
}
