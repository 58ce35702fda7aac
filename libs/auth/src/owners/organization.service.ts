import { Injectable } from '@nestjs/common';
import {
  Database,
  isUniqueViolation,
  nowUnix,
  OrgMemberEntity,
  OrgRole,
  OwnerKind,
  RegistryError,
  UserEntity,
  Visibility,
} from '@wharf/packages-core';
import { EntityManager, In } from 'typeorm';
import { OwnerCache } from './owner-cache';
import { assertOwnerName } from './owner-name';
import { ownsPackages } from './user.service';

export interface NewOrganization {
  name: string;
  fullName?: string;
  email?: string;
  visibility?: Visibility;
}

export interface OrganizationChanges {
  fullName?: string;
  email?: string;
  visibility?: Visibility;
  /** false: disabled — its packages are kept but served to instance admins only. */
  isActive?: boolean;
}

export interface Member {
  user: UserEntity;
  role: OrgRole;
}

/** Organizations and their members. An organization always keeps at least one admin. */
@Injectable()
export class OrganizationService {
  constructor(
    private readonly db: Database,
    private readonly cache: OwnerCache,
  ) {}

  async findOrganization(name: string): Promise<UserEntity | null> {
    const owner = await this.db.manager.findOneBy(UserEntity, { lowerName: name.toLowerCase() });
    return owner?.kind === OwnerKind.Organization ? owner : null;
  }

  async requireOrganization(name: string): Promise<UserEntity> {
    const org = await this.findOrganization(name);
    if (!org) throw RegistryError.notFound(`organization ${name} does not exist`);
    return org;
  }

  /** Creates the organization with its creator as the first admin, in one transaction. */
  async create(creator: UserEntity, spec: NewOrganization): Promise<UserEntity> {
    assertOwnerName(spec.name, 'username');
    const now = nowUnix();
    try {
      return await this.db.transaction(async (em) => {
        const org = em.create(UserEntity, {
          name: spec.name,
          lowerName: spec.name.toLowerCase(),
          fullName: spec.fullName ?? '',
          email: spec.email ?? '',
          passwordHash: '',
          kind: OwnerKind.Organization,
          visibility: spec.visibility ?? Visibility.Public,
          isAdmin: false,
          isActive: true,
          mustChangePassword: false,
          createdUnix: now,
          updatedUnix: now,
        });
        await em.insert(UserEntity, org);
        await em.insert(OrgMemberEntity, {
          orgId: org.id,
          userId: creator.id,
          role: OrgRole.Admin,
          createdUnix: now,
        });
        return org;
      });
    } catch (err) {
      if (isUniqueViolation(err))
        throw RegistryError.conflict(
          `the name ${spec.name} is already taken by a user or organization`,
        );
      throw err;
    }
  }

  async update(org: UserEntity, changes: OrganizationChanges): Promise<UserEntity> {
    const patch: Partial<UserEntity> = { updatedUnix: nowUnix() };
    if (changes.fullName !== undefined) patch.fullName = changes.fullName;
    if (changes.email !== undefined) patch.email = changes.email;
    if (changes.visibility !== undefined) patch.visibility = changes.visibility;
    if (changes.isActive !== undefined) patch.isActive = changes.isActive;
    await this.db.manager.update(UserEntity, { id: org.id }, patch);
    this.cache.invalidateOwner(org.id);
    return Object.assign(org, patch);
  }

  /** Refused while the organization owns packages (they are never deleted implicitly). */
  async delete(org: UserEntity): Promise<void> {
    await this.db.transaction(async (em) => {
      if (await ownsPackages(em, org.id)) {
        throw RegistryError.conflict(`${org.name} still owns packages; delete them first`);
      }
      await em.delete(UserEntity, { id: org.id });
    });
    this.cache.invalidateOwner(org.id);
  }

  async roleOf(orgId: number, userId: number): Promise<OrgRole | undefined> {
    const row = await this.db.manager.findOneBy(OrgMemberEntity, { orgId, userId });
    return row?.role;
  }

  /** {@link roleOf} for an access decision: read up to a few seconds ago ({@link OwnerCache}). */
  lookupRole(orgId: number, userId: number): Promise<OrgRole | undefined> {
    return this.cache.role(orgId, userId, () => this.roleOf(orgId, userId));
  }

