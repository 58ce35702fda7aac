import { Controller, Get, HttpCode, Put, Req, Res, UseFilters } from '@nestjs/common';
import type { Request, Response } from 'express';
import { CurrentOwner, CurrentPrincipal, PackageAccess, Principal } from '@wharf/auth';
import {
  openUploadBody,
  PackageDownloadService,
  RegistryError,
  serveDocument,
  serveFile,
  UserEntity,
} from '@wharf/packages-core';
import { CondaErrorFilter } from './conda-error.filter';
import { CondaService } from './conda.service';

/** conda channels (docs/protocols/conda.md §2), at Forgejo's paths. */
@Controller('api/packages/:owner/conda')
@UseFilters(CondaErrorFilter)
export class CondaController {
  constructor(
    private readonly conda: CondaService,
    private readonly downloads: PackageDownloadService,
  ) {}

  // docs/protocols/conda.md §3: no conda upload client; a plain PUT of the package to `[/{channel}]/{file}`. 201, empty.
  @Put('*')
  @HttpCode(201)
  @PackageAccess('write')
  async upload(
    @Req() req: Request,
    @CurrentOwner() owner: UserEntity,
    @CurrentPrincipal() principal: Principal,
  ): Promise<void> {
    const segments = pathSegments(req);
    const body = await openUploadBody(req);
    await this.conda.upload(owner, principal.user.id, segments, body.stream, body.declaredSize);
  }

  // docs/protocols/conda.md §4, §2: `{subdir}/repodata.json` as conda reads it (ETag, 304), its `.bz2` as rattler (pixi) reads it, and package downloads (counted).
  @Get('*')
  @PackageAccess('read')
  async get(@Req() req: Request, @Res() res: Response, @CurrentOwner() owner: UserEntity) {
    const found = await this.conda.resolve(owner, pathSegments(req));
    if (found.kind === 'repodata') return serveDocument(req, res, found.document);
    await serveFile(req, res, this.downloads, found.file, found.blob, {
      contentType: 'application/octet-stream',
      countDownload: true,
    });
  }
}

/**
 * The path under the conda base, segment by segment, each decoded once: an encoded `/`
 * stays inside its segment (and the grammars refuse it).
 */
function pathSegments(req: Request): string[] {
  const match = /^\/api\/packages\/[^/]+\/conda\/(.*)$/.exec(req.path);
  const rest = match ? match[1] : '';
  let segments: string[];
  try {
    segments = rest.split('/').map((s) => decodeURIComponent(s));
  } catch {
    throw RegistryError.invalid('the path is not valid percent-encoding');
  }
  if (segments.some((s) => s.includes('/')))
    throw RegistryError.invalid(
      'an encoded "/" is not a path separator: send channel segments as they are',
    );
  return segments;
}
