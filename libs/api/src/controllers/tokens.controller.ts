import {
  Body,
  Delete,
  Get,
  HttpCode,
  Param,
  Post,
  Query,
  Req,
  Res,
  UnprocessableEntityException,
} from '@nestjs/common';
import {
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
} from '@nestjs/swagger';
import type { Request, Response } from 'express';
import {
  AccessTokenService,
  CurrentPrincipal,
  parseScopes,
  Principal,
  SignedIn,
  UserService,
} from '@wharf/auth';
import { AppConfig, RegistryError, RegistryErrorCode, UserEntity } from '@wharf/packages-core';
import { CreateTokenDto } from '../dto/token.dto';
import { ApiController } from '../http/api-controller.decorator';
import { PageQuery, pageOf, setPagingHeaders } from '../http/paging';
import { ApiAccessToken } from '../shapes/api-shapes';
import { presentToken } from '../shapes/present';

/**
 * Forgejo's token routes: they need a password sign-in (a token cannot mint tokens) by
 * the user themselves or a site admin.
 */
@ApiController('users/:username/tokens', 'user')
export class TokensController {
  constructor(
    private readonly users: UserService,
    private readonly tokens: AccessTokenService,
    private readonly config: AppConfig,
  ) {}

  // Forgejo `POST /users/{username}/tokens` (userCreateToken): the secret is in `sha1`, shown once.
  @Post()
  @SignedIn({ password: true })
  @ApiCreatedResponse({ type: ApiAccessToken })
  @ApiOperation({ operationId: 'userCreateToken' })
  async create(
    @Param('username') username: string,
    @Body() body: CreateTokenDto,
    @CurrentPrincipal() principal: Principal,
  ): Promise<ApiAccessToken> {
    const user = await this.selfOrAdmin(username, principal);
    const scopes = parseScopes(body.scopes);
    if ('unknown' in scopes)
      throw new UnprocessableEntityException(`scopes: unknown scope ${scopes.unknown}`);
    let expiresUnix: number | null = null;
    if (body.expires_at !== undefined) {
      expiresUnix = Math.floor(Date.parse(body.expires_at) / 1000);
      if (!(expiresUnix > Date.now() / 1000))
        throw new UnprocessableEntityException('expires_at must be in the future');
    }
    const { entity, token } = await this.tokens.create(user.id, {
      name: body.name,
      scopes: scopes.scopes,
      expiresUnix,
    });
    return presentToken(entity, token);
  }

  // Forgejo `GET /users/{username}/tokens` (userGetTokens): never the secret.
  @Get()
  @SignedIn({ password: true })
  @ApiOkResponse({ type: [ApiAccessToken] })
  @ApiOperation({ operationId: 'userGetTokens' })
  async list(
    @Param('username') username: string,
    @Query() query: PageQuery,
    @CurrentPrincipal() principal: Principal,
    @Req() req: Request,
    @Res({ passthrough: true }) res: Response,
  ): Promise<ApiAccessToken[]> {
    const user = await this.selfOrAdmin(username, principal);
    const page = pageOf(query);
    const [rows, total] = await this.tokens.list(user.id, page.offset, page.limit);
    setPagingHeaders(req, res, this.config.baseUrl, page, total);
    return rows.map((t) => presentToken(t));
  }

  // Forgejo `DELETE /users/{username}/tokens/{token}` (userDeleteAccessToken): by id or name.
  @Delete(':token')
  @HttpCode(204)
  @SignedIn({ password: true })
  @ApiNoContentResponse()
  @ApiOperation({ operationId: 'userDeleteAccessToken' })
  async remove(
    @Param('username') username: string,
    @Param('token') ref: string,
    @CurrentPrincipal() principal: Principal,
  ): Promise<void> {
    const user = await this.selfOrAdmin(username, principal);
    await this.tokens.delete(user.id, ref);
  }

  private async selfOrAdmin(username: string, principal: Principal): Promise<UserEntity> {
    if (!principal.user.isAdmin && principal.user.lowerName !== username.toLowerCase()) {
      throw new RegistryError(RegistryErrorCode.Forbidden, 'you may only manage your own tokens');
    }
    return this.users.requireUser(username);
  }
}
