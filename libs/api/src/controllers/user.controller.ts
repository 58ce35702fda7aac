import { Get } from '@nestjs/common';
import { ApiOkResponse, ApiOperation } from '@nestjs/swagger';
import { CurrentPrincipal, Principal, SignedIn, TokenScope } from '@wharf/auth';
import { AppConfig } from '@wharf/packages-core';
import { ApiController } from '../http/api-controller.decorator';
import { ApiUser } from '../shapes/api-shapes';
import { presentUser } from '../shapes/present';

@ApiController('user', 'user')
export class UserController {
  constructor(private readonly config: AppConfig) {}

  // Forgejo `GET /user` (userGetCurrent): a password, or a token with read:user (or write:user).
  @Get()
  @SignedIn({ scope: TokenScope.ReadUser })
  @ApiOkResponse({ type: ApiUser })
  @ApiOperation({ operationId: 'userGetCurrent' })
  whoAmI(@CurrentPrincipal() principal: Principal): ApiUser {
    return presentUser(principal.user, this.config.baseUrl, { privileged: true });
  }
}
