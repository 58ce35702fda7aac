import { Controller, Delete, Get, HttpCode, Put, Query, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import { CurrentOwner, CurrentPrincipal, PackageAccess, Principal } from '@wharf/auth';
import {
  openUploadBody,
  PackageDownloadService,
  RegistryError,
  serveDocument,
  serveFile,
  serveRepositoryKey,
  UserEntity,
} from '@wharf/packages-core';
import { parseSignFlag } from './rpm.metadata';
import { RpmService } from './rpm.service';

const REPO_TYPE = 'text/plain; charset=utf-8';

/**
 * The `.repo` of the empty group sits beside the rpm base (`…/rpm.repo`), as Forgejo serves
 * it: Forgejo's router sees everything after `rpm` as one path, so `.repo` at its start is
 * the empty group's.
 */
@Controller('api/packages/:owner')
export class RpmRepoFileController {
  constructor(private readonly rpm: RpmService) {}

  // docs/protocols/rpm.md §7: `dnf config-manager --add-repo …/rpm.repo` for packages uploaded without a group.
  @Get('rpm.repo')
  @PackageAccess('read')
  repoFile(@Req() req: Request, @Res() res: Response, @CurrentOwner() owner: UserEntity): void {
    serveDocument(req, res, { body: this.rpm.repositoryConfig(owner, ''), contentType: REPO_TYPE });
  }
}

/**
 * The rpm repositories of an owner (docs/protocols/rpm.md §2), at Forgejo's paths: a group
 * is any path before `/repodata/`, `/upload`, `/package/` or `.repo`, so every route takes
 * the whole rest of the path and splits it as Forgejo's router does. Errors are plain text.
 */
@Controller('api/packages/:owner/rpm')
export class RpmController {
  constructor(
    private readonly rpm: RpmService,
    private readonly downloads: PackageDownloadService,
  ) {}

  // docs/protocols/rpm.md §6: the key the .repo file's gpgkey= names; dnf imports it to check packages and repomd.xml.
  @Get('repository.key')
  @PackageAccess('read')
  async key(
    @Req() req: Request,
    @Res() res: Response,
    @CurrentOwner() owner: UserEntity,
  ): Promise<void> {
    serveRepositoryKey(req, res, await this.rpm.repositoryKey(owner));
  }

  // docs/protocols/rpm.md §2, §4: `{group}.repo`, `{group}/repodata/{file}` as dnf fetches them, and package downloads (counted).
  @Get('*')
  @PackageAccess('read')
  async get(
    @Req() req: Request,
    @Res() res: Response,
    @CurrentOwner() owner: UserEntity,
  ): Promise<void> {
    const route = parsePath(restOf(req));
    switch (route.kind) {
      case 'repo':
        return serveDocument(req, res, {
          body: this.rpm.repositoryConfig(owner, this.rpm.checkGroup(route.group)),
          contentType: REPO_TYPE,
        });
      case 'repodata':
        return serveDocument(
          req,
          res,
          await this.rpm.repodataFile(owner, this.rpm.checkGroup(route.group), route.file),
        );
      case 'package': {
        const group = this.rpm.checkGroup(route.group);
        const found = await this.rpm.file(owner, group, route.name, route.version, route.arch);
        return serveFile(req, res, this.downloads, found.file, found.blob, {
          contentType: 'application/x-rpm',
          countDownload: true,
        });
      }
      default:
        throw RegistryError.notFound('not an rpm repository path');
    }
  }

  // docs/protocols/rpm.md §3: `curl --upload-file foo.rpm …/{group}/upload[?sign=false]`. 201, empty.
  @Put('*')
  @HttpCode(201)
  @PackageAccess('write')
  async upload(
    @Req() req: Request,
    @Query('sign') signParam: unknown,
    @CurrentOwner() owner: UserEntity,
    @CurrentPrincipal() principal: Principal,
  ): Promise<void> {
    let group: string;
    let sign: boolean;
    try {
      const route = parsePath(restOf(req));
      if (route.kind !== 'upload') throw RegistryError.notFound('uploads go to {group}/upload');
      group = this.rpm.checkGroup(route.group);
      sign = parseSignFlag(signParam);
    } catch (err) {
      req.resume();
      throw err;
    }
    const body = await openUploadBody(req);
    await this.rpm.upload(owner, principal.user.id, group, body.stream, body.declaredSize, sign);
  }

  // docs/protocols/rpm.md §2: `{group}/package/{name}/{version}/{arch}` removes one file; the next repodata read no longer lists it. 204.
  @Delete('*')
  @HttpCode(204)
  @PackageAccess('write')
  async delete(@Req() req: Request, @CurrentOwner() owner: UserEntity): Promise<void> {
    const route = parsePath(restOf(req));
    if (route.kind !== 'package' || route.fileName !== undefined)
      throw RegistryError.notFound('delete {group}/package/{name}/{version}/{arch}');
    const group = this.rpm.checkGroup(route.group);
    await this.rpm.delete(owner, group, route.name, route.version, route.arch);
  }
}

type RpmRoute =
  | { kind: 'repo'; group: string }
  | { kind: 'repodata'; group: string; file: string }
  | { kind: 'upload'; group: string }
  | {
      kind: 'package';
      group: string;
      name: string;
      version: string;
      arch: string;
      fileName?: string;
    }
  | { kind: 'none' };

/**
 * Splits the path after `/rpm/` the way Forgejo's router does (docs/protocols/rpm.md §2):
 * `{group}.repo`, `{group}/repodata/{file}`, `{group}/upload`,
 * `{group}/package/{name}/{version}/{arch}[/{file}]`; the group may be empty or hold `/`.
 */
export function parsePath(segments: string[]): RpmRoute {
  const last = segments.at(-1) ?? '';
  const group = (n: number) => segments.slice(0, segments.length - n).join('/');
  const at = (n: number) => segments[segments.length - n];
  if (segments.length >= 1 && last.endsWith('.repo') && last.length > '.repo'.length)
    return { kind: 'repo', group: [...segments.slice(0, -1), last.slice(0, -5)].join('/') };
  if (segments.length >= 2 && at(2) === 'repodata')
    return { kind: 'repodata', group: group(2), file: last };
  if (segments.length >= 1 && last === 'upload') return { kind: 'upload', group: group(1) };
  // `…/package/{name}/{version}/{arch}`, or with a trailing file name (downloads).
  for (const withFile of [false, true]) {
    const k = withFile ? 1 : 0;
    if (segments.length >= 4 + k && at(4 + k) === 'package')
      return {
        kind: 'package',
        group: group(4 + k),
        name: at(3 + k),
        version: at(2 + k),
        arch: at(1 + k),
        ...(withFile ? { fileName: last } : {}),
      };
  }
  return { kind: 'none' };
}

/**
 * The path after `/rpm/`, segment by segment, each decoded once: an encoded `/` stays in
 * its segment, and is refused (a group's segments are sent as they are).
 */
function restOf(req: Request): string[] {
  const match = /^\/api\/packages\/[^/]+\/rpm\/(.*)$/.exec(req.path);
  let segments: string[];
  try {
    segments = (match ? match[1] : '').split('/').map((s) => decodeURIComponent(s));
  } catch {
    throw RegistryError.invalid('the path is not valid percent-encoding');
  }
  if (segments.some((s) => s.includes('/')))
    throw RegistryError.invalid('an encoded "/" is not a path separator');
  // `//upload` is not the empty group's `/upload`: a group has no empty segment.
  if (segments.length > 1 && segments.includes(''))
    throw RegistryError.invalid('the path has an empty segment');
  return segments;
}
