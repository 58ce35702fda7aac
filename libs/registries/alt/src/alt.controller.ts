import { Controller, Delete, Get, HttpCode, Put, Req, Res } from '@nestjs/common';
import { once } from 'node:events';
import type { Request, Response } from 'express';
import { CurrentOwner, CurrentPrincipal, PackageAccess, Principal } from '@wharf/auth';
import {
  answerNotModified,
  checkName,
  openUploadBody,
  PackageDownloadService,
  RegistryError,
  serveDocument,
  serveFile,
  UserEntity,
} from '@wharf/packages-core';
import { PACKAGE_DIRECTORY } from './alt.documents';
import { ALT_ARCH, ALT_FILE_NAME, normalizeGroup } from './alt.metadata';
import { AltService, BaseFile } from './alt.service';

/** What a path under `{base}/` asks for (docs/protocols/alt.md §2). */
type Target =
  | { kind: 'config'; group: string }
  | { kind: 'base'; group: string; arch: string; file: string }
  | { kind: 'package'; group: string; arch: string; file: string };

/**
 * ALT Linux's apt-rpm repositories (docs/protocols/alt.md §2), at Forgejo's paths: groups
 * may hold `/`, so the path is parsed here, as Forgejo's router does. Errors are plain text.
 */
@Controller('api/packages/:owner/alt')
export class AltController {
  constructor(
    private readonly alt: AltService,
    private readonly downloads: PackageDownloadService,
  ) {}

  // docs/protocols/alt.md §3: `curl --upload-file foo.rpm {base}[/{group}]/upload`, as Forgejo's RPM upload. 201, empty.
  @Put('*')
  @HttpCode(201)
  @PackageAccess('write')
  async upload(
    @Req() req: Request,
    @CurrentOwner() owner: UserEntity,
    @CurrentPrincipal() principal: Principal,
  ): Promise<void> {
    const segments = pathSegments(req);
    if (segments[segments.length - 1] !== 'upload') {
      req.resume();
      throw RegistryError.notFound('upload to {base}/upload or {base}/{group}/upload');
    }
    const group = normalizeGroup(segments.slice(0, -1));
    const body = await openUploadBody(req);
    await this.alt.upload(owner, principal.user.id, group, body.stream, body.declaredSize);
  }

  // docs/protocols/alt.md §2, §4: what apt-get update fetches (base/release, pkglist.classic[.xz]) and apt-get install downloads; HEAD too.
  @Get('*')
  @PackageAccess('read')
  async get(@Req() req: Request, @Res() res: Response, @CurrentOwner() owner: UserEntity) {
    await this.serve(req, res, owner);
  }

  // docs/protocols/alt.md §2: DELETE at the package's own download path; 204.
  @Delete('*')
  @HttpCode(204)
  @PackageAccess('write')
  async delete(@Req() req: Request, @CurrentOwner() owner: UserEntity): Promise<void> {
    const target = parseTarget(pathSegments(req));
    if (target?.kind !== 'package') throw RegistryError.notFound('only packages are deleted');
    await this.alt.delete(owner, target.group, target.arch, target.file);
  }

  private async serve(req: Request, res: Response, owner: UserEntity): Promise<void> {
    const target = parseTarget(pathSegments(req));
    if (!target) throw RegistryError.notFound('not an ALT repository path');
    if (target.kind === 'config') {
      serveDocument(req, res, {
        body: this.alt.repositoryConfig(owner, target.group),
        contentType: 'text/plain; charset=utf-8',
      });
      return;
    }
    if (target.kind === 'base') {
      const file = await this.alt.baseFile(owner, target.group, target.arch, target.file);
      await sendBaseFile(req, res, file, this.alt);
      return;
    }
    const found = await this.alt.packageFile(owner, target.group, target.arch, target.file);
    await serveFile(req, res, this.downloads, found.file, found.blob, {
      contentType: 'application/x-rpm',
      countDownload: true,
    });
  }
}

/** `release`, `release.classic` as documents; a pkglist streamed record by record with its known size and sum. */
async function sendBaseFile(
  req: Request,
  res: Response,
  file: BaseFile,
  alt: AltService,
): Promise<void> {
  if (file.kind === 'text') {
    serveDocument(req, res, {
      body: file.body,
      contentType: 'text/plain; charset=utf-8',
      lastModified: file.lastModified,
    });
    return;
  }
  res.setHeader('ETag', file.etag);
  res.setHeader('Cache-Control', 'private, max-age=0, must-revalidate');
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Last-Modified', file.lastModified.toUTCString());
  if (answerNotModified(req, res, file.etag, file.lastModified)) return;
  res.status(200);
  res.setHeader('Content-Type', file.contentType);
  res.setHeader('Content-Length', String(file.size));
  if (req.method === 'HEAD') {
    res.end();
    return;
  }
  let sent = 0;
  for await (const part of alt.readPkglist(file)) {
    sent += part.length;
    // A deletion between the summary and this read: the promised length cannot be kept.
    if (sent > file.size) break;
    if (!res.write(part)) await once(res, 'drain');
  }
  if (sent !== file.size) res.destroy();
  else res.end();
}

/** `{group}.repo`, `{group}.repo/{arch}/base/{file}`, `{group}.repo/{arch}/RPMS.classic/{file}`; null otherwise. */
function parseTarget(segments: string[]): Target | null {
  const n = segments.length;
  if (n >= 4 && segments[n - 4].endsWith('.repo')) {
    const [arch, dir, file] = segments.slice(n - 3);
    const group = repoGroup(segments.slice(0, n - 3));
    if (dir === 'base') return { kind: 'base', group, arch: checkName(arch, ALT_ARCH), file };
    if (dir === PACKAGE_DIRECTORY)
      return {
        kind: 'package',
        group,
        arch: checkName(arch, ALT_ARCH),
        file: checkName(file, ALT_FILE_NAME),
      };
  }
  if (n >= 1 && segments[n - 1].endsWith('.repo'))
    return { kind: 'config', group: repoGroup(segments) };
  return null;
}

/** The group of `a/b/c.repo`: `a/b/c` (`alt` being the default group). */
function repoGroup(segments: string[]): string {
  const last = segments[segments.length - 1];
  return normalizeGroup([...segments.slice(0, -1), last.slice(0, -'.repo'.length)]);
}

/**
 * The path under the ALT base, segment by segment, each decoded once: an encoded `/` stays
 * inside its segment (and the grammars refuse it).
 */
function pathSegments(req: Request): string[] {
  const match = /^\/api\/packages\/[^/]+\/alt\/(.*)$/.exec(req.path);
  const rest = match ? match[1] : '';
  let segments: string[];
  try {
    segments = rest.split('/').map((s) => decodeURIComponent(s));
  } catch {
    throw RegistryError.invalid('the path is not valid percent-encoding');
  }
  if (segments.some((s) => s.includes('/')))
    throw RegistryError.invalid(
      'an encoded "/" is not a path separator: send group segments as they are',
    );
  return segments;
}