  /** Every organization, by name (the admin page). */
  list(offset = 0, limit = 50): Promise<[UserEntity[], number]> {
    return this.db.manager.findAndCount(UserEntity, {
      where: { kind: OwnerKind.Organization },
      order: { lowerName: 'ASC' },
      skip: offset,
      take: limit,
    });
  }

  /** The user's role in each of `orgIds` they belong to, in one query (listings across owners). */
  async rolesOf(userId: number, orgIds: number[]): Promise<Map<number, OrgRole>> {
    if (!orgIds.length) return new Map();
    const rows = await this.db.manager.findBy(OrgMemberEntity, { userId, orgId: In(orgIds) });
    return new Map(rows.map((r) => [r.orgId, r.role]));
  }

  /** The organizations a user belongs to, with their role, by name. */
  async membershipsOf(userId: number): Promise<{ org: UserEntity; role: OrgRole }[]> {
    const rows = await this.db.manager.findBy(OrgMemberEntity, { userId });
    const orgs = rows.length
      ? await this.db.manager.findBy(UserEntity, { id: In(rows.map((r) => r.orgId)) })
      : [];
    const roleOf = new Map(rows.map((r) => [r.orgId, r.role]));
    return orgs
      .sort((a, b) => (a.lowerName < b.lowerName ? -1 : 1))
      .map((org) => ({ org, role: roleOf.get(org.id)! }));
  }

  /** Adds a member or changes their role. */
  async setMember(org: UserEntity, user: UserEntity, role: OrgRole): Promise<void> {
    if (user.kind !== OwnerKind.User)
      throw RegistryError.invalid(`${user.name} is an organization, not a user`);
    await this.db.transaction(async (em) => {
      const existing = await this.lockMembers(em, org.id);
      const current = existing.find((m) => m.userId === user.id);
      if (current) {
        if (current.role === OrgRole.Admin && role !== OrgRole.Admin)
          assertAnotherAdmin(existing, user.id);
        await em.update(OrgMemberEntity, { id: current.id }, { role });
      } else {
        await em.insert(OrgMemberEntity, {
          orgId: org.id,
          userId: user.id,
          role,
          createdUnix: nowUnix(),
        });
      }
    });
    this.cache.invalidateRole(org.id, user.id);
  }

  async removeMember(org: UserEntity, user: UserEntity): Promise<void> {
    await this.db.transaction(async (em) => {
      const existing = await this.lockMembers(em, org.id);
      const current = existing.find((m) => m.userId === user.id);
      if (!current) throw RegistryError.notFound(`${user.name} is not a member of ${org.name}`);
      if (current.role === OrgRole.Admin) assertAnotherAdmin(existing, user.id);
      await em.delete(OrgMemberEntity, { id: current.id });
    });
    this.cache.invalidateRole(org.id, user.id);
  }

  async listMembers(org: UserEntity, offset = 0, limit = 50): Promise<[Member[], number]> {
    const [rows, total] = await this.db.manager.findAndCount(OrgMemberEntity, {
      where: { orgId: org.id },
      order: { id: 'ASC' },
      skip: offset,
      take: limit,
    });
    const users = await this.db.manager.findBy(UserEntity, {
      id: In([0, ...rows.map((r) => r.userId)]),
    });
    const byId = new Map(users.map((u) => [u.id, u]));
    return [
      rows
        .filter((r) => byId.has(r.userId))
        .map((r) => ({ user: byId.get(r.userId)!, role: r.role })),
      total,
    ];
  }

  /**
   * The member rows, locked on MySQL so two concurrent demotions cannot both see
   * "another admin remains" and leave none (SQLite transactions are serialized already).
   */
  private lockMembers(em: EntityManager, orgId: number): Promise<OrgMemberEntity[]> {
    return em.find(OrgMemberEntity, {
      where: { orgId },
      ...(this.db.isSqlite ? {} : { lock: { mode: 'pessimistic_write' } }),
    });
  }
}

function assertAnotherAdmin(members: OrgMemberEntity[], leavingUserId: number): void {
  if (!members.some((m) => m.role === OrgRole.Admin && m.userId !== leavingUserId)) {
    throw RegistryError.conflict('an organization must keep at least one admin');
  }
}
