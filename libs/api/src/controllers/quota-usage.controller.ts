import { Get, Header, Param, Query, Req, Res, UnprocessableEntityException } from '@nestjs/common';
import { ApiOkResponse, ApiOperation } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import {
  CurrentPrincipal,
  OrganizationService,
  ownerVisibleTo,
  Principal,
  SignedIn,
} from '@wharf/auth';
import {
  AppConfig,
  evaluateQuota,
  isQuotaSubject,
  OrgRole,
  QuotaAdminService,
  QuotaService,
  RegistryError,
  RegistryErrorCode,
  UserEntity,
} from '@wharf/packages-core';
import { QuotaCheckQuery } from '../dto/quota.dto';
import { ApiController } from '../http/api-controller.decorator';
import { PageQuery, pageOf, setPagingHeaders } from '../http/paging';
import { ApiQuotaInfo, ApiQuotaUsedPackage } from '../shapes/api-shapes';
import { presentQuotaInfo, presentQuotaUsedPackage } from '../shapes/present';

/** The three reads Forgejo offers for the signed-in user and for an organization. */
class QuotaUsage {
  constructor(
    private readonly quota: QuotaService,
    private readonly admin: QuotaAdminService,
    private readonly config: AppConfig,
  ) {}

  async info(owner: UserEntity): Promise<ApiQuotaInfo> {
    const usage = await this.quota.usage(owner.id);
    return presentQuotaInfo(usage.bytes, await this.quota.groupsOf(owner.id));
  }

  async packages(
    owner: UserEntity,
    query: PageQuery,
    req: Request,
    res: Response,
  ): Promise<ApiQuotaUsedPackage[]> {
    const page = pageOf(query);
    const { items, total } = await this.admin.usedVersions(owner.id, page.offset, page.limit);
    setPagingHeaders(req, res, this.config.baseUrl, page, total);
    return items.map((i) => presentQuotaUsedPackage(owner.name, i, this.config.baseUrl));
  }

  /**
   * Forgejo's check: is the owner within its quota for the subject now (usage ≤ limit)?
   * A bare JSON `true`/`false` (Nest would send a boolean as text).
   */
  async check(owner: UserEntity, subject: string): Promise<string> {
    if (!isQuotaSubject(subject))
      throw new UnprocessableEntityException(`unrecognized quota subject: ${subject}`);
    const usage = await this.quota.usage(owner.id);
    const groups = await this.quota.groupsOf(owner.id);
    return JSON.stringify(evaluateQuota(groups, subject, usage.bytes).allowed);
  }
}

/** docs/protocols/core.md §10: the signed-in user's quota (Forgejo `/user/quota…`). */
@ApiController('user/quota', 'user')
export class UserQuotaController {
  private readonly usage: QuotaUsage;

  constructor(quota: QuotaService, admin: QuotaAdminService, config: AppConfig) {
    this.usage = new QuotaUsage(quota, admin, config);
  }

  // Forgejo `GET /user/quota` (userGetQuota).
  @Get()
  @SignedIn()
  @ApiOkResponse({ type: ApiQuotaInfo })
  @ApiOperation({ operationId: 'userGetQuota' })
  info(@CurrentPrincipal() principal: Principal): Promise<ApiQuotaInfo> {
    return this.usage.info(principal.user);
  }

  // Forgejo `GET /user/quota/packages` (userListQuotaPackages): versions by size, largest first.
  @Get('packages')
  @SignedIn()
  @ApiOkResponse({ type: [ApiQuotaUsedPackage] })
  @ApiOperation({ operationId: 'userListQuotaPackages' })
  packages(
    @CurrentPrincipal() principal: Principal,
    @Query() query: PageQuery,
    @Req() req: Request,
    @Res({ passthrough: true }) res: Response,
  ): Promise<ApiQuotaUsedPackage[]> {
    return this.usage.packages(principal.user, query, req, res);
  }

  // Forgejo `GET /user/quota/check?subject=` (userCheckQuota): a bare JSON boolean.
  @Get('check')
  @SignedIn()
  @ApiOkResponse({ type: Boolean })
  @ApiOperation({ operationId: 'userCheckQuota' })
  @Header('Content-Type', 'application/json')
  check(@CurrentPrincipal() principal: Principal, @Query() q: QuotaCheckQuery): Promise<string> {
    return this.usage.check(principal.user, q.subject);
  }
}

/** docs/protocols/core.md §10: an organization's quota, for its admins and site admins (Forgejo `/orgs/{org}/quota…`). */
@ApiController('orgs/:org/quota', 'organization')
export class OrgQuotaController {
  private readonly usage: QuotaUsage;

  constructor(
    quota: QuotaService,
    admin: QuotaAdminService,
    private readonly config: AppConfig,
    private readonly orgs: OrganizationService,
  ) {
    this.usage = new QuotaUsage(quota, admin, config);
  }

  // Forgejo `GET /orgs/{org}/quota` (orgGetQuota).
  @Get()
  @SignedIn()
  @ApiOkResponse({ type: ApiQuotaInfo })
  @ApiOperation({ operationId: 'orgGetQuota' })
  async info(
    @Param('org') org: string,
    @CurrentPrincipal() principal: Principal,
  ): Promise<ApiQuotaInfo> {
    return this.usage.info(await this.managed(org, principal));
  }

  // Forgejo `GET /orgs/{org}/quota/packages` (orgListQuotaPackages).
  @Get('packages')
  @SignedIn()
  @ApiOkResponse({ type: [ApiQuotaUsedPackage] })
  @ApiOperation({ operationId: 'orgListQuotaPackages' })
  async packages(
    @Param('org') org: string,
    @CurrentPrincipal() principal: Principal,
    @Query() query: PageQuery,
    @Req() req: Request,
    @Res({ passthrough: true }) res: Response,
  ): Promise<ApiQuotaUsedPackage[]> {
    return this.usage.packages(await this.managed(org, principal), query, req, res);
  }

  // Forgejo `GET /orgs/{org}/quota/check?subject=` (orgCheckQuota).
  @Get('check')
  @SignedIn()
  @ApiOkResponse({ type: Boolean })
  @ApiOperation({ operationId: 'orgCheckQuota' })
  @Header('Content-Type', 'application/json')
  async check(
    @Param('org') org: string,
    @CurrentPrincipal() principal: Principal,
    @Query() q: QuotaCheckQuery,
  ): Promise<string> {
    return this.usage.check(await this.managed(org, principal), q.subject);
  }

  /** 404 for an organization the caller cannot see; 403 for one it sees but does not administer. */
  private async managed(name: string, principal: Principal): Promise<UserEntity> {
    const org = await this.orgs.findOrganization(name);
    const role = org ? await this.orgs.roleOf(org.id, principal.user.id) : undefined;
    const visible =
      org &&
      (principal.user.isAdmin ||
        role ||
        ownerVisibleTo(org, principal.user, this.config.requireSignin));
    if (!org || !visible) throw RegistryError.notFound(`organization ${name} does not exist`);
    if (role !== OrgRole.Admin && !principal.user.isAdmin)
      throw new RegistryError(
        RegistryErrorCode.Forbidden,
        `only admins of ${org.name} may see its quota`,
      );
    return org;
  }
}
