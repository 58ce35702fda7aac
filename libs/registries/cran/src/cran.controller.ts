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
import {
  checkPlatform,
  FILE_NAME,
  PACKAGE_NAME,
  parsePackageFileName,
  R_VERSION,
} from './cran.metadata';
import { CranService, IndexFormat, Repository } from './cran.service';

const INDEXES = new Map<string, IndexFormat>([
  ['PACKAGES', 'plain'],
  ['PACKAGES.gz', 'gz'],
  ['PACKAGES.rds', 'rds'],
]);
const SOURCE: Repository = { kind: 'source' };

/** The CRAN-like repository (docs/protocols/cran.md §2), at Forgejo's paths. Errors are plain text. */
@Controller('api/packages/:owner/cran')
export class CranController {
  constructor(
    private readonly cran: CranService,
    private readonly downloads: PackageDownloadService,
  ) {}

  // docs/protocols/cran.md §3: R has no upload command; a plain PUT of what `R CMD build` wrote.
  @Put('src')
  @HttpCode(201)
  @PackageAccess('write')
  async uploadSource(
    @Req() req: Request,
    @Res({ passthrough: true }) res: Response,
    @CurrentOwner() owner: UserEntity,
    @CurrentPrincipal() principal: Principal,
  ): Promise<string> {
    return this.upload(req, res, owner, principal, SOURCE);
  }

  // docs/protocols/cran.md §3: a built package (Windows zip, macOS tgz) for one platform and R version.
  @Put('bin')
  @HttpCode(201)
  @PackageAccess('write')
  async uploadBinary(
    @Req() req: Request,
    @Res({ passthrough: true }) res: Response,
    @CurrentOwner() owner: UserEntity,
    @CurrentPrincipal() principal: Principal,
    @Query('platform') platform: unknown,
    @Query('rversion') rversion: unknown,
  ): Promise<string> {
    if (typeof platform !== 'string' || !platform || typeof rversion !== 'string' || !rversion) {
      req.resume();
      throw RegistryError.invalid(
        'a binary upload names its directory once: ?platform=windows&rversion=4.2',
      );
    }
    const repo: Repository = {
      kind: 'binary',
      platform: checkPlatform(platform),
      rversion: checkName(rversion, R_VERSION),
    };
    return this.upload(req, res, owner, principal, repo);
  }

  // docs/protocols/cran.md §2, §4: the source index (R asks for PACKAGES.rds first, then .gz, then plain) and source packages.
  @Get('src/contrib/:file')
  @PackageAccess('read')
  async source(
    @Param('file') file: string,
    @Req() req: Request,
    @Res() res: Response,
    @CurrentOwner() owner: UserEntity,
  ): Promise<void> {
    await this.serve(req, res, owner, SOURCE, file);
  }

  // docs/protocols/cran.md §2: older versions where remotes::install_version and CRAN's layout look.
  @Get('src/contrib/Archive/:name/:file')
  @PackageAccess('read')
  async archived(
    @Param('name') name: string,
    @Param('file') file: string,
    @Req() req: Request,
    @Res() res: Response,
    @CurrentOwner() owner: UserEntity,
  ): Promise<void> {
    checkName(name, PACKAGE_NAME);
    const parsed = parsePackageFileName(checkName(file, FILE_NAME));
    if (!parsed || parsed.name.toLowerCase() !== name.toLowerCase())
      throw RegistryError.notFound(`${file} is not in Archive/${name}/`);
    await this.serve(req, res, owner, SOURCE, file, false);
  }

  // docs/protocols/cran.md §2, §4: a binary directory (`type = "win.binary"` and the macOS types).
  @Get('bin/:platform/contrib/:rversion/:file')
  @PackageAccess('read')
  async binary(
    @Param('platform') platform: string,
    @Param('rversion') rversion: string,
    @Param('file') file: string,
    @Req() req: Request,
    @Res() res: Response,
    @CurrentOwner() owner: UserEntity,
  ): Promise<void> {
    await this.serveBinary(req, res, owner, platform, rversion, file);
  }

  // docs/protocols/cran.md §8: R ≥ 4.1 on macOS reads bin/macosx/{build}/contrib/{rversion}.
  @Get('bin/:platform/:build/contrib/:rversion/:file')
  @PackageAccess('read')
  async binaryOfBuild(
    @Param('platform') platform: string,
    @Param('build') build: string,
    @Param('rversion') rversion: string,
    @Param('file') file: string,
    @Req() req: Request,
    @Res() res: Response,
    @CurrentOwner() owner: UserEntity,
  ): Promise<void> {
    await this.serveBinary(req, res, owner, `${platform}/${build}`, rversion, file);
  }

  private async upload(
    req: Request,
    res: Response,
    owner: UserEntity,
    principal: Principal,
    repo: Repository,
  ): Promise<string> {
    const body = await openUploadBody(req);
    const done = await this.cran.upload(
      owner,
      principal.user.id,
      repo,
      body.stream,
      body.declaredSize,
    );
    res.type('text/plain');
    return `Uploaded ${done.fileName}\n`;
  }

  private async serveBinary(
    req: Request,
    res: Response,
    owner: UserEntity,
    platform: string,
    rversion: string,
    file: string,
  ): Promise<void> {
    const repo: Repository = {
      kind: 'binary',
      platform: checkPlatform(platform),
      rversion: checkName(rversion, R_VERSION),
    };
    await this.serve(req, res, owner, repo, file);
  }

  /** An index (PACKAGES, PACKAGES.gz, PACKAGES.rds) or a package file of `repo`; anything else is a 404. */
  private async serve(
    req: Request,
    res: Response,
    owner: UserEntity,
    repo: Repository,
    file: string,
    indexes = true,
  ): Promise<void> {
    checkName(file, FILE_NAME);
    const index = indexes ? INDEXES.get(file) : undefined;
    if (index) {
      serveDocument(req, res, await this.cran.index(owner, repo, index));
      return;
    }
    const parsed = parsePackageFileName(file);
    if (!parsed || (repo.kind === 'source') !== (parsed.ext === 'tar.gz'))
      throw RegistryError.notFound(`${file} not found`);
    const found = await this.cran.file(owner, repo, parsed.name, parsed.version, file);
    await serveFile(req, res, this.downloads, found.file, found.blob, {
      contentType: parsed.ext === 'zip' ? 'application/zip' : 'application/gzip',
      // A binary is a download of its version as much as the source is.
      countDownload: true,
      countAnyFile: true,
    });
  }
}
