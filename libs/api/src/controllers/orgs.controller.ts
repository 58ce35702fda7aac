import {
  Body,
  Delete,
  Get,
  HttpCode,
  Param,
  Patch,
  Post,
  Put,
  Query,
  Req,
  Res,
} from '@nestjs/common';
import {
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
} from '@nestjs/swagger';
import type { Request, Response } from 'express';
import {
  CurrentPrincipal,
  OptionalSignIn,
  OrganizationService,
  ownerVisibleTo,
  parseVisibility,
  Principal,
  SignedIn,
  TokenScope,
  UserService,
} from '@wharf/auth';
import {
  AppConfig,
  OrgRole,
  RegistryError,
  RegistryErrorCode,
  UserEntity,
} from '@wharf/packages-core';
import { CreateOrgDto, EditOrgDto, SetMemberDto } from '../dto/org.dto';
import { ApiController } from '../http/api-controller.decorator';
import { PageQuery, pageOf, setPagingHeaders } from '../http/paging';
import { ApiMember, ApiOrganization } from '../shapes/api-shapes';
import { presentMember, presentOrganization } from '../shapes/present';

// Changing an organization with a token needs the token's admin scope.
const MANAGE = { scope: TokenScope.WriteOrganization };
const READ = { scope: TokenScope.ReadOrganization };

@ApiController('orgs', 'organization')
export class OrgsController {
  constructor(
    private readonly orgs: OrganizationService,
    private readonly users: UserService,
    private readonly config: AppConfig,
  ) {}

  // Forgejo `POST /orgs` (orgCreate): the creator becomes its first admin.
  @Post()
  @SignedIn(MANAGE)
  @ApiCreatedResponse({ type: ApiOrganization })
  @ApiOperation({ operationId: 'orgCreate' })
  async create(
    @Body() body: CreateOrgDto,
    @CurrentPrincipal() principal: Principal,
  ): Promise<ApiOrganization> {
    const org = await this.orgs.create(principal.user, {
      name: body.username,
      fullName: body.full_name,
      email: body.email,
      visibility: body.visibility ? parseVisibility(body.visibility) : undefined,
    });
    return presentOrganization(org);
  }

  // Forgejo `GET /orgs/{org}` (orgGet): 404 for an organization the caller may not see.
  @Get(':org')
  @OptionalSignIn(TokenScope.ReadOrganization)
  @ApiOkResponse({ type: ApiOrganization })
  @ApiOperation({ operationId: 'orgGet' })
  async get(
    @Param('org') name: string,
    @CurrentPrincipal() principal?: Principal,
  ): Promise<ApiOrganization> {
    return presentOrganization((await this.access(name, principal)).org);
  }

  // Forgejo `PATCH /orgs/{org}` (orgEdit): org admins and site admins.
  @Patch(':org')
  @SignedIn(MANAGE)
  @ApiOkResponse({ type: ApiOrganization })
  @ApiOperation({ operationId: 'orgEdit' })
  async edit(
    @Param('org') name: string,
    @Body() body: EditOrgDto,
    @CurrentPrincipal() principal: Principal,
  ): Promise<ApiOrganization> {
    const org = await this.managed(name, principal);
    const updated = await this.orgs.update(org, {
      fullName: body.full_name,
      email: body.email,
      visibility: body.visibility ? parseVisibility(body.visibility) : undefined,
    });
    return presentOrganization(updated);
  }

  // Forgejo `DELETE /orgs/{org}` (orgDelete).
  @Delete(':org')
  @HttpCode(204)
  @SignedIn(MANAGE)
  @ApiNoContentResponse()
  @ApiOperation({ operationId: 'orgDelete' })
  async remove(
    @Param('org') name: string,
    @CurrentPrincipal() principal: Principal,
  ): Promise<void> {
    await this.orgs.delete(await this.managed(name, principal));
  }

  // Forgejo `GET /orgs/{org}/members` (orgListMembers), with each member's role; members and site admins.
  @Get(':org/members')
  @SignedIn(READ)
  @ApiOkResponse({ type: [ApiMember] })
  @ApiOperation({ operationId: 'orgListMembers' })
  async members(
    @Param('org') name: string,
    @Query() query: PageQuery,
    @CurrentPrincipal() principal: Principal,
    @Req() req: Request,
    @Res({ passthrough: true }) res: Response,
  ): Promise<ApiMember[]> {
    const { org, role } = await this.access(name, principal);
    if (!role && !principal.user.isAdmin)
      throw forbidden(`only members of ${org.name} may list its members`);
    const page = pageOf(query);
    const [members, total] = await this.orgs.listMembers(org, page.offset, page.limit);
    setPagingHeaders(req, res, this.config.baseUrl, page, total);
    return members.map((m) =>
      presentMember(m.user, m.role, this.config.baseUrl, {
        privileged: principal.user.isAdmin || m.user.id === principal.user.id,
      }),
    );
  }

  // Adds a member or changes their role (Forgejo manages this through teams).
  @Put(':org/members/:username')
  @HttpCode(204)
  @SignedIn(MANAGE)
  @ApiNoContentResponse()
  @ApiOperation({ operationId: 'orgSetMember' })
  async setMember(
    @Param('org') name: string,
    @Param('username') username: string,
    @Body() body: SetMemberDto,
    @CurrentPrincipal() principal: Principal,
  ): Promise<void> {
    const org = await this.managed(name, principal);
    await this.orgs.setMember(org, await this.users.requireUser(username), body.role);
  }

  // Forgejo `DELETE /orgs/{org}/members/{username}` (orgDeleteMember): org admins, or a member leaving.
  @Delete(':org/members/:username')
  @HttpCode(204)
  @SignedIn(MANAGE)
  @ApiNoContentResponse()
  @ApiOperation({ operationId: 'orgDeleteMember' })
  async removeMember(
    @Param('org') name: string,
    @Param('username') username: string,
    @CurrentPrincipal() principal: Principal,
  ): Promise<void> {
    const leaving = principal.user.lowerName === username.toLowerCase();
    const org = leaving
      ? (await this.access(name, principal)).org
      : await this.managed(name, principal);
    await this.orgs.removeMember(org, await this.users.requireUser(username));
  }

  /** The organization and the caller's role; 404 when it does not exist or is hidden from the caller. */
  private async access(
    name: string,
    principal?: Principal,
  ): Promise<{ org: UserEntity; role?: OrgRole }> {
    const org = await this.orgs.findOrganization(name);
    const role = org && principal ? await this.orgs.roleOf(org.id, principal.user.id) : undefined;
    const visible =
      org &&
      (principal?.user.isAdmin ||
        role ||
        ownerVisibleTo(org, principal?.user, this.config.requireSignin));
    if (!org || !visible) throw RegistryError.notFound(`organization ${name} does not exist`);
    return { org, role };
  }

  /** The organization when the caller administers it (or the site); 403 when they only see it. */
  private async managed(name: string, principal: Principal): Promise<UserEntity> {
    const { org, role } = await this.access(name, principal);
    if (role !== OrgRole.Admin && !principal.user.isAdmin)
      throw forbidden(`only admins of ${org.name} may change it`);
    return org;
  }
}

function forbidden(message: string): RegistryError {
  return new RegistryError(RegistryErrorCode.Forbidden, message);
}
