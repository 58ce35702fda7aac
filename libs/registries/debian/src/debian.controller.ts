import { Controller, Delete, Get, HttpCode, Param, Put, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import { CurrentOwner, CurrentPrincipal, PackageAccess, Principal } from '@wharf/auth';
import {
  checkName,
  openUploadBody,
  PackageDownloadService,
  RegistryError,
  serveDocument,
  serveFile,
  serveRepositoryKey,
  UserEntity,
} from '@wharf/packages-core';
import { PACKAGES_VARIANTS, PackagesVariant } from './debian-index.service';
import {
  ARCHITECTURE,
  checkComponent,
  DISTRIBUTION,
  FILE_NAME,
  PACKAGE_NAME,
  parsePackageFileName,
  VERSION,
} from './debian.metadata';
import { DebianService, RELEASE_FILES, ReleaseFileName } from './debian.service';

/** A by-hash digest: hex, as long as a SHA-512's at most. */
const DIGEST = /^[0-9a-fA-F]{32,128}$/;

/**
 * The apt repository of an owner (docs/protocols/debian.md §2), at Forgejo's paths. Errors
 * are plain text. Express tries routes in the order declared here: the `by-hash` routes
 * come before the `{component}/{arch}` one that would also match them.
 */
@Controller('api/packages/:owner/debian')
export class DebianController {
  constructor(
    private readonly debian: DebianService,
    private readonly downloads: PackageDownloadService,
  ) {}

  // docs/protocols/debian.md §5: the key clients pin with `signed-by=` (apt) before trusting InRelease.
  @Get('repository.key')
  @PackageAccess('read')
  async key(
    @Req() req: Request,
    @Res() res: Response,
    @CurrentOwner() owner: UserEntity,
  ): Promise<void> {
    serveRepositoryKey(req, res, await this.debian.repositoryKey(owner));
  }

  // docs/protocols/debian.md §4: apt's Acquire-By-Hash fetch of the Release (or any index of the distribution).
  @Get('dists/:dist/by-hash/:algorithm/:digest')
  @PackageAccess('read')
  async distByHash(
    @Param('dist') dist: string,
    @Param('algorithm') algorithm: string,
    @Param('digest') digest: string,
    @Req() req: Request,
    @Res() res: Response,
    @CurrentOwner() owner: UserEntity,
  ): Promise<void> {
    checkName(dist, DISTRIBUTION);
    if (!DIGEST.test(digest)) throw RegistryError.notFound('not a digest');
    serveDocument(req, res, await this.debian.byHash(owner, dist, algorithm, digest));
  }

  // docs/protocols/debian.md §4: InRelease first (apt), else Release with Release.gpg.
  @Get('dists/:dist/:file')
  @PackageAccess('read')
  async release(
    @Param('dist') dist: string,
    @Param('file') file: string,
    @Req() req: Request,
    @Res() res: Response,
    @CurrentOwner() owner: UserEntity,
  ): Promise<void> {
    checkName(dist, DISTRIBUTION);
    if (!RELEASE_FILES.includes(file as ReleaseFileName))
      throw RegistryError.notFound(`dists/${dist}/ holds Release, InRelease and Release.gpg`);
    serveDocument(req, res, await this.debian.releaseFile(owner, dist, file as ReleaseFileName));
  }

  // docs/protocols/debian.md §4: `by-hash/SHA256/{digest}` of a Packages index, which apt asks for when Release says Acquire-By-Hash.
  @Get('dists/:dist/:component/:arch/by-hash/:algorithm/:digest')
  @PackageAccess('read')
  async packagesByHash(
    @Param('dist') dist: string,
    @Param('component') component: string,
    @Param('arch') arch: string,
    @Param('algorithm') algorithm: string,
    @Param('digest') digest: string,
    @Req() req: Request,
    @Res() res: Response,
    @CurrentOwner() owner: UserEntity,
  ): Promise<void> {
    checkName(dist, DISTRIBUTION);
    const where = { component: checkComponent(component), architecture: architectureOf(arch) };
    if (!DIGEST.test(digest)) throw RegistryError.notFound('not a digest');
    serveDocument(req, res, await this.debian.byHash(owner, dist, algorithm, digest, where));
  }

  // docs/protocols/debian.md §4: `binary-{arch}/Packages`, `.gz`, `.xz` (Forgejo also answers without the `binary-` prefix).
  @Get('dists/:dist/:component/:arch/:file')
  @PackageAccess('read')
  async packages(
    @Param('dist') dist: string,
    @Param('component') component: string,
    @Param('arch') arch: string,
    @Param('file') file: string,
    @Req() req: Request,
    @Res() res: Response,
    @CurrentOwner() owner: UserEntity,
  ): Promise<void> {
    checkName(dist, DISTRIBUTION);
    checkComponent(component);
    const architecture = architectureOf(arch);
    if (!PACKAGES_VARIANTS.includes(file as PackagesVariant))
      throw RegistryError.notFound(
        `binary-${architecture}/ holds Packages, Packages.gz and Packages.xz`,
      );
    serveDocument(
      req,
      res,
      await this.debian.packagesFile(owner, dist, component, architecture, file as PackagesVariant),
    );
  }

  // docs/protocols/debian.md §2: the `Filename:` of a Packages paragraph; apt downloads it (counted).
  @Get('pool/:dist/:component/:file')
  @PackageAccess('read')
  async download(
    @Param('dist') dist: string,
    @Param('component') component: string,
    @Param('file') file: string,
    @Req() req: Request,
    @Res() res: Response,
    @CurrentOwner() owner: UserEntity,
  ): Promise<void> {
    checkName(dist, DISTRIBUTION);
    checkComponent(component);
    const parsed = parsePackageFileName(checkName(file, FILE_NAME));
    if (!parsed) throw RegistryError.notFound(`${file} is not a package file name`);
    const found = await this.debian.file(
      owner,
      dist,
      component,
      parsed.name,
      parsed.version,
      parsed.architecture,
    );
    await serveFile(req, res, this.downloads, found.file, found.blob, {
      contentType: 'application/vnd.debian.binary-package',
      countDownload: true,
    });
  }

  // docs/protocols/debian.md §3: no apt upload command; `curl --upload-file foo.deb …/pool/{dist}/{component}/upload`. 201, empty.
  @Put('pool/:dist/:component/upload')
  @HttpCode(201)
  @PackageAccess('write')
  async upload(
    @Param('dist') dist: string,
    @Param('component') component: string,
    @Req() req: Request,
    @CurrentOwner() owner: UserEntity,
    @CurrentPrincipal() principal: Principal,
  ): Promise<void> {
    try {
      checkName(dist, DISTRIBUTION);
      checkComponent(component);
    } catch (err) {
      req.resume();
      throw err;
    }
    const body = await openUploadBody(req);
    await this.debian.upload(
      owner,
      principal.user.id,
      dist,
      component,
      body.stream,
      body.declaredSize,
    );
  }

  // docs/protocols/debian.md §2: removes one file; its indexes no longer list it at the next read. 204.
  @Delete('pool/:dist/:component/:name/:version/:arch')
  @HttpCode(204)
  @PackageAccess('write')
  async delete(
    @Param('dist') dist: string,
    @Param('component') component: string,
    @Param('name') name: string,
    @Param('version') version: string,
    @Param('arch') arch: string,
    @CurrentOwner() owner: UserEntity,
  ): Promise<void> {
    await this.debian.delete(
      owner,
      checkName(dist, DISTRIBUTION),
      checkComponent(component),
      checkName(name, PACKAGE_NAME),
      checkName(version, VERSION),
      checkName(arch, ARCHITECTURE),
    );
  }
}

/** `binary-amd64` (what apt asks for) or `amd64` (Forgejo's test) → `amd64`. */
function architectureOf(segment: string): string {
  return checkName(segment.startsWith('binary-') ? segment.slice(7) : segment, ARCHITECTURE);
}
