import { Injectable } from '@nestjs/common';
import { EntityManager, In } from 'typeorm';
import { AppConfig } from '../config/config';
import { Database } from '../database/database.service';
import {
  QuotaGroupMappingEntity,
  QuotaGroupRuleEntity,
  QuotaRuleEntity,
  UserEntity,
} from '../entities';
import { QuotaExceededError } from '../errors/registry-error';
import {
  evaluateQuota,
  PACKAGES_SUBJECT,
  quotaRoom,
  QuotaGroupView,
  QuotaRuleView,
} from './quota-subjects';

/** Everything that limits one owner: the instance limits and the owner's quota groups. */
export interface OwnerLimits {
  ownerId: number;
  ownerName: string;
  /** REGISTRY_LIMIT_TOTAL_OWNER_COUNT */
  count?: number;
  /** REGISTRY_LIMIT_TOTAL_OWNER_SIZE */
  size?: number;
  /** The owner's quota groups with their rules (the default groups when mapped to none). */
  groups: QuotaGroupView[];
}

export interface OwnerUsage {
  /** sum of the sizes of the owner's package files (a blob counts once per file, as in Forgejo) */
  bytes: number;
  /** versions that are not internal */
  versions: number;
}

/**
 * Owner limits and quotas (docs/protocols/core.md §8), decided by the database.
 *
 * An upload is refused when the owner's usage *after* it would pass a limit. Formats that
 * know an upload's size before reading it ask {@link assertRoom} (through IngestService)
 * so nothing is stored; every publish is checked again inside its transaction
 * ({@link enforceInTransaction}) with the owner's row locked on MySQL, so replicas taking
 * uploads for one owner at once are serialised at commit and cannot together overshoot.
 */
@Injectable()
export class QuotaService {
  constructor(
    private readonly db: Database,
    private readonly config: AppConfig,
  ) {}

  async limitsFor(ownerId: number, em: EntityManager = this.db.manager): Promise<OwnerLimits> {
    const { count, size } = this.config.ownerLimits;
    const limits = {
      ownerId,
      ownerName: String(ownerId),
      ...(count !== undefined && { count }),
      ...(size !== undefined && { size }),
      groups: await this.groupsOf(ownerId, em),
    };
    // The name only ever appears in a refusal: no query for it when nothing can refuse
    // (every upload asks, and most owners have no limit).
    if (!QuotaService.applies(limits)) return limits;
    const owner = await em.findOne(UserEntity, { where: { id: ownerId }, select: ['id', 'name'] });
    return { ...limits, ownerName: owner?.name ?? limits.ownerName };
  }

  /** The owner's groups with their rules; the configured default groups when mapped to none. */
  async groupsOf(ownerId: number, em: EntityManager = this.db.manager): Promise<QuotaGroupView[]> {
    const mapped = await em.find(QuotaGroupMappingEntity, { where: { userId: ownerId } });
    const names = mapped.length
      ? mapped.map((m) => m.groupName)
      : [...this.config.quotaDefaultGroups];
    return this.loadGroups(names, em);
  }

  /** Groups by name, each with its rules, in name order; unknown names are skipped. */
  async loadGroups(
    names: string[],
    em: EntityManager = this.db.manager,
  ): Promise<QuotaGroupView[]> {
    if (!names.length) return [];
    const links = await em.find(QuotaGroupRuleEntity, { where: { groupName: In(names) } });
    const rules = links.length
      ? await em.find(QuotaRuleEntity, {
          where: { name: In([...new Set(links.map((l) => l.ruleName))]) },
        })
      : [];
    const byName = new Map(rules.map((r) => [r.name, presentRule(r)]));
    const existing = await em
      .createQueryBuilder()
      .select('g.name', 'name')
      .from('quota_group', 'g')
      .where('g.name IN (:...names)', { names })
      .orderBy('g.name')
      .getRawMany<{ name: string }>();
    return existing.map(({ name }) => ({
      name,
      rules: links
        .filter((l) => l.groupName === name)
        .map((l) => byName.get(l.ruleName))
        .filter((r): r is QuotaRuleView => !!r)
        .sort((a, b) => (a.name < b.name ? -1 : 1)),
    }));
  }

  async usage(ownerId: number, em: EntityManager = this.db.manager): Promise<OwnerUsage> {
    const bytes = await em
      .createQueryBuilder()
      .select('COALESCE(SUM(b.size), 0)', 'bytes')
      .from('package_file', 'f')
      .innerJoin('package_version', 'v', 'v.id = f.version_id')
      .innerJoin('package', 'p', 'p.id = v.package_id')
      .innerJoin('package_blob', 'b', 'b.id = f.blob_id')
      .where('p.owner_id = :ownerId', { ownerId })
      .getRawOne<{ bytes: string | number }>();
    const versions = await em
      .createQueryBuilder()
      .select('COUNT(*)', 'n')
      .from('package_version', 'v')
      .innerJoin('package', 'p', 'p.id = v.package_id')
      .where('p.owner_id = :ownerId AND v.is_internal = 0', { ownerId })
      .getRawOne<{ n: string | number }>();
    return { bytes: Number(bytes?.bytes ?? 0), versions: Number(versions?.n ?? 0) };
  }

