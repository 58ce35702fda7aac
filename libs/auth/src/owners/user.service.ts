import { Injectable } from '@nestjs/common';
import {
  Database,
  isUniqueViolation,
  nowUnix,
  OwnerKind,
  PackageEntity,
  PackageVersionEntity,
  RegistryError,
  UserEntity,
  Visibility,
} from '@wharf/packages-core';
import { EntityManager, In } from 'typeorm';
import { CredentialCache } from '../credentials/credential-cache';
import { PasswordHasher } from '../passwords/password-hasher';
import { OwnerCache } from './owner-cache';
import { assertOwnerName } from './owner-name';

export const PASSWORD_MIN_LENGTH = 8;

export interface NewUser {
  username: string;
  email?: string;
  password: string;
  fullName?: string;
  mustChangePassword?: boolean;
  isAdmin?: boolean;
  visibility?: Visibility;
}

export interface UserChanges {
  email?: string;
  fullName?: string;
  password?: string;
  mustChangePassword?: boolean;
  isActive?: boolean;
  isAdmin?: boolean;
  visibility?: Visibility;
}

/** Accounts that sign in (owner rows of kind user). Names are shared with organizations. */
@Injectable()
export class UserService {
  constructor(
    private readonly db: Database,
    private readonly hasher: PasswordHasher,
    private readonly credentials: CredentialCache,
    private readonly ownerCache: OwnerCache,
  ) {}

  /** A user or an organization by name, case-insensitively. */
  findOwner(name: string): Promise<UserEntity | null> {
    return this.db.manager.findOneBy(UserEntity, { lowerName: name.toLowerCase() });
  }

  /**
   * {@link findOwner} for an access decision: a row read up to a few seconds ago
   * ({@link OwnerCache}). Not for reads that lead to a write.
   */
  lookupOwner(name: string): Promise<UserEntity | null> {
    return this.ownerCache.owner(name, (lowerName) =>
      this.db.manager.findOneBy(UserEntity, { lowerName }),
    );
  }

  async findUser(name: string): Promise<UserEntity | null> {
    const owner = await this.findOwner(name);
    return owner?.kind === OwnerKind.User ? owner : null;
  }

  async requireUser(name: string): Promise<UserEntity> {
    const user = await this.findUser(name);
    if (!user) throw RegistryError.notFound(`user ${name} does not exist`);
    return user;
  }

  findById(id: number): Promise<UserEntity | null> {
    return this.db.manager.findOneBy(UserEntity, { id });
  }

  async findByIds(ids: number[]): Promise<Map<number, UserEntity>> {
    const rows = ids.length
      ? await this.db.manager.findBy(UserEntity, { id: In([...new Set(ids)]) })
      : [];
    return new Map(rows.map((u) => [u.id, u]));
  }

  async create(spec: NewUser): Promise<UserEntity> {
    assertOwnerName(spec.username, 'username');
    assertPassword(spec.password);
    const now = nowUnix();
    const user = this.db.manager.create(UserEntity, {
      name: spec.username,
      lowerName: spec.username.toLowerCase(),
      fullName: spec.fullName ?? '',
      email: spec.email ?? `${spec.username.toLowerCase()}@localhost`,
      passwordHash: await this.hasher.hash(spec.password),
      kind: OwnerKind.User,
      visibility: spec.visibility ?? Visibility.Public,
      isAdmin: spec.isAdmin ?? false,
      isActive: true,
      mustChangePassword: spec.mustChangePassword ?? false,
      createdUnix: now,
      updatedUnix: now,
    });
    try {
      await this.db.manager.insert(UserEntity, user);
    } catch (err) {
      if (isUniqueViolation(err))
        throw RegistryError.conflict(
          `the name ${spec.username} is already taken by a user or organization`,
        );
      throw err;
    }
    return user;
  }

  /** Users only (not organizations), oldest first. */
  list(offset = 0, limit = 50): Promise<[UserEntity[], number]> {
    return this.db.manager.findAndCount(UserEntity, {
      where: { kind: OwnerKind.User },
      order: { id: 'ASC' },
      skip: offset,
      take: limit,
    });
  }

  async update(user: UserEntity, changes: UserChanges): Promise<UserEntity> {
    const patch: Partial<UserEntity> = { updatedUnix: nowUnix() };
    if (changes.email !== undefined) patch.email = changes.email;
    if (changes.fullName !== undefined) patch.fullName = changes.fullName;
    if (changes.mustChangePassword !== undefined)
      patch.mustChangePassword = changes.mustChangePassword;
    if (changes.isActive !== undefined) patch.isActive = changes.isActive;
    if (changes.isAdmin !== undefined) patch.isAdmin = changes.isAdmin;
    if (changes.visibility !== undefined) patch.visibility = changes.visibility;
    if (changes.password !== undefined) {
      assertPassword(changes.password);
      patch.passwordHash = await this.hasher.hash(changes.password);
    }
    await this.db.manager.update(UserEntity, { id: user.id }, patch);
    this.forget(user.id);
    return Object.assign(user, patch);
  }

  /**
   * Deletes a user with its tokens and memberships (foreign keys cascade). A user who
   * still owns packages is refused, as in Forgejo: packages are never deleted implicitly.
   */
  async delete(user: UserEntity): Promise<void> {
    await this.db.transaction(async (em) => {
      if (await ownsPackages(em, user.id)) {
        throw RegistryError.conflict(`${user.name} still owns packages; delete them first`);
      }
      await em.delete(UserEntity, { id: user.id });
    });
    this.forget(user.id);
  }

  /** This replica stops trusting what it cached about the user now; others within their TTL. */
  private forget(userId: number): void {
    this.credentials.invalidateUser(userId);
    this.ownerCache.invalidateOwner(userId);
  }

  /** The user when `password` is theirs; null otherwise, after the same work either way. */
  async verifyPassword(username: string, password: string): Promise<UserEntity | null> {
    const user = await this.findUser(username);
    if (!user || !user.passwordHash) {
      await this.hasher.burn(password);
      return null;
    }
    return (await this.hasher.verify(password, user.passwordHash)) ? user : null;
  }
}

/**
 * Whether an owner has any published (non-internal) version, Forgejo's HasOwnerPackages.
 * Empty packages and internal index versions go with the owner (foreign keys cascade;
 * the cleanup job removes blobs nothing references any more).
 */
export async function ownsPackages(em: EntityManager, ownerId: number): Promise<boolean> {
  return em
    .createQueryBuilder(PackageVersionEntity, 'v')
    .innerJoin(PackageEntity, 'p', 'p.id = v.package_id')
    .where('p.owner_id = :ownerId AND v.is_internal = :f', { ownerId, f: false })
    .getExists();
}

export function assertPassword(password: string): void {
  if (typeof password !== 'string' || password.length < PASSWORD_MIN_LENGTH) {
    throw RegistryError.invalid(`password must be at least ${PASSWORD_MIN_LENGTH} characters`);
  }
  if (password.length > 1024)
    throw RegistryError.invalid('password must be at most 1024 characters');
}
