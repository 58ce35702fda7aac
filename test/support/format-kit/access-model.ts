/**
 * The permission matrix every format shares, written once: which owners and callers the
 * kit creates, and what the access rule of `libs/auth/src/access/access-policy.ts`
 * (Forgejo's, core.md §7) says each caller may do with each owner's packages. The rule is
 * restated here rather than imported, so a change to the policy shows up as a test
 * failure instead of silently moving the expectations with it.
 */

export type KitVisibility = 'public' | 'limited' | 'private';
export type OrgRoleName = 'read' | 'write' | 'admin';
export type AccessMode = 'read' | 'write';

export interface KitOwner {
  name: string;
  kind: 'user' | 'organization' | 'missing';
  visibility: KitVisibility;
}

/** What the server decides; the profile turns it into a status (and a challenge). */
export type Outcome = 'allowed' | 'unauthenticated' | 'hidden' | 'forbidden';

export interface KitCaller {
  /** Label in the matrix. */
  name: string;
  /** The account signed in as; undefined for anonymous callers. */
  user?: string;
  siteAdmin?: boolean;
  /** Roles in the kit's organizations. */
  roles?: Partial<Record<string, OrgRoleName>>;
  /** The token's scopes; undefined for a password (the whole account). */
  scope?: 'read' | 'write';
  /** Credentials the server does not know: refused whatever the owner. */
  badCredentials?: boolean;
  /** No credentials at all (as opposed to the container registry's anonymous token). */
  bare?: boolean;
  /** The caller is the user owner it is asked about (only listed for user owners). */
  self?: boolean;
}

const ORG_ADMIN = 'kit-orgadmin';

export const KIT_OWNERS: KitOwner[] = [
  { name: 'kit-user-public', kind: 'user', visibility: 'public' },
  { name: 'kit-user-limited', kind: 'user', visibility: 'limited' },
  { name: 'kit-user-private', kind: 'user', visibility: 'private' },
  { name: 'kit-org-public', kind: 'organization', visibility: 'public' },
  { name: 'kit-org-limited', kind: 'organization', visibility: 'limited' },
  { name: 'kit-org-private', kind: 'organization', visibility: 'private' },
  { name: 'kit-nobody', kind: 'missing', visibility: 'public' },
];

/** Members of every kit organization, by role; the creator is its admin. */
export const KIT_MEMBERS: Record<string, OrgRoleName> = {
  'kit-reader': 'read',
  'kit-writer': 'write',
};

const inAllOrgs = (role: OrgRoleName) =>
  Object.fromEntries(
    KIT_OWNERS.filter((o) => o.kind === 'organization').map((o) => [o.name, role]),
  );

/** The plain users the kit creates besides the owners. */
export const KIT_USERS = ['kit-stranger', ORG_ADMIN, ...Object.keys(KIT_MEMBERS)];
export const KIT_ORG_CREATOR = ORG_ADMIN;

export const KIT_CALLERS: KitCaller[] = [
  { name: 'anonymous', bare: true },
  { name: 'bad credentials', badCredentials: true },
  { name: 'non-member', user: 'kit-stranger', scope: 'write' },
  { name: 'reader', user: 'kit-reader', scope: 'write', roles: inAllOrgs('read') },
  { name: 'writer', user: 'kit-writer', scope: 'write', roles: inAllOrgs('write') },
  {
    name: 'writer, read-only token',
    user: 'kit-writer',
    scope: 'read',
    roles: inAllOrgs('write'),
  },
  { name: 'org admin', user: ORG_ADMIN, scope: 'write', roles: inAllOrgs('admin') },
  { name: 'owner itself', self: true },
  { name: 'site admin', siteAdmin: true },
];

/** Does the caller apply to the owner? ("owner itself" only to user owners.) */
export function appliesTo(caller: KitCaller, owner: KitOwner): boolean {
  return !caller.self || owner.kind === 'user';
}

const LEVEL = { none: 0, read: 1, write: 2, admin: 3, owner: 4 } as const;
type Level = (typeof LEVEL)[keyof typeof LEVEL];

/** The account's level on an owner before token scopes (`ownerAccessLevel`). */
function levelOf(caller: KitCaller, owner: KitOwner, requireSignin: boolean): Level {
  const signedIn = caller.self || caller.siteAdmin || !!caller.user;
  if (owner.kind === 'missing') return LEVEL.none;
  if (!signedIn && requireSignin) return LEVEL.none;
  if (caller.siteAdmin || caller.self) return LEVEL.owner;
  const role = owner.kind === 'organization' ? caller.roles?.[owner.name] : undefined;
  if (role) return LEVEL[role];
  const visible = signedIn
    ? owner.visibility !== 'private'
    : !requireSignin && owner.visibility === 'public';
  return visible ? LEVEL.read : LEVEL.none;
}

/** What the server must decide for `caller` reading or writing `owner`'s packages. */
export function expectedOutcome(
  caller: KitCaller,
  owner: KitOwner,
  mode: AccessMode,
  requireSignin = false,
): Outcome {
  if (caller.badCredentials) return 'unauthenticated';
  const signedIn = caller.self || caller.siteAdmin || !!caller.user;
  const level = levelOf(caller, owner, requireSignin);
  const scopeOk = mode === 'read' || caller.scope !== 'read';
  if (level >= (mode === 'read' ? LEVEL.read : LEVEL.write) && scopeOk) return 'allowed';
  if (!signedIn) return owner.kind === 'missing' && !requireSignin ? 'hidden' : 'unauthenticated';
  return level === LEVEL.none ? 'hidden' : 'forbidden';
}
