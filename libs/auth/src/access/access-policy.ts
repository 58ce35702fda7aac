import { OrgRole, OwnerKind, UserEntity, Visibility } from '@wharf/packages-core';
import { Principal, principalHasScope } from '../principal';
import { TokenScope } from '../tokens/token-scopes';

export type PackageAccessMode = 'read' | 'write';

/** Forgejo's access modes, in order: none < read < write < admin < owner. */
export enum AccessLevel {
  None = 0,
  Read = 1,
  Write = 2,
  Admin = 3,
  Owner = 4,
}

const ROLE_LEVEL: Record<OrgRole, AccessLevel> = {
  [OrgRole.Read]: AccessLevel.Read,
  [OrgRole.Write]: AccessLevel.Write,
  [OrgRole.Admin]: AccessLevel.Admin,
};

export interface AccessInput {
  /** The signed-in user, if any (already known to be active). */
  user?: UserEntity;
  owner: UserEntity;
  /** The user's role when the owner is an organization they belong to. */
  role?: OrgRole;
  /** REGISTRY_REQUIRE_SIGNIN */
  requireSignin: boolean;
}

/** May this (possibly anonymous) user see an owner at all? */
export function ownerVisibleTo(
  owner: UserEntity,
  user: UserEntity | undefined,
  requireSignin: boolean,
): boolean {
  if (!user) return !requireSignin && owner.visibility === Visibility.Public;
  return owner.visibility !== Visibility.Private;
}

/** The account's access to an owner's packages, before any token scope (docs/protocols/core.md §7). */
export function ownerAccessLevel({ user, owner, role, requireSignin }: AccessInput): AccessLevel {
  if (!user && requireSignin) return AccessLevel.None;
  if (user?.isAdmin) return AccessLevel.Owner;
  // A disabled organization keeps its packages, served to instance admins only (/admin).
  if (owner.kind === OwnerKind.Organization && owner.isActive === false) return AccessLevel.None;
  if (user && owner.kind === OwnerKind.User && user.id === owner.id) return AccessLevel.Owner;
  const viaRole =
    owner.kind === OwnerKind.Organization && role ? ROLE_LEVEL[role] : AccessLevel.None;
  if (viaRole > AccessLevel.None) return viaRole;
  return ownerVisibleTo(owner, user, requireSignin) ? AccessLevel.Read : AccessLevel.None;
}

/**
 * - `unauthenticated`: no credentials and refused → 401 with the protocol's challenge
 *   (clients such as Maven and pip send credentials only after one);
 * - `hidden`: signed in but cannot see the owner → 404, so private owners are not revealed;
 * - `forbidden`: can read, may not write (role or token scope) → 403.
 */
export type AccessDecision =
  | { allowed: true; level: AccessLevel }
  | { allowed: false; reason: 'unauthenticated' | 'hidden' | 'forbidden' };

export function decidePackageAccess(
  principal: Principal | undefined,
  input: Omit<AccessInput, 'user'>,
  mode: PackageAccessMode,
): AccessDecision {
  const level = ownerAccessLevel({ ...input, user: principal?.user });
  const needed = mode === 'read' ? AccessLevel.Read : AccessLevel.Write;
  const scope = mode === 'read' ? TokenScope.ReadPackage : TokenScope.WritePackage;
  if (level >= needed && (!principal || principalHasScope(principal, scope)))
    return { allowed: true, level };
  if (!principal) return { allowed: false, reason: 'unauthenticated' };
  if (level === AccessLevel.None) return { allowed: false, reason: 'hidden' };
  return { allowed: false, reason: 'forbidden' };
}
