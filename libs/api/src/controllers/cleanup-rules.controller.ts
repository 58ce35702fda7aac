import { Body, Delete, Get, HttpCode, Param, ParseIntPipe, Patch, Post, Req } from '@nestjs/common';
import {
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
} from '@nestjs/swagger';
import type { Request } from 'express';
import { AccessLevel, authContext, CurrentOwner, PackageAccess } from '@wharf/auth';
import {
  CleanupRuleService,
  PackageType,
  RegistryError,
  RegistryErrorCode,
  UserEntity,
} from '@wharf/packages-core';
import { CreateCleanupRuleDto, EditCleanupRuleDto } from '../dto/cleanup-rule.dto';
import { ApiController } from '../http/api-controller.decorator';
import { ApiCleanupRule, ApiCleanupTarget } from '../shapes/api-shapes';
import { presentCleanupRule, presentCleanupTarget } from '../shapes/present';

/**
 * docs/protocols/core.md §9–10: an owner's package cleanup rules (Forgejo keeps them in
 * its package settings pages; here they have an API). The owner itself, organization
 * admins and site admins manage them, as Forgejo's settings.
 */
@ApiController('packages/:owner/-/cleanup-rules', 'package')
export class CleanupRulesController {
  constructor(private readonly rules: CleanupRuleService) {}

  @Get()
  @PackageAccess('write')
  @ApiOkResponse({ type: [ApiCleanupRule] })
  @ApiOperation({ operationId: 'listCleanupRules' })
  async list(@CurrentOwner() owner: UserEntity, @Req() req: Request): Promise<ApiCleanupRule[]> {
    assertAdmin(req, owner);
    return (await this.rules.list(owner.id)).map(presentCleanupRule);
  }

  // One rule per owner and type (409 for a second one), as in Forgejo.
  @Post()
  @PackageAccess('write')
  @ApiCreatedResponse({ type: ApiCleanupRule })
  @ApiOperation({ operationId: 'createCleanupRule' })
  async create(
    @CurrentOwner() owner: UserEntity,
    @Req() req: Request,
    @Body() body: CreateCleanupRuleDto,
  ): Promise<ApiCleanupRule> {
    assertAdmin(req, owner);
    const rule = await this.rules.create(owner.id, {
      type: body.type as PackageType,
      enabled: body.enabled ?? false,
      keepCount: body.keep_count ?? 0,
      keepPattern: body.keep_pattern ?? '',
      removeDays: body.remove_days ?? 0,
      removePattern: body.remove_pattern ?? '',
      matchFullName: body.match_full_name ?? false,
    });
    return presentCleanupRule(rule);
  }

  @Get(':id')
  @PackageAccess('write')
  @ApiOkResponse({ type: ApiCleanupRule })
  @ApiOperation({ operationId: 'getCleanupRule' })
  async get(
    @CurrentOwner() owner: UserEntity,
    @Req() req: Request,
    @Param('id', ParseIntPipe) id: number,
  ): Promise<ApiCleanupRule> {
    assertAdmin(req, owner);
    return presentCleanupRule(await this.rules.get(owner.id, id));
  }

  @Patch(':id')
  @PackageAccess('write')
  @ApiOkResponse({ type: ApiCleanupRule })
  @ApiOperation({ operationId: 'editCleanupRule' })
  async edit(
    @CurrentOwner() owner: UserEntity,
    @Req() req: Request,
    @Param('id', ParseIntPipe) id: number,
    @Body() body: EditCleanupRuleDto,
  ): Promise<ApiCleanupRule> {
    assertAdmin(req, owner);
    const rule = await this.rules.update(owner.id, id, {
      enabled: body.enabled,
      keepCount: body.keep_count,
      keepPattern: body.keep_pattern,
      removeDays: body.remove_days,
      removePattern: body.remove_pattern,
      matchFullName: body.match_full_name,
    });
    return presentCleanupRule(rule);
  }

  @Delete(':id')
  @HttpCode(204)
  @PackageAccess('write')
  @ApiNoContentResponse()
  @ApiOperation({ operationId: 'deleteCleanupRule' })
  async remove(
    @CurrentOwner() owner: UserEntity,
    @Req() req: Request,
    @Param('id', ParseIntPipe) id: number,
  ): Promise<void> {
    assertAdmin(req, owner);
    await this.rules.delete(owner.id, id);
  }

  // What a run would remove right now, without removing it (enabled or not).
  @Get(':id/preview')
  @PackageAccess('write')
  @ApiOkResponse({ type: [ApiCleanupTarget] })
  @ApiOperation({ operationId: 'previewCleanupRule' })
  async preview(
    @CurrentOwner() owner: UserEntity,
    @Req() req: Request,
    @Param('id', ParseIntPipe) id: number,
  ): Promise<ApiCleanupTarget[]> {
    assertAdmin(req, owner);
    const rule = await this.rules.get(owner.id, id);
    return (await this.rules.targets(rule)).map(presentCleanupTarget);
  }
}

/** Writers may publish and delete, but the owner's settings are for its admins. */
function assertAdmin(req: Request, owner: UserEntity): void {
  if ((authContext(req).level ?? AccessLevel.None) < AccessLevel.Admin)
    throw new RegistryError(
      RegistryErrorCode.Forbidden,
      `only ${owner.name} and its admins may manage its cleanup rules`,
    );
}
