import { Controller, Get, Head, Put, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import { CurrentOwner, CurrentPrincipal, PackageAccess, Principal } from '@wharf/auth';
import {
  parseContentLength,
  PackageDownloadService,
  serveDocument,
  serveFile,
  UserEntity,
} from '@wharf/packages-core';
import { parseMavenPath } from './maven.metadata';
import { MavenResource, MavenService } from './maven.service';

/*
 * Content types, chosen so a browser never interprets an uploaded byte as markup:
 * - the generated maven-metadata.xml is application/xml: every value in it is escaped,
 *   so it holds no markup of the uploader's, and XML tools expect an XML type;
 * - uploaded files, poms and snapshot maven-metadata.xml included, are
 *   application/octet-stream (jars application/java-archive): a pom is the uploader's
 *   XML, and served as text/xml (Forgejo) an XHTML-namespaced <script> in it would run
 *   on the registry's origin. Maven and Gradle ignore the type;
 * - checksums are text/plain.
 */
const METADATA_TYPE = 'application/xml; charset=utf-8';

function fileType(name: string): string {
  return name.endsWith('.jar') ? 'application/java-archive' : 'application/octet-stream';
}

@Controller('api/packages/:owner/maven')
export class MavenController {
  constructor(
    private readonly maven: MavenService,
    private readonly downloads: PackageDownloadService,
  ) {}

  // docs/protocols/maven.md §3: `mvn deploy` PUTs each file, then checksums (verified, not stored), then maven-metadata.xml (ignored).
  @Put('*')
  @PackageAccess('write')
  async put(
    @Req() req: Request,
    @Res() res: Response,
    @CurrentOwner() owner: UserEntity,
    @CurrentPrincipal() principal: Principal,
  ): Promise<void> {
    const status = await this.maven.put(
      owner,
      principal.user.id,
      parseMavenPath(rawPath(req)),
      req,
      parseContentLength(req.headers),
    );
    res.status(status).end();
  }

  // docs/protocols/maven.md §2: HEAD sends the headers of a GET and never counts a download.
  @Head('*')
  @PackageAccess('read')
  async head(
    @Req() req: Request,
    @Res() res: Response,
    @CurrentOwner() owner: UserEntity,
  ): Promise<void> {
    await this.send(await this.maven.resolve(owner, parseMavenPath(rawPath(req))), req, res);
  }

  // docs/protocols/maven.md §2/§4: files, checksums computed for every file, generated artifact-level maven-metadata.xml.
  @Get('*')
  @PackageAccess('read')
  async get(
    @Req() req: Request,
    @Res() res: Response,
    @CurrentOwner() owner: UserEntity,
  ): Promise<void> {
    await this.send(await this.maven.resolve(owner, parseMavenPath(rawPath(req))), req, res);
  }

  private async send(found: MavenResource, req: Request, res: Response): Promise<void> {
    if (found.kind === 'file') {
      const { file, blob } = found;
      await serveFile(req, res, this.downloads, file, blob, {
        contentType: fileType(file.name),
        countDownload: true,
      });
      return;
    }
    serveDocument(req, res, {
      body: found.body,
      contentType: found.kind === 'document' ? METADATA_TYPE : 'text/plain; charset=utf-8',
      lastModified: found.lastModified,
    });
  }
}

/**
 * The repository path as the client sent it, still percent-encoded: the router's decoded
 * wildcard would turn an encoded `%2f` into a separator (docs/protocols/maven.md §2).
 */
function rawPath(req: Request): string {
  const match = /^\/api\/packages\/[^/]+\/maven\/(.*)$/.exec(req.path);
  return match ? match[1] : '';
}
