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
import { UserService } from '../owners/user.service';
import { principalHasScope } from '../principal';
import { TokenScope } from '../tokens/token-scopes';
import { PackageAccessMode } from './access-policy';
import { PackageAccessService } from './package-access.service';
import { unauthorized, withChallenge } from './auth-challenge';
import { authContext } from './auth-context';

const PACKAGE_ACCESS = 'wharf:package-access';

interface PackageAccessMetadata {
  mode: PackageAccessMode;
  ownerParam: string;
}

/**
 * Guards a route that reads or writes an owner's packages: resolves the owner named in
 * the route parameter (`owner` unless told otherwise) and the principal, and lets the
 * request through only when the access policy allows it. The handler then reads them
 * with `@CurrentOwner()` and `@CurrentPrincipal()`.
 */
export function PackageAccess(mode: PackageAccessMode, options: { ownerParam?: string } = {}) {
  const meta: PackageAccessMetadata = { mode, ownerParam: options.ownerParam ?? 'owner' };
  return applyDecorators(SetMetadata(PACKAGE_ACCESS, meta), UseGuards(PackageAccessGuard));
}

@Injectable()
export class PackageAccessGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly config: AppConfig,
    private readonly auth: AuthenticationService,
    private readonly users: UserService,
    private readonly access: PackageAccessService,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const meta = this.reflector.getAllAndOverride<PackageAccessMetadata | undefined>(
      PACKAGE_ACCESS,
      [context.getHandler(), context.getClass()],
    );
    if (!meta) throw new Error('PackageAccessGuard used without @PackageAccess()');
    const req = context.switchToHttp().getRequest<Request>();
    const ctx = authContext(req);
    try {
      ctx.principal = await this.auth.authenticate(req);
    } catch (err) {
      throw withChallenge(err, context, this.reflector, this.config);
    }
    const ownerName = req.params[meta.ownerParam];
    const owner = ownerName ? await this.users.lookupOwner(ownerName) : null;
    // A missing owner and a hidden one must look alike to anyone who may not see it.
    if (!owner) {
      if (!ctx.principal && this.config.requireSignin)
        throw unauthorized(context, this.reflector, this.config, 'sign in to access packages');
      throw RegistryError.notFound(`owner ${ownerName ?? ''} does not exist`);
    }
    const { decision, role } = await this.access.decide(ctx.principal, owner, meta.mode);
    if (decision.allowed) {
      Object.assign(ctx, { owner, role, level: decision.level });
      return true;
    }
    switch (decision.reason) {
      case 'unauthenticated':
        throw unauthorized(
          context,
          this.reflector,
          this.config,
          meta.mode === 'read'
            ? 'sign in to read these packages'
            : 'sign in to publish or delete packages',
        );
      case 'hidden':
        throw RegistryError.notFound(`owner ${ownerName} does not exist`);
      case 'forbidden':
        throw new RegistryError(
          RegistryErrorCode.Forbidden,
          ctx.principal?.scopes && !principalHasScope(ctx.principal, TokenScope.WritePackage)
            ? `this access token lacks the ${TokenScope.WritePackage} scope`
            : `you may read but not write the packages of ${owner.name}`,
        );
    }
  }
}
