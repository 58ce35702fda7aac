import { Get, Param, Post, Query, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import { AppConfig, PackageDownloadService, RegistryError, serveFile } from '@wharf/packages-core';
import { pathOf } from '../html/html';
import { WebController, WebRoute } from '../http/web.guard';
import { Web, WebRequestContext } from '../http/web-request';
import { ListRequest, PackagePage, PackagePagesService } from '../packages/package-pages.service';
import { installInstructions, InstallSnippet } from '../install/install-instructions';
import { packagePage } from '../views/package.view';
import { packageListPage } from '../views/packages.view';
import { Viewer } from '../views/layout';

const viewerOf = (web: WebRequestContext): Viewer => ({
  user: web.session?.user,
  csrf: web.session?.csrfToken,
});

/** The package lists and pages, at Forgejo's web paths. */
@WebController()
export class PackagesPagesController {
  constructor(
    private readonly pages: PackagePagesService,
    private readonly downloads: PackageDownloadService,
    private readonly config: AppConfig,
  ) {}

  // The site's front door: what is stored here.
  @Get()
  home(@Res() res: Response): void {
    res.redirect(303, '/explore/packages');
  }

  // Forgejo's explore page, for packages: every owner's the viewer may read.
  @Get('explore/packages')
  async explore(
    @Web() web: WebRequestContext,
    @Query() query: ListRequest,
    @Res() res: Response,
  ): Promise<void> {
    const list = await this.pages.explore(web.principal, query);
    res.type('html').send(packageListPage(viewerOf(web), list));
  }

  // Forgejo `GET /{owner}/-/packages?type=&q=&page=`.
  @Get(':owner/-/packages')
  async ownerList(
    @Web() web: WebRequestContext,
    @Param('owner') ownerName: string,
    @Query() query: ListRequest,
    @Res() res: Response,
  ): Promise<void> {
    const list = await this.pages.ownerPackages(web.principal, ownerName, query);
    res.type('html').send(packageListPage(viewerOf(web), list, list.owner));
  }

  // Forgejo `GET /{owner}/-/packages/{type}/{name}`: the newest version.
  @Get(':owner/-/packages/:type/:name')
  async latest(
    @Web() web: WebRequestContext,
    @Param() p: Record<'owner' | 'type' | 'name', string>,
    @Res() res: Response,
  ): Promise<void> {
    await this.render(web, res, p.owner, p.type, p.name);
  }

  // Forgejo `GET /{owner}/-/packages/{type}/{name}/{version}`.
  @Get(':owner/-/packages/:type/:name/:version')
  async version(
    @Web() web: WebRequestContext,
    @Param() p: Record<'owner' | 'type' | 'name' | 'version', string>,
    @Res() res: Response,
  ): Promise<void> {
    await this.render(web, res, p.owner, p.type, p.name, p.version);
  }

  // Forgejo `GET /{owner}/-/packages/{type}/{name}/{version}/files/{id}`: any format's file.
  @Get(':owner/-/packages/:type/:name/:version/files/:file')
  async file(
    @Web() web: WebRequestContext,
    @Param() p: Record<'owner' | 'type' | 'name' | 'version' | 'file', string>,
    @Req() req: Request,
    @Res() res: Response,
  ): Promise<void> {
    const page = await this.pages.packagePage(web.principal, p.owner, p.type, p.name, p.version);
    const found = page.selected.files.find((f) => String(f.file.id) === p.file);
    if (!found) throw RegistryError.notFound('file does not exist');
    res.setHeader('Cache-Control', 'private, no-cache');
    await serveFile(req, res, this.downloads, found.file, found.blob, { countDownload: true });
  }

  // Forgejo deletes from the package settings page; here a POST from the version page.
  @Post(':owner/-/packages/:type/:name/:version/delete')
  @WebRoute({ signedIn: true })
  async remove(
    @Web() web: WebRequestContext,
    @Param() p: Record<'owner' | 'type' | 'name' | 'version', string>,
    @Res() res: Response,
  ): Promise<void> {
    const { remaining } = await this.pages.deleteVersion(
      web.principal!,
      p.owner,
      p.type,
      p.name,
      p.version,
    );
    const list = `${pathOf(p.owner)}/-/packages`;
    res.redirect(
      303,
      remaining ? `${list}/${encodeURIComponent(p.type)}/${encodeURIComponent(p.name)}` : list,
    );
  }

  private async render(
    web: WebRequestContext,
    res: Response,
    owner: string,
    type: string,
    name: string,
    version?: string,
  ): Promise<void> {
    const page = await this.pages.packagePage(web.principal, owner, type, name, version);
    res.type('html').send(packagePage(viewerOf(web), page, this.snippets(page)));
  }

  /** The install instructions of the selected version, with this registry's public URL. */
  private snippets(page: PackagePage): InstallSnippet[] {
    const { selected } = page;
    return installInstructions({
      type: page.package.type,
      baseUrl: this.config.baseUrl,
      owner: page.owner.name,
      name: page.package.name,
      version: selected.version.version,
      metadata:
        selected.metadata && typeof selected.metadata === 'object'
          ? (selected.metadata as Record<string, unknown>)
          : undefined,
      files: selected.files.map((f) => ({ name: f.file.name })),
    });
  }
}
