import { Body, Delete, Get, HttpCode, Param, Patch, Post, Put } from '@nestjs/common';
import {
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
} from '@nestjs/swagger';
import { SignedIn, TokenScope, UserService } from '@wharf/auth';
import { AppConfig, QuotaAdminService, RegistryError, UserEntity } from '@wharf/packages-core';
import {
  CreateQuotaGroupDto,
  CreateQuotaRuleDto,
  EditQuotaRuleDto,
  SetQuotaGroupsDto,
} from '../dto/quota.dto';
import { ApiController } from '../http/api-controller.decorator';
import { ApiQuotaGroup, ApiQuotaRuleInfo, ApiUser } from '../shapes/api-shapes';
import { presentUser } from '../shapes/present';

const ADMIN = { siteAdmin: true, scope: TokenScope.Admin };

/** docs/protocols/core.md §10: Forgejo's quota administration (rules and groups), site admins only. */
@ApiController('admin/quota', 'admin')
export class AdminQuotaController {
  constructor(
    private readonly quota: QuotaAdminService,
    private readonly users: UserService,
    private readonly config: AppConfig,
  ) {}

  // Forgejo `GET /admin/quota/rules` (adminListQuotaRules).
  @Get('rules')
  @SignedIn(ADMIN)
  @ApiOkResponse({ type: [ApiQuotaRuleInfo] })
  @ApiOperation({ operationId: 'adminListQuotaRules' })
  listRules(): Promise<ApiQuotaRuleInfo[]> {
    return this.quota.listRules();
  }

  // Forgejo `POST /admin/quota/rules` (adminCreateQuotaRule): 409 when the name is taken.
  @Post('rules')
  @SignedIn(ADMIN)
  @ApiCreatedResponse({ type: ApiQuotaRuleInfo })
  @ApiOperation({ operationId: 'adminCreateQuotaRule' })
  createRule(@Body() body: CreateQuotaRuleDto): Promise<ApiQuotaRuleInfo> {
    return this.quota.createRule({ name: body.name, limit: body.limit, subjects: body.subjects });
  }

  // Forgejo `GET /admin/quota/rules/{quotarule}` (adminGetQuotaRule).
  @Get('rules/:rule')
  @SignedIn(ADMIN)
  @ApiOkResponse({ type: ApiQuotaRuleInfo })
  @ApiOperation({ operationId: 'adminGetQuotaRule' })
  getRule(@Param('rule') rule: string): Promise<ApiQuotaRuleInfo> {
    return this.quota.getRule(rule);
  }

  // Forgejo `PATCH /admin/quota/rules/{quotarule}` (adminEditQuotaRule).
  @Patch('rules/:rule')
  @SignedIn(ADMIN)
  @ApiOkResponse({ type: ApiQuotaRuleInfo })
  @ApiOperation({ operationId: 'adminEditQuotaRule' })
  editRule(@Param('rule') rule: string, @Body() body: EditQuotaRuleDto): Promise<ApiQuotaRuleInfo> {
    return this.quota.editRule(rule, { limit: body.limit, subjects: body.subjects });
  }

  // Forgejo `DELETE /admin/quota/rules/{quotarule}` (adminDeleteQuotaRule): also leaves every group.
  @Delete('rules/:rule')
  @HttpCode(204)
  @SignedIn(ADMIN)
  @ApiNoContentResponse()
  @ApiOperation({ operationId: 'adminDeleteQuotaRule' })
  deleteRule(@Param('rule') rule: string): Promise<void> {
    return this.quota.deleteRule(rule);
  }

  // Forgejo `GET /admin/quota/groups` (adminListQuotaGroups).
  @Get('groups')
  @SignedIn(ADMIN)
  @ApiOkResponse({ type: [ApiQuotaGroup] })
  @ApiOperation({ operationId: 'adminListQuotaGroups' })
  listGroups(): Promise<ApiQuotaGroup[]> {
    return this.quota.listGroups();
  }

  // Forgejo `POST /admin/quota/groups` (adminCreateQuotaGroup): rules given are created if missing.
  @Post('groups')
  @SignedIn(ADMIN)
  @ApiCreatedResponse({ type: ApiQuotaGroup })
  @ApiOperation({ operationId: 'adminCreateQuotaGroup' })
  createGroup(@Body() body: CreateQuotaGroupDto): Promise<ApiQuotaGroup> {
    return this.quota.createGroup(
      body.name,
      (body.rules ?? []).map((r) => ({ name: r.name, limit: r.limit, subjects: r.subjects })),
    );
  }

  // Forgejo `GET /admin/quota/groups/{quotagroup}` (adminGetQuotaGroup).
  @Get('groups/:group')
  @SignedIn(ADMIN)
  @ApiOkResponse({ type: ApiQuotaGroup })
  @ApiOperation({ operationId: 'adminGetQuotaGroup' })
  getGroup(@Param('group') group: string): Promise<ApiQuotaGroup> {
    return this.quota.getGroup(group);
  }

