import {
  applyDecorators,
  CanActivate,
  createParamDecorator,
  ExecutionContext,
  Injectable,
  SetMetadata,
  UseGuards,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import { authContext, AuthenticationService, PackageAccessService, UserService } from '@wharf/auth';
import { RegistryError, RegistryErrorCode } from '@wharf/packages-core';
import { OciError, OciErrorCode } from './container.errors';
import { ImageName, parseImageName } from './container.metadata';
import { policySubject } from './container-token.service';

/** `identity`: any credential, the anonymous token included (GET /v2, the catalog); `read`/`write`: the image's owner. */
export type ContainerAccessMode = 'identity' | 'read' | 'write';

const ACCESS = 'wharf:container-access';
const IMAGE = Symbol('wharf.container.image');

/**
 * Guards a /v2 route. Unlike `@PackageAccess`, a request without credentials is always
 * refused with the Bearer challenge — even for a public image — because registry clients
 * pull anonymously through the token endpoint, and the anonymous token then reads like
 * no credentials to the access policy (public images only; a write asks to sign in).
 */
export function ContainerAccess(mode: ContainerAccessMode) {
  return applyDecorators(SetMetadata(ACCESS, mode), UseGuards(ContainerAccessGuard));
}

/** The image named by the route (`:owner` and the `*` wildcard), set by the guard. */
export const Image = createParamDecorator((_: unknown, ctx: ExecutionContext): ImageName => {
  const image = (ctx.switchToHttp().getRequest<Request>() as Request & { [IMAGE]?: ImageName })[
    IMAGE
  ];
  if (!image) throw new Error('@Image() used on a route without @ContainerAccess(read|write)');
  return image;
});

@Injectable()
export class ContainerAccessGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly auth: AuthenticationService,
    private readonly users: UserService,
    private readonly access: PackageAccessService,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const mode = this.reflector.getAllAndOverride<ContainerAccessMode>(ACCESS, [
      context.getHandler(),
      context.getClass(),
    ]);
    const req = context.switchToHttp().getRequest<Request & { [IMAGE]?: ImageName }>();
    const ctx = authContext(req);
    ctx.principal = await this.auth.authenticate(req);
    if (!ctx.principal) throw challenge();
    if (mode === 'identity') return true;
    const name = parseImageName(req.params.owner, req.params[0]);
    // A pull decides on the owner row as read a few seconds ago (OwnerCache), as the other
    // formats' guards do; a push reads it fresh, since a write follows.
    const owner =
      mode === 'read'
        ? await this.users.lookupOwner(name.owner)
        : await this.users.findOwner(name.owner);
    if (!owner)
      throw new OciError(OciErrorCode.NameUnknown, `repository ${name.full} is not known`);
    const { decision, role } = await this.access.decide(policySubject(ctx.principal), owner, mode);
    if (decision.allowed) {
      Object.assign(ctx, { owner, role, level: decision.level });
      req[IMAGE] = { ...name, owner: owner.lowerName, full: `${owner.lowerName}/${name.image}` };
      return true;
    }
    switch (decision.reason) {
      case 'unauthenticated':
        throw challenge();
      case 'hidden':
        throw new OciError(OciErrorCode.NameUnknown, `repository ${name.full} is not known`);
      case 'forbidden':
        throw new OciError(
          OciErrorCode.Denied,
          `you may not ${mode === 'write' ? 'push to' : 'pull from'} ${name.full}`,
        );
    }
  }
}

function challenge(): RegistryError {
  return new RegistryError(RegistryErrorCode.Unauthorized, 'authentication required');
}
