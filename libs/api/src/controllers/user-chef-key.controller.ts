import { Body, Delete, HttpCode, Post, Put } from '@nestjs/common';
import { ApiCreatedResponse, ApiNoContentResponse, ApiOperation } from '@nestjs/swagger';
import { ChefKeyService, CurrentPrincipal, Principal, SignedIn } from '@wharf/auth';
import { RegistryError } from '@wharf/packages-core';
import { ChefPublicKeyDto } from '../dto/chef-key.dto';
import { ApiController } from '../http/api-controller.decorator';
import { ApiChefPrivateKey } from '../shapes/api-shapes';

/**
 * The caller's key for Chef's signed requests (Forgejo keeps it in the user settings
 * page). A key signs in with the account's full package rights, so like tokens it is
 * managed with a password sign-in only: a token cannot widen itself into a key.
 */
@ApiController('user/chef/key', 'user')
export class UserChefKeyController {
  constructor(private readonly keys: ChefKeyService) {}

  // Registers the caller's own RSA public key (knife keeps the private one), replacing any other.
  @Put()
  @HttpCode(204)
  @SignedIn({ password: true })
  @ApiNoContentResponse()
  @ApiOperation({ operationId: 'userSetChefKey' })
  async register(
    @Body() body: ChefPublicKeyDto,
    @CurrentPrincipal() principal: Principal,
  ): Promise<void> {
    await this.keys.register(principal.user.id, body.public_key);
  }

  // Generates a pair, keeps the public half and answers the private key, once (Forgejo's "regenerate").
  @Post()
  @SignedIn({ password: true })
  @ApiCreatedResponse({ type: ApiChefPrivateKey })
  @ApiOperation({ operationId: 'userGenerateChefKey' })
  async generate(@CurrentPrincipal() principal: Principal): Promise<ApiChefPrivateKey> {
    return { private_key: await this.keys.generate(principal.user.id) };
  }

  // Forgets the key: the caller's signed requests are refused from then on.
  @Delete()
  @HttpCode(204)
  @SignedIn({ password: true })
  @ApiNoContentResponse()
  @ApiOperation({ operationId: 'userDeleteChefKey' })
  async remove(@CurrentPrincipal() principal: Principal): Promise<void> {
    if (!(await this.keys.remove(principal.user.id)))
      throw RegistryError.notFound('no Chef key is registered');
  }
}
