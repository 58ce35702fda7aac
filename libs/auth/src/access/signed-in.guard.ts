import {
  applyDecorators,
  CanActivate,
  ExecutionContext,
  Injectable,
  SetMetadata,
  UseGuards,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import { AppConfig, RegistryError, RegistryErrorCode } from '@wharf/packages-core';
import { AuthenticationService } from '../credentials/authentication.service';
import { principalHasScope } from '../principal';
import { TokenScope } from '../tokens/token-scopes';
import { unauthorized, withChallenge } from './auth-challenge';
import { authContext } from './auth-context';

export interface SignInRequirement {
  /** false: anonymous requests pass (unless REGISTRY_REQUIRE_SIGNIN); invalid credentials never do. */
  required?: boolean;
  /** Only site admins. */
  siteAdmin?: boolean;
  /** Only a password sign-in, not a token (Forgejo's rule for managing tokens). */
  password?: boolean;
  /** The scope a token needs. */
  scope?: TokenScope;
}

const SIGN_IN = 'wharf:sign-in';

/** Authenticates the request for account routes (the management API) and applies `requirement`. */
export function SignedIn(requirement: SignInRequirement = {}) {
  return applyDecorators(
    SetMetadata(SIGN_IN, { required: true, ...requirement }),
    UseGuards(SignedInGuard),
  );
}

/**
 * Authenticates if credentials are present; anonymous passes (the handler decides
 * visibility). A token must still carry `scope` when one is given.
 */
export function OptionalSignIn(scope?: TokenScope) {
  return applyDecorators(
    SetMetadata(SIGN_IN, { required: false, scope }),
    UseGuards(SignedInGuard),
  );
}

@Injectable()
export class SignedInGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly config: AppConfig,
    private readonly auth: AuthenticationService,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const need = this.reflector.getAllAndOverride<SignInRequirement | undefined>(SIGN_IN, [
      context.getHandler(),
      context.getClass(),
    ]) ?? { required: true };
    const req = context.switchToHttp().getRequest<Request>();
    const ctx = authContext(req);
    try {
      ctx.principal = await this.auth.authenticate(req);
    } catch (err) {
      throw withChallenge(err, context, this.reflector, this.config);
    }
    const principal = ctx.principal;
    if (!principal) {
      if (need.required || this.config.requireSignin)
        throw unauthorized(context, this.reflector, this.config, 'sign in first');
      return true;
    }
    const forbid = (message: string) => new RegistryError(RegistryErrorCode.Forbidden, message);
    if (need.password && principal.via !== 'password')
      throw forbid('this call needs a password (HTTP Basic), not a token');
    if (need.scope && !principalHasScope(principal, need.scope))
      throw forbid(`this access token lacks the ${need.scope} scope`);
    if (need.siteAdmin && !principal.user.isAdmin)
      throw forbid('only site administrators may do this');
    return true;
  }
}
