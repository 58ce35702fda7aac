import { OrgRole, OwnerKind, UserEntity, Visibility } from '@wharf/packages-core';
import { Principal } from '../principal';
import { TokenScope } from '../tokens/token-scopes';
import { AccessLevel, decidePackageAccess, ownerAccessLevel } from './access-policy';

const user = (id: number, extra: Partial<UserEntity> = {}) =>
  ({
    id,
    kind: OwnerKind.User,
    visibility: Visibility.Public,
    isAdmin: false,
    isActive: true,
    ...extra,
  }) as UserEntity;
const org = (visibility: Visibility) =>
  ({ id: 100, kind: OwnerKind.Organization, visibility }) as UserEntity;
const viaPassword = (u: UserEntity): Principal => ({ user: u, via: 'password' });
const viaToken = (u: UserEntity, ...scopes: TokenScope[]): Principal => ({
  user: u,
  via: 'token',
  scopes: new Set(scopes),
});

describe('ownerAccessLevel (docs/protocols/core.md §7)', () => {
  it('gives site admins and the owning user everything', () => {
    expect(
      ownerAccessLevel({
        user: user(1, { isAdmin: true }),
        owner: org(Visibility.Private),
        requireSignin: false,
      }),
    ).toBe(AccessLevel.Owner);
    const u = user(2, { visibility: Visibility.Private });
    expect(ownerAccessLevel({ user: u, owner: u, requireSignin: false })).toBe(AccessLevel.Owner);
  });

  it('serves a disabled organization to site admins only, whatever the role or visibility', () => {
    const off = { ...org(Visibility.Public), isActive: false } as UserEntity;
    const level = (u: UserEntity | undefined, role?: OrgRole) =>
      ownerAccessLevel({ user: u, owner: off, role, requireSignin: false });
    expect([
      level(user(1, { isAdmin: true })),
      level(user(3), OrgRole.Admin),
      level(user(4)),
      level(undefined),
    ]).toEqual([AccessLevel.Owner, AccessLevel.None, AccessLevel.None, AccessLevel.None]);
  });

  it('gives members their role, even on a private organization', () => {
    expect(
      ownerAccessLevel({
        user: user(3),
        owner: org(Visibility.Private),
        role: OrgRole.Read,
        requireSignin: false,
      }),
    ).toBe(AccessLevel.Read);
    expect(
      ownerAccessLevel({
        user: user(3),
        owner: org(Visibility.Private),
        role: OrgRole.Write,
        requireSignin: false,
      }),
    ).toBe(AccessLevel.Write);
    expect(
      ownerAccessLevel({
        user: user(3),
        owner: org(Visibility.Private),
        role: OrgRole.Admin,
        requireSignin: false,
      }),
    ).toBe(AccessLevel.Admin);
  });

  it('lets others read by visibility: public to all, limited to signed-in users, private to nobody', () => {
    const level = (v: Visibility, u?: UserEntity, requireSignin = false) =>
      ownerAccessLevel({ user: u, owner: org(v), requireSignin });
    expect([
      level(Visibility.Public),
      level(Visibility.Limited),
      level(Visibility.Private),
    ]).toEqual([AccessLevel.Read, AccessLevel.None, AccessLevel.None]);
    expect([
      level(Visibility.Public, user(4)),
      level(Visibility.Limited, user(4)),
      level(Visibility.Private, user(4)),
    ]).toEqual([AccessLevel.Read, AccessLevel.Read, AccessLevel.None]);
    expect(level(Visibility.Public, undefined, true)).toBe(AccessLevel.None);
    expect(level(Visibility.Public, user(4), true)).toBe(AccessLevel.Read);
  });
});

describe('decidePackageAccess', () => {
  const pub = { owner: org(Visibility.Public), requireSignin: false };
  const priv = { owner: org(Visibility.Private), requireSignin: false };

  it('asks anonymous callers to sign in (401) whenever they are refused', () => {
    expect(decidePackageAccess(undefined, pub, 'read')).toMatchObject({ allowed: true });
    expect(decidePackageAccess(undefined, pub, 'write')).toEqual({
      allowed: false,
      reason: 'unauthenticated',
    });
    expect(decidePackageAccess(undefined, priv, 'read')).toEqual({
      allowed: false,
      reason: 'unauthenticated',
    });
  });

  it('hides owners a signed-in caller cannot see (404) and forbids writes they may not make (403)', () => {
    expect(decidePackageAccess(viaPassword(user(5)), priv, 'read')).toEqual({
      allowed: false,
      reason: 'hidden',
    });
    expect(decidePackageAccess(viaPassword(user(5)), priv, 'write')).toEqual({
      allowed: false,
      reason: 'hidden',
    });
    expect(decidePackageAccess(viaPassword(user(5)), pub, 'write')).toEqual({
      allowed: false,
      reason: 'forbidden',
    });
    expect(
      decidePackageAccess(viaPassword(user(5)), { ...priv, role: OrgRole.Read }, 'write'),
    ).toEqual({ allowed: false, reason: 'forbidden' });
  });

  it('caps a token at its scopes', () => {
    const writer = { ...priv, role: OrgRole.Write };
    expect(
      decidePackageAccess(viaToken(user(6), TokenScope.ReadPackage), writer, 'read'),
    ).toMatchObject({ allowed: true });
    expect(decidePackageAccess(viaToken(user(6), TokenScope.ReadPackage), writer, 'write')).toEqual(
      { allowed: false, reason: 'forbidden' },
    );
    expect(
      decidePackageAccess(viaToken(user(6), TokenScope.WritePackage), writer, 'write'),
    ).toMatchObject({ allowed: true });
    expect(
      decidePackageAccess(viaToken(user(6), TokenScope.WritePackage), { ...priv }, 'read'),
    ).toEqual({ allowed: false, reason: 'hidden' });
  });
});