  /**
   * Bytes the owner may still add (undefined: no size limit applies), with the limits and
   * usage it was computed from (zeros, not summed, when no limit applies).
   */
  async room(ownerId: number): Promise<{ bytes?: number; limits: OwnerLimits; usage: OwnerUsage }> {
    const limits = await this.limitsFor(ownerId);
    // Usage sums every file of the owner: not worth it when no limit could refuse.
    if (!QuotaService.applies(limits)) return { limits, usage: { bytes: 0, versions: 0 } };
    const usage = await this.usage(ownerId);
    const rooms = [
      limits.size === undefined ? undefined : Math.max(limits.size - usage.bytes, 0),
      quotaRoom(limits.groups, usage.bytes),
    ].filter((r): r is number => r !== undefined);
    return { bytes: rooms.length ? Math.min(...rooms) : undefined, limits, usage };
  }

  /** Refuses, before reading it, an upload of `bytes` that would pass a size limit or quota. */
  async assertRoom(ownerId: number, bytes: number): Promise<void> {
    const { bytes: room, limits, usage } = await this.room(ownerId);
    if (room === undefined || bytes <= room) return;
    throw refusal(limits, { bytes: usage.bytes + bytes, versions: usage.versions }, bytes);
  }

  /** The error for an upload stopped at `room` bytes while streaming. */
  async overRoom(ownerId: number, received: number, atLeast = false): Promise<QuotaExceededError> {
    const limits = await this.limitsFor(ownerId);
    const usage = await this.usage(ownerId);
    const after = { bytes: usage.bytes + received, versions: usage.versions };
    return (
      refusal(limits, after, received, atLeast) ??
      new QuotaExceededError(
        `quota exceeded: the upload does not fit in the quota of ${limits.ownerName}`,
      )
    );
  }

  /** True when some limit could refuse a publish of this owner (skips the lock and sums otherwise). */
  static applies(limits: OwnerLimits): boolean {
    return limits.count !== undefined || limits.size !== undefined || limits.groups.length > 0;
  }

  /**
   * Serialises this owner's publishes on MySQL: the owner's row is locked first thing in
   * the transaction, so the usage read after it sees every publish committed before.
   * SQLite runs one write transaction at a time anyway.
   */
  async lockOwner(em: EntityManager, ownerId: number): Promise<void> {
    if (this.db.isSqlite) return;
    await em.query('SELECT id FROM `user` WHERE id = ? FOR UPDATE', [ownerId]);
  }

  /**
   * Inside a publish transaction, after its rows are written: refuses (and so rolls the
   * publish back) when the owner's usage now passes a limit. `added` says what the publish
   * added, so a publish that adds no bytes is not refused for bytes (a tag moved while over
   * quota), nor one that creates no version for the count.
   */
  async enforceInTransaction(
    em: EntityManager,
    limits: OwnerLimits,
    added: { bytes: number; version: boolean },
  ): Promise<void> {
    if (!added.bytes && !added.version) return;
    const usage = await this.usage(limits.ownerId, em);
    const error = refusal(
      {
        ...limits,
        ...(added.bytes ? {} : { size: undefined, groups: [] }),
        ...(added.version ? {} : { count: undefined }),
      },
      usage,
      added.bytes,
    );
    if (error) throw error;
  }
}

function presentRule(row: QuotaRuleEntity): QuotaRuleView {
  return { name: row.name, limit: row.limit, subjects: JSON.parse(row.subjectsJson) as string[] };
}

/** The refusal naming the first limit `after` passes, or undefined when it passes none. */
export function refusal(
  limits: OwnerLimits,
  after: OwnerUsage,
  uploadBytes: number,
  atLeast = false,
): QuotaExceededError | undefined {
  const who = limits.ownerName;
  const upload = uploadBytes
    ? `, this upload ${atLeast ? 'more than ' : ''}${uploadBytes - (atLeast ? 1 : 0)} bytes`
    : '';
  if (limits.count !== undefined && after.versions > limits.count)
    return new QuotaExceededError(
      `quota exceeded: ${who} may keep at most ${limits.count} package versions (REGISTRY_LIMIT_TOTAL_OWNER_COUNT); delete versions to publish new ones`,
    );
  if (limits.size !== undefined && after.bytes > limits.size)
    return new QuotaExceededError(
      `quota exceeded: ${who} may store at most ${limits.size} bytes of packages (REGISTRY_LIMIT_TOTAL_OWNER_SIZE); ${after.bytes - uploadBytes} bytes used${upload}`,
    );
  const verdict = evaluateQuota(limits.groups, PACKAGES_SUBJECT, after.bytes);
  if (verdict.allowed) return undefined;
  if (!verdict.rule)
    return new QuotaExceededError(
      `quota exceeded: no quota group of ${who} has a rule allowing ${PACKAGES_SUBJECT}`,
    );
  return new QuotaExceededError(
    `quota exceeded: quota rule "${verdict.rule.name}" of group "${verdict.group}" allows ${who} ${verdict.rule.limit} bytes of ${verdict.rule.subjects.join(', ')}; ${after.bytes - uploadBytes} bytes used${upload}`,
  );
}
