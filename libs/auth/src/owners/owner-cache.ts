import { OrgRole, UserEntity } from '@wharf/packages-core';
import { ExpiringLru } from '../credentials/expiring-lru';

/**
 * How long an owner row or an organization role read for an access decision is reused.
 * The same bound as for credentials: another replica sees a visibility change, a removed
 * membership or a deleted owner at most this late; the replica making the change at once.
 */
export const OWNER_TTL_MS = 5_000;
export const OWNER_CACHE_ENTRIES = 10_000;

// A role cache entry for "not a member" must be told apart from a miss.
const NOT_A_MEMBER = 'none';

/**
 * The owners and organization roles every guarded request looks up, kept a few seconds.
 * Only rows that exist are kept: a new user or organization is visible on every replica
 * at once. Reads for a write (an update, a delete) go to the database, not here.
 */
export class OwnerCache {
  private readonly owners: ExpiringLru<UserEntity>;
  private readonly roles: ExpiringLru<OrgRole | typeof NOT_A_MEMBER>;
  // Bumped by every invalidation: a read that started before it is not cached.
  private epoch = 0;

  constructor(options: { ttlMs?: number; maxEntries?: number; now?: () => number } = {}) {
    const lru = {
      ttlMs: options.ttlMs ?? OWNER_TTL_MS,
      maxEntries: options.maxEntries ?? OWNER_CACHE_ENTRIES,
      now: options.now,
    };
    this.owners = new ExpiringLru(lru);
    this.roles = new ExpiringLru(lru);
  }

  /** The owner named `name` (any case), read by `load` when not held. */
  async owner(
    name: string,
    load: (lowerName: string) => Promise<UserEntity | null>,
  ): Promise<UserEntity | null> {
    const lowerName = name.toLowerCase();
    const hit = this.owners.get(lowerName);
    if (hit) return Object.assign(new UserEntity(), hit);
    const epoch = this.epoch;
    const found = await load(lowerName);
    if (found && epoch === this.epoch)
      this.owners.set(lowerName, Object.assign(new UserEntity(), found));
    return found;
  }

  /** A user's role in an organization (undefined: not a member), read by `load` when not held. */
  async role(
    orgId: number,
    userId: number,
    load: () => Promise<OrgRole | undefined>,
  ): Promise<OrgRole | undefined> {
    const key = `${orgId}:${userId}`;
    const hit = this.roles.get(key);
    if (hit !== undefined) return hit === NOT_A_MEMBER ? undefined : hit;
    const epoch = this.epoch;
    const role = await load();
    if (epoch === this.epoch) this.roles.set(key, role ?? NOT_A_MEMBER);
    return role;
  }

  /** An owner changed or is gone: its row and every role it has or grants. */
  invalidateOwner(ownerId: number): void {
    this.epoch++;
    this.owners.deleteWhere((o) => o.id === ownerId);
    this.roles.deleteWhere((_, key) => {
      const [org, user] = key.split(':');
      return Number(org) === ownerId || Number(user) === ownerId;
    });
  }

  /** A membership was added, changed or removed. */
  invalidateRole(orgId: number, userId: number): void {
    this.epoch++;
    this.roles.delete(`${orgId}:${userId}`);
  }
}
