import { Controller, Delete, Get, HttpCode, Param, Post, Query, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import { CurrentOwner, CurrentPrincipal, PackageAccess, Principal } from '@wharf/auth';
import {
  CachedDocument,
  checkName,
  openUploadBody,
  PackageDownloadService,
  RegistryError,
  serveDocument,
  serveFile,
  UserEntity,
} from '@wharf/packages-core';
import { reprDigest } from './rubygems.compact-index';
import type { SpecsList } from './rubygems.documents';
import { GEM_FULL_NAME, GEM_NAME, GEM_PLATFORM, GEM_VERSION } from './rubygems.metadata';
import { RubygemsService } from './rubygems.service';
import { readYankForm } from './yank-form';

/** The RubyGems registry (docs/protocols/rubygems.md §2): the gem host and source. Errors are plain text. */
@Controller('api/packages/:owner/rubygems')
export class RubygemsController {
  constructor(
    private readonly rubygems: RubygemsService,
    private readonly downloads: PackageDownloadService,
  ) {}

  // docs/protocols/rubygems.md §3: `gem push --host` posts the raw .gem; gem prints the body.
  @Post('api/v1/gems')
  @HttpCode(201)
  @PackageAccess('write')
  async push(
    @Req() req: Request,
    @Res({ passthrough: true }) res: Response,
    @CurrentOwner() owner: UserEntity,
    @CurrentPrincipal() principal: Principal,
  ): Promise<string> {
    const body = await openUploadBody(req);
    const gem = await this.rubygems.push(owner, principal.user.id, body.stream, body.declaredSize);
    res.type('text/plain');
    return `Successfully registered gem: ${gem.name} (${gem.version}${gem.platform === 'ruby' ? '' : `-${gem.platform}`})`;
  }

  // docs/protocols/rubygems.md §8: `gem yank` sends gem_name, version and platform urlencoded in the DELETE body.
  @Delete('api/v1/gems/yank')
  @PackageAccess('write')
  async yank(
    @Req() req: Request,
    @Res({ passthrough: true }) res: Response,
    @CurrentOwner() owner: UserEntity,
  ): Promise<string> {
    const form = await readYankForm(req);
    if (!form.gemName || !form.version)
      throw RegistryError.invalid('gem_name and version are required');
    checkName(form.gemName, GEM_NAME);
    checkName(form.version, GEM_VERSION);
    if (form.platform) checkName(form.platform, GEM_PLATFORM);
    await this.rubygems.yank(owner, form.gemName, form.version, form.platform);
    res.type('text/plain');
    return `Successfully deleted gem: ${form.gemName} (${form.version})`;
  }

  // docs/protocols/rubygems.md §4: the legacy index `gem` reads (gzip'd Marshal lists).
  @Get(['specs.4.8.gz', 'latest_specs.4.8.gz', 'prerelease_specs.4.8.gz'])
  @PackageAccess('read')
  async specs(
    @Req() req: Request,
    @Res() res: Response,
    @CurrentOwner() owner: UserEntity,
  ): Promise<void> {
    const list = req.path.split('/').pop()!.replace('.4.8.gz', '') as SpecsList;
    serveDocument(req, res, await this.rubygems.specs(owner, list));
  }

  // docs/protocols/rubygems.md §4: one gemspec, zlib'd Marshal, as `gem install` fetches it.
  @Get('quick/Marshal.4.8/:file')
  @PackageAccess('read')
  async quickSpec(
    @Param('file') file: string,
    @Req() req: Request,
    @Res() res: Response,
    @CurrentOwner() owner: UserEntity,
  ): Promise<void> {
    const fullName = stripSuffix(checkName(file, GEM_FULL_NAME), '.gemspec.rz');
    serveDocument(req, res, await this.rubygems.quickSpec(owner, fullName));
  }

  // docs/protocols/rubygems.md §2: the .gem itself; every GET counts a download.
  @Get('gems/:file')
  @PackageAccess('read')
  async download(
    @Param('file') file: string,
    @Req() req: Request,
    @Res() res: Response,
    @CurrentOwner() owner: UserEntity,
  ): Promise<void> {
    const fullName = stripSuffix(checkName(file, GEM_FULL_NAME), '.gem');
    const { file: row, blob } = await this.rubygems.gemFile(owner, fullName);
    await serveFile(req, res, this.downloads, row, blob, {
      contentType: 'application/octet-stream',
      countDownload: true,
    });
  }

  // docs/protocols/rubygems.md §4: the compact index's list of gems, versions and info checksums (Bundler, gem ≥ 3).
  @Get('versions')
  @PackageAccess('read')
  async versions(
    @Req() req: Request,
    @Res() res: Response,
    @CurrentOwner() owner: UserEntity,
  ): Promise<void> {
    sendCompactIndex(req, res, await this.rubygems.versions(owner));
  }

  // docs/protocols/rubygems.md §4: one gem's compact index file.
  @Get('info/:name')
  @PackageAccess('read')
  async info(
    @Param('name') name: string,
    @Req() req: Request,
    @Res() res: Response,
    @CurrentOwner() owner: UserEntity,
  ): Promise<void> {
    sendCompactIndex(req, res, await this.rubygems.info(owner, checkName(name, GEM_NAME)));
  }

  // Compact index: every gem name (`bundle` uses it for suggestions).
  @Get('names')
  @PackageAccess('read')
  async names(
    @Req() req: Request,
    @Res() res: Response,
    @CurrentOwner() owner: UserEntity,
  ): Promise<void> {
    sendCompactIndex(req, res, await this.rubygems.names(owner));
  }

  // docs/protocols/rubygems.md §8: the dependency API older Bundlers use without a compact index.
  @Get('api/v1/dependencies')
  @PackageAccess('read')
  async dependencies(
    @Query('gems') gems: unknown,
    @Req() req: Request,
    @Res() res: Response,
    @CurrentOwner() owner: UserEntity,
  ): Promise<void> {
    if (gems !== undefined && typeof gems !== 'string')
      throw RegistryError.invalid('gems must be one comma-separated list');
    const names = (gems ?? '').split(',').filter(Boolean);
    for (const name of names) checkName(name, GEM_NAME);
    const body = await this.rubygems.dependencies(owner, names);
    serveDocument(req, res, { body, contentType: 'application/octet-stream' });
  }
}

/** Compact index files carry their SHA-256 as `Repr-Digest` (RFC 9530), which newer Bundlers verify. */
function sendCompactIndex(req: Request, res: Response, doc: CachedDocument): void {
  res.setHeader('Repr-Digest', reprDigest(doc.body));
  serveDocument(req, res, doc);
}

function stripSuffix(file: string, suffix: string): string {
  if (!file.endsWith(suffix) || file.length === suffix.length)
    throw RegistryError.notFound(`${file} not found: expected {name}-{version}${suffix}`);
  return file.slice(0, -suffix.length);
}
