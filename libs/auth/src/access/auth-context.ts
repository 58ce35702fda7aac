import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import type { Request } from 'express';
import { OrgRole, UserEntity } from '@wharf/packages-core';
import { Principal } from '../principal';
import { AccessLevel } from './access-policy';

/** What the guards found out, kept on the request for the handler. */
export interface AuthContext {
  principal?: Principal;
  /** The owner named in the route (set by the package guard). */
  owner?: UserEntity;
  /** The principal's role in that owner, when it is an organization they belong to. */
  role?: OrgRole;
  /** The access level the package guard granted. */
  level?: AccessLevel;
}

const KEY = Symbol('wharf.auth');
type WithContext = Request & { [KEY]?: AuthContext };

export function authContext(req: Request): AuthContext {
  return ((req as WithContext)[KEY] ??= {});
}

/** The signed-in principal, or `undefined` for an anonymous request. */
export const CurrentPrincipal = createParamDecorator(
  (_: unknown, ctx: ExecutionContext) =>
    authContext(ctx.switchToHttp().getRequest<Request>()).principal,
);

/** The owner resolved by `@PackageAccess` (always set on routes it guards). */
export const CurrentOwner = createParamDecorator(
  (_: unknown, ctx: ExecutionContext) =>
    authContext(ctx.switchToHttp().getRequest<Request>()).owner,
);
