import {
  Controller,
  Get,
  HttpCode,
  Param,
  Post,
  Put,
  Query,
  Req,
  Res,
  UseFilters,
} from '@nestjs/common';
import type { Request, Response } from 'express';
import {
  BASIC_CHALLENGE,
  CurrentOwner,
  CurrentPrincipal,
  PackageAccess,
  Principal,
} from '@wharf/auth';
import {
  PackageDownloadService,
  PackageQueryService,
  PackageType,
  RegistryError,
  RegistryErrorCode,
  serveDocument,
  serveFile,
  UserEntity,
} from '@wharf/packages-core';
import { SwiftErrorFilter } from './swift-error.filter';
import { checkAccept } from './swift.metadata';
import { SwiftService } from './swift.service';

const JSON_TYPE = 'application/json';

/** Sets `Content-Version: 1` (every answer, SE-0292 §3.5) and checks `Accept`. */
function negotiate(req: Request, res: Response): void {
  res.setHeader('Content-Version', '1');
  checkAccept(req.headers.accept);
}

/** `{version}.json` / `{version}.zip` / `{version}`, and `{name}.json` / `{name}`. */
function splitSuffix(value: string): { base: string; suffix?: 'json' | 'zip' } {
  const m = /^(.*)\.(json|zip)$/.exec(value);
  return m ? { base: m[1], suffix: m[2] as 'json' | 'zip' } : { base: value };
}

/** Swift package registry (docs/protocols/swift.md §2), at Forgejo's paths. */
@Controller('api/packages/:owner/swift')
@UseFilters(SwiftErrorFilter)
export class SwiftController {
  constructor(
    private readonly swift: SwiftService,
    private readonly downloads: PackageDownloadService,
    private readonly query: PackageQueryService,
  ) {}

  // docs/protocols/swift.md §5: `swift package-registry login` POSTs here; 200 only for a signed-in caller.
  @Post(['', 'login'])
  @HttpCode(200)
  @PackageAccess('read')
  login(
    @Res({ passthrough: true }) res: Response,
    @CurrentPrincipal() principal: Principal | undefined,
  ): void {
    res.setHeader('Content-Version', '1');
    if (principal) return;
    res.setHeader('WWW-Authenticate', BASIC_CHALLENGE);
    throw new RegistryError(RegistryErrorCode.Unauthorized, 'authentication required');
  }

  // docs/protocols/swift.md §4 (SE-0292 §4.5): package identifiers for a repository URL.
  @Get('identifiers')
  @PackageAccess('read')
  async identifiers(
    @Query('url') url: string | undefined,
    @Req() req: Request,
    @Res() res: Response,
    @CurrentOwner() owner: UserEntity,
  ): Promise<void> {
    negotiate(req, res);
    const body = await this.swift.identifiers(owner, typeof url === 'string' ? url : undefined);
    serveDocument(req, res, { body, contentType: JSON_TYPE });
  }

  // docs/protocols/swift.md §4 (SE-0292 §4.1): the releases, with the latest in `Link`.
  @Get(':scope/:name')
  @PackageAccess('read')
  async releases(
    @Param('scope') scope: string,
    @Param('name') rawName: string,
    @Req() req: Request,
    @Res() res: Response,
    @CurrentOwner() owner: UserEntity,
  ): Promise<void> {
    negotiate(req, res);
    const { base, suffix } = splitSuffix(rawName);
    if (suffix === 'zip') throw RegistryError.notFound('not found');
    const { document, latestUrl } = await this.swift.releases(owner, { scope, name: base });
    if (latestUrl) res.setHeader('Link', `<${latestUrl}>; rel="latest-version"`);
    serveDocument(req, res, document);
  }

  // docs/protocols/swift.md §4 (SE-0292 §4.3): the manifest; `?swift-version=` picks a variant.
  @Get(':scope/:name/:version/Package.swift')
  @PackageAccess('read')
  async manifest(
    @Param('scope') scope: string,
    @Param('name') name: string,
    @Param('version') version: string,
    @Query('swift-version') swiftVersion: string | undefined,
    @Req() req: Request,
    @Res() res: Response,
    @CurrentOwner() owner: UserEntity,
  ): Promise<void> {
    negotiate(req, res);
    const url = `${this.query.packageBaseUrl(owner, PackageType.Swift)}/${scope}/${name}/${encodeURIComponent(version)}/Package.swift`;
    const answer = await this.swift.manifest(
      owner,
      { scope, name, version },
      typeof swiftVersion === 'string' ? swiftVersion : undefined,
      url,
    );
    if (answer.kind === 'redirect') {
      res.redirect(303, answer.location);
      return;
    }
    if (answer.link) res.setHeader('Link', answer.link);
    res.setHeader('Content-Disposition', `attachment; filename="${answer.fileName}"`);
    serveDocument(req, res, { body: answer.content, contentType: 'text/x-swift' });
  }

  // docs/protocols/swift.md §4 (SE-0292 §4.2, §4.4): release metadata, or `.zip` the source archive.
  @Get(':scope/:name/:version')
  @PackageAccess('read')
  async release(
    @Param('scope') scope: string,
    @Param('name') name: string,
    @Param('version') rawVersion: string,
    @Req() req: Request,
    @Res() res: Response,
    @CurrentOwner() owner: UserEntity,
  ): Promise<void> {
    negotiate(req, res);
    const { base: version, suffix } = splitSuffix(rawVersion);
    if (suffix === 'zip') {
      const { file, blob } = await this.swift.archive(owner, { scope, name, version });
      res.setHeader('Digest', `sha-256=${Buffer.from(blob.hashSha256, 'hex').toString('base64')}`);
      await serveFile(req, res, this.downloads, file, blob, {
        contentType: 'application/zip',
        countDownload: true,
      });
      return;
    }
    const body = await this.swift.release(owner, { scope, name, version });
    serveDocument(req, res, { body, contentType: JSON_TYPE });
  }

  // docs/protocols/swift.md §3 (SE-0391): publish, multipart `source-archive` + `metadata`; 201.
  @Put(':scope/:name/:version')
  @HttpCode(201)
  @PackageAccess('write')
  async publish(
    @Param('scope') scope: string,
    @Param('name') name: string,
    @Param('version') version: string,
    @Req() req: Request,
    @Res({ passthrough: true }) res: Response,
    @CurrentOwner() owner: UserEntity,
    @CurrentPrincipal() principal: Principal,
  ): Promise<void> {
    try {
      negotiate(req, res);
    } catch (err) {
      req.resume();
      throw err;
    }
    await this.swift.publish(owner, principal.user.id, { scope, name, version }, req);
    res.setHeader(
      'Location',
      `${this.query.packageBaseUrl(owner, PackageType.Swift)}/${scope}/${name}/${encodeURIComponent(version)}`,
    );
  }
}
