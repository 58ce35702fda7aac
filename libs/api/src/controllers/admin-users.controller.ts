import { Body, Delete, Get, HttpCode, Param, Patch, Post, Query, Req, Res } from '@nestjs/common';
import {
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
} from '@nestjs/swagger';
import type { Request, Response } from 'express';
import {
  CurrentPrincipal,
  parseVisibility,
  Principal,
  SignedIn,
  TokenScope,
  UserService,
} from '@wharf/auth';
import { AppConfig, RegistryError } from '@wharf/packages-core';
import { CreateUserDto, EditUserDto } from '../dto/user.dto';
import { ApiController } from '../http/api-controller.decorator';
import { PageQuery, pageOf, setPagingHeaders } from '../http/paging';
import { ApiUser } from '../shapes/api-shapes';
import { presentUser } from '../shapes/present';

const ADMIN = { siteAdmin: true, scope: TokenScope.WriteAdmin };
const ADMIN_READ = { siteAdmin: true, scope: TokenScope.ReadAdmin };

@ApiController('admin/users', 'admin')
export class AdminUsersController {
  constructor(
    private readonly users: UserService,
    private readonly config: AppConfig,
  ) {}

  // Forgejo `POST /admin/users` (adminCreateUser).
  @Post()
  @SignedIn(ADMIN)
  @ApiCreatedResponse({ type: ApiUser })
  @ApiOperation({ operationId: 'adminCreateUser' })
  async create(@Body() body: CreateUserDto): Promise<ApiUser> {
    const user = await this.users.create({
      username: body.username,
      email: body.email,
      password: body.password,
      fullName: body.full_name,
      mustChangePassword: body.must_change_password ?? false,
      visibility: body.visibility ? parseVisibility(body.visibility) : undefined,
    });
    return presentUser(user, this.config.baseUrl, { privileged: true });
  }

  // Forgejo `GET /admin/users` (adminSearchUsers), paged.
  @Get()
  @SignedIn(ADMIN_READ)
  @ApiOkResponse({ type: [ApiUser] })
  @ApiOperation({ operationId: 'adminSearchUsers' })
  async list(
    @Query() query: PageQuery,
    @Req() req: Request,
    @Res({ passthrough: true }) res: Response,
  ): Promise<ApiUser[]> {
    const page = pageOf(query);
    const [users, total] = await this.users.list(page.offset, page.limit);
    setPagingHeaders(req, res, this.config.baseUrl, page, total);
    return users.map((u) => presentUser(u, this.config.baseUrl, { privileged: true }));
  }

  // Forgejo `DELETE /admin/users/{username}` (adminDeleteUser).
  @Delete(':username')
  @HttpCode(204)
  @SignedIn(ADMIN)
  @ApiNoContentResponse()
  @ApiOperation({ operationId: 'adminDeleteUser' })
  async remove(
    @Param('username') username: string,
    @CurrentPrincipal() principal: Principal,
  ): Promise<void> {
    const user = await this.users.requireUser(username);
    if (user.id === principal.user.id) throw RegistryError.invalid('you cannot delete yourself');
    await this.users.delete(user);
  }

  // Forgejo `PATCH /admin/users/{username}` (adminEditUser).
  @Patch(':username')
  @SignedIn(ADMIN)
  @ApiOkResponse({ type: ApiUser })
  @ApiOperation({ operationId: 'adminEditUser' })
  async edit(@Param('username') username: string, @Body() body: EditUserDto): Promise<ApiUser> {
    const user = await this.users.requireUser(username);
    const updated = await this.users.update(user, {
      email: body.email,
      fullName: body.full_name,
      password: body.password,
      mustChangePassword: body.must_change_password,
      isActive: body.active,
      isAdmin: body.admin,
      visibility: body.visibility ? parseVisibility(body.visibility) : undefined,
    });
    return presentUser(updated, this.config.baseUrl, { privileged: true });
  }
}
