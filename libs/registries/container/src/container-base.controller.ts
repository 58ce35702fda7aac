import { All, Controller, Get, Post, Query, Req, Res, UseFilters } from '@nestjs/common';
import type { Request, Response } from 'express';
import { AuthenticationService, CurrentPrincipal, Principal, UserService } from '@wharf/auth';
import { AppConfig, RegistryError, RegistryErrorCode } from '@wharf/packages-core';
import { ContainerAccess } from './container-access.guard';
import { ContainerCatalogService } from './container-catalog.service';
import { CONTAINER_JWT, ContainerTokenService, policySubject } from './container-token.service';
import { catalog, pageOf } from './container.documents';
import { OciError, OciErrorCode, OciErrorFilter } from './container.errors';
import { parsePageSize, sendEmpty, sendJson, str } from './container-http';

/** The registry's root routes: the version check, the token service, the catalog. */
@Controller()
@UseFilters(OciErrorFilter)
export class ContainerBaseController {
  constructor(
    private readonly config: AppConfig,
    private readonly auth: AuthenticationService,
    private readonly users: UserService,
    private readonly tokens: ContainerTokenService,
    private readonly catalogs: ContainerCatalogService,
  ) {}

  // OCI end-1: 200 to any identity (the anonymous token included); the challenge otherwise.
  @Get('v2')
  @ContainerAccess('identity')
  base(@Res() res: Response): void {
    sendEmpty(res, 200);
  }

  // Docker token-auth spec: Basic (password or access token), a registry token, or nothing (anonymous pull).
  @Get('v2/token')
  async token(@Req() req: Request, @Res() res: Response): Promise<void> {
    const principal = await this.auth.authenticate(req);
    let subject = policySubject(principal);
    if (principal?.via === CONTAINER_JWT) {
      // Renewing from a token: the account is read again, so a change of rights shows now.
      const user = await this.users.findById(principal.user.id);
      if (!user || !user.isActive)
        throw new RegistryError(RegistryErrorCode.Unauthorized, 'the account is gone');
      subject = { ...principal, user };
    }
    if (!subject && this.config.requireSignin)
      throw new RegistryError(RegistryErrorCode.Unauthorized, 'sign in first');
    res.setHeader('Cache-Control', 'no-store');
    sendJson(res, 200, await this.tokens.issue(subject));
  }

  // containerd tries the OAuth2 form grant first and falls back to GET on a 404 (docs/protocols/container.md §8).
  @Post('v2/token')
  tokenOauth(): never {
    throw new OciError(
      OciErrorCode.Unsupported,
      'the OAuth2 token grant is not supported; use GET',
      { status: 404 },
    );
  }

  // OCI extension / distribution `_catalog`: only images whose owner the caller may see.
  @Get('v2/_catalog')
  @ContainerAccess('identity')
  async catalog(
    @Query() q: Record<string, unknown>,
    @CurrentPrincipal() principal: Principal,
    @Res() res: Response,
  ): Promise<void> {
    const n = parsePageSize(q.n, 1000) ?? 100;
    const last = str(q.last);
    const { names, more } =
      n === 0 ? { names: [], more: false } : await this.catalogs.list(principal, n, last);
    const page = pageOf(names, '/v2/_catalog', n, undefined);
    if (more && names.length)
      res.setHeader(
        'Link',
        `</v2/_catalog?last=${encodeURIComponent(names[names.length - 1])}&n=${n}>; rel="next"`,
      );
    sendJson(res, 200, catalog(page.items));
  }
}

/** Registered after every other /v2 controller: its wildcard must match last. */
@Controller()
@UseFilters(OciErrorFilter)
export class ContainerNotFoundController {
  // Anything else under /v2: the challenge first (as every /v2 route), then 404.
  @All(['v2/*'])
  @ContainerAccess('identity')
  notFound(): never {
    throw new OciError(OciErrorCode.NameUnknown, 'no such registry route');
  }
}