  // Forgejo `DELETE /admin/quota/groups/{quotagroup}` (adminDeleteQuotaGroup).
  @Delete('groups/:group')
  @HttpCode(204)
  @SignedIn(ADMIN)
  @ApiNoContentResponse()
  @ApiOperation({ operationId: 'adminDeleteQuotaGroup' })
  deleteGroup(@Param('group') group: string): Promise<void> {
    return this.quota.deleteGroup(group);
  }

  // Forgejo `PUT /admin/quota/groups/{quotagroup}/rules/{quotarule}` (adminAddRuleToQuotaGroup).
  @Put('groups/:group/rules/:rule')
  @HttpCode(204)
  @SignedIn(ADMIN)
  @ApiNoContentResponse()
  @ApiOperation({ operationId: 'adminAddRuleToQuotaGroup' })
  addRule(@Param('group') group: string, @Param('rule') rule: string): Promise<void> {
    return this.quota.addRuleToGroup(group, rule);
  }

  // Forgejo `DELETE /admin/quota/groups/{quotagroup}/rules/{quotarule}` (adminRemoveRuleFromQuotaGroup).
  @Delete('groups/:group/rules/:rule')
  @HttpCode(204)
  @SignedIn(ADMIN)
  @ApiNoContentResponse()
  @ApiOperation({ operationId: 'adminRemoveRuleFromQuotaGroup' })
  removeRule(@Param('group') group: string, @Param('rule') rule: string): Promise<void> {
    return this.quota.removeRuleFromGroup(group, rule);
  }

  // Forgejo `GET /admin/quota/groups/{quotagroup}/users` (adminListUsersInQuotaGroup): users and organizations.
  @Get('groups/:group/users')
  @SignedIn(ADMIN)
  @ApiOkResponse({ type: [ApiUser] })
  @ApiOperation({ operationId: 'adminListUsersInQuotaGroup' })
  async listUsers(@Param('group') group: string): Promise<ApiUser[]> {
    const ids = await this.quota.listGroupOwners(group);
    const owners = await this.users.findByIds(ids);
    return ids
      .map((id) => owners.get(id))
      .filter((u): u is UserEntity => !!u)
      .map((u) => presentUser(u, this.config.baseUrl, { privileged: true }));
  }

  // Forgejo `PUT /admin/quota/groups/{quotagroup}/users/{username}` (adminAddUserToQuotaGroup); an organization works too.
  @Put('groups/:group/users/:username')
  @HttpCode(204)
  @SignedIn(ADMIN)
  @ApiNoContentResponse()
  @ApiOperation({ operationId: 'adminAddUserToQuotaGroup' })
  async addUser(@Param('group') group: string, @Param('username') username: string): Promise<void> {
    const owner = await this.owner(username);
    await this.quota.addOwnerToGroup(group, owner.id, owner.name);
  }

  // Forgejo `DELETE /admin/quota/groups/{quotagroup}/users/{username}` (adminRemoveUserFromQuotaGroup).
  @Delete('groups/:group/users/:username')
  @HttpCode(204)
  @SignedIn(ADMIN)
  @ApiNoContentResponse()
  @ApiOperation({ operationId: 'adminRemoveUserFromQuotaGroup' })
  async removeUser(
    @Param('group') group: string,
    @Param('username') username: string,
  ): Promise<void> {
    const owner = await this.owner(username);
    await this.quota.removeOwnerFromGroup(group, owner.id, owner.name);
  }

  private async owner(name: string): Promise<UserEntity> {
    const owner = await this.users.findOwner(name);
    if (!owner) throw RegistryError.notFound(`user ${name} does not exist`);
    return owner;
  }
}

/** Forgejo's `POST /admin/users/{username}/quota/groups`: sets an owner's groups in one call. */
@ApiController('admin/users/:username/quota', 'admin')
export class AdminUserQuotaController {
  constructor(
    private readonly quota: QuotaAdminService,
    private readonly users: UserService,
  ) {}

  // Forgejo `POST /admin/users/{username}/quota/groups` (adminSetUserQuotaGroups).
  @Post('groups')
  @HttpCode(204)
  @SignedIn(ADMIN)
  @ApiNoContentResponse()
  @ApiOperation({ operationId: 'adminSetUserQuotaGroups' })
  async setGroups(
    @Param('username') username: string,
    @Body() body: SetQuotaGroupsDto,
  ): Promise<void> {
    const owner = await this.users.findOwner(username);
    if (!owner) throw RegistryError.notFound(`user ${username} does not exist`);
    await this.quota.setOwnerGroups(owner.id, body.groups);
  }
}
