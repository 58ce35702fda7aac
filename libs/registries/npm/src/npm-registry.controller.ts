import {
  Controller,
  Delete,
  Get,
  HttpCode,
  Param,
  Post,
  Put,
  Query,
  Req,
  UseFilters,
} from '@nestjs/common';
import type { Request } from 'express';
import {
  CurrentOwner,
  CurrentPrincipal,
  PackageAccess,
  Principal,
  SignedIn,
  UserService,
} from '@wharf/auth';
import { RegistryError, UserEntity } from '@wharf/packages-core';
import { NpmErrorFilter } from './npm-error.filter';
import { NpmLoginResult, NpmLoginService } from './npm-login.service';
import { packageNameFromPath } from './npm.metadata';
import { NpmService } from './npm.service';
import { readJsonBody } from './read-json-body';

interface PkgParams {
  scope?: string;
  pkg: string;
}

const SMALL_BODY = 64 * 1024;

/** The registry-wide `-/…` routes of npm (docs/protocols/npm.md §2): account, dist-tags, search. Registered before the package routes. */
@Controller('api/packages/:owner/npm/-')
@UseFilters(NpmErrorFilter)
export class NpmRegistryController {
  constructor(
    private readonly npm: NpmService,
    private readonly login: NpmLoginService,
    private readonly users: UserService,
  ) {}

  // `npm ping` wants any 2xx JSON.
  @Get('ping')
  @PackageAccess('read')
  ping(): Record<string, never> {
    return {};
  }

  // `npm whoami` reads `username` (docs/protocols/npm.md §2, Gitea 2026).
  @Get('whoami')
  @SignedIn()
  whoami(@CurrentPrincipal() principal: Principal): { username: string } {
    return { username: principal.user.name };
  }

  // npm-profile tries web login first and falls back to the CouchDB route on a 4xx.
  @Post('v1/login')
  webLogin(): never {
    throw RegistryError.notFound('web login is not supported: use npm login --auth-type=legacy');
  }

  // `npm login` / `npm adduser` (legacy): the password is checked and a new access token returned.
  @Put('user/:couchUser')
  @HttpCode(201)
  async couchLogin(
    @Param('owner') ownerName: string,
    @Param('couchUser') couchUser: string,
    @Req() req: Request,
  ): Promise<NpmLoginResult> {
    if (!(await this.users.findOwner(ownerName)))
      throw RegistryError.notFound(`owner ${ownerName} does not exist`);
    const body = await readJsonBody(req, SMALL_BODY);
    return this.login.login(couchUser, body, req.ip ?? req.socket.remoteAddress ?? '');
  }

  // `npm search` (docs/protocols/npm.md §4).
  @Get('v1/search')
  @PackageAccess('read')
  search(
    @CurrentOwner() owner: UserEntity,
    @Query('text') text = '',
    @Query('from') from = '0',
    @Query('size') size = '0',
  ): Promise<Record<string, unknown>> {
    return this.npm.search(
      owner,
      String(text),
      Number(from) || 0,
      Number(size) || 0,
      async (id) => (await this.users.findById(id))?.name,
    );
  }

  // `npm dist-tag ls`.
  @Get(['package/:pkg/dist-tags', 'package/:scope/:pkg/dist-tags'])
  @PackageAccess('read')
  tags(@Param() p: PkgParams, @CurrentOwner() owner: UserEntity): Promise<Record<string, string>> {
    return this.npm.tags(owner, nameOf(p));
  }

  // `npm dist-tag add`: the body is the version as a JSON string.
  @Put(['package/:pkg/dist-tags/:tag', 'package/:scope/:pkg/dist-tags/:tag'])
  @HttpCode(200)
  @PackageAccess('write')
  async setTag(
    @Param() p: PkgParams,
    @Param('tag') tag: string,
    @Req() req: Request,
    @CurrentOwner() owner: UserEntity,
  ): Promise<{ ok: true }> {
    const version = await readJsonBody(req, SMALL_BODY);
    await this.npm.setTag(owner, nameOf(p), tag, version);
    return { ok: true };
  }

  // `npm dist-tag rm`; an unknown tag is fine (Forgejo).
  @Delete(['package/:pkg/dist-tags/:tag', 'package/:scope/:pkg/dist-tags/:tag'])
  @HttpCode(200)
  @PackageAccess('write')
  async removeTag(
    @Param() p: PkgParams,
    @Param('tag') tag: string,
    @CurrentOwner() owner: UserEntity,
  ): Promise<{ ok: true }> {
    await this.npm.removeTag(owner, nameOf(p), tag);
    return { ok: true };
  }
}

function nameOf(p: PkgParams): string {
  if (p.scope !== undefined && !p.scope.startsWith('@')) throw RegistryError.notFound('not found');
  return packageNameFromPath(p.scope ?? p.pkg, p.scope === undefined ? undefined : p.pkg);
}
