import { Injectable, Logger } from '@nestjs/common';
import { Database, isUniqueViolation } from '../database/database.service';
import {
  nowUnix,
  PackageCleanupRuleEntity,
  PackageEntity,
  PackageVersionEntity,
} from '../entities';
import { RegistryError } from '../errors/registry-error';
import { PackageService } from '../packages/package.service';
import { PackageType } from '../packages/package-type';
import { compileCleanupPattern, PatternMatcher } from './cleanup-pattern';

/** The fields of a cleanup rule an owner sets (Forgejo's package cleanup rule). */
export interface CleanupRuleSpec {
  type: PackageType;
  enabled: boolean;
  keepCount: number;
  keepPattern: string;
  removeDays: number;
  removePattern: string;
  matchFullName: boolean;
}

/** A version a rule removes. */
export interface CleanupTarget {
  package: PackageEntity;
  version: PackageVersionEntity;
}

/**
 * What a format adds to the rules of its type (registered by the format, so core never
 * branches on the type): versions the rules must never consider, and versions a rule
 * removes beyond the ones it matches (the container registry's untagged manifests).
 */
export interface CleanupRulePolicy {
  /** True for a version no rule may remove by itself (a digest, the `latest` tag). */
  protects?(version: PackageVersionEntity): boolean;
  /** More versions of `pkg` to remove under `rule`, decided on the same state as the rest. */
  extraTargets?(
    pkg: PackageEntity,
    rule: PackageCleanupRuleEntity,
    olderThanUnix: number,
  ): Promise<PackageVersionEntity[]>;
}

const DAY = 86_400;

/**
 * Per-owner cleanup rules (docs/protocols/core.md §9): storage, evaluation, preview and
 * execution. A preview and a run compute their targets the same way from the same rows,
 * so a preview lists what a run started then removes.
 */
@Injectable()
export class CleanupRuleService {
  private readonly log = new Logger(CleanupRuleService.name);
  private readonly policies = new Map<string, CleanupRulePolicy>();

  constructor(
    private readonly db: Database,
    private readonly packages: PackageService,
  ) {}

  registerPolicy(type: PackageType, policy: CleanupRulePolicy): void {
    this.policies.set(type, policy);
  }

  list(ownerId: number): Promise<PackageCleanupRuleEntity[]> {
    return this.db.manager.find(PackageCleanupRuleEntity, {
      where: { ownerId },
      order: { type: 'ASC' },
    });
  }

  async get(ownerId: number, id: number): Promise<PackageCleanupRuleEntity> {
    const rule = await this.db.manager.findOneBy(PackageCleanupRuleEntity, { id, ownerId });
    if (!rule) throw RegistryError.notFound(`cleanup rule ${id} does not exist`);
    return rule;
  }

  /** 409 when the owner has a rule for the type already (one per owner and type, as in Forgejo). */
  async create(ownerId: number, spec: CleanupRuleSpec): Promise<PackageCleanupRuleEntity> {
    assertPatterns(spec);
    const now = nowUnix();
    const row = this.db.manager.create(PackageCleanupRuleEntity, {
      ownerId,
      ...spec,
      createdUnix: now,
      updatedUnix: now,
    });
    try {
      await this.db.manager.insert(PackageCleanupRuleEntity, row);
    } catch (err) {
      if (isUniqueViolation(err))
        throw RegistryError.conflict(`there is a cleanup rule for ${spec.type} packages already`);
      throw err;
    }
    return row;
  }

  async update(
    ownerId: number,
    id: number,
    changes: Partial<Omit<CleanupRuleSpec, 'type'>>,
  ): Promise<PackageCleanupRuleEntity> {
    const rule = await this.get(ownerId, id);
    const next = { ...rule, ...definedOnly(changes), updatedUnix: nowUnix() };
    assertPatterns(next);
    await this.db.manager.update(
      PackageCleanupRuleEntity,
      { id, ownerId },
      {
        enabled: next.enabled,
        keepCount: next.keepCount,
        keepPattern: next.keepPattern,
        removeDays: next.removeDays,
        removePattern: next.removePattern,
        matchFullName: next.matchFullName,
        updatedUnix: next.updatedUnix,
      },
    );
    return next;
  }

  async delete(ownerId: number, id: number): Promise<void> {
    const result = await this.db.manager.delete(PackageCleanupRuleEntity, { id, ownerId });
    if (!result.affected) throw RegistryError.notFound(`cleanup rule ${id} does not exist`);
  }

  /**
   * Forgejo's selection, per package of the owner and type: versions newest first; the
   * `keepCount` newest stay; of the rest, a version stays when a format protects it,
   * `keepPattern` matches, it is younger than `removeDays`, or `removePattern` is set and
   * does not match; the others go. Patterns see the version, or `name/version` with
   * `matchFullName`, in lower case. Then the format's own extra targets.
   */
  async targets(rule: PackageCleanupRuleEntity, now = nowUnix()): Promise<CleanupTarget[]> {
    const keep = compileCleanupPattern(rule.keepPattern);
    const remove = compileCleanupPattern(rule.removePattern);
    const policy = this.policies.get(rule.type);
    const olderThan = now - rule.removeDays * DAY;
    const packages = await this.db.manager.find(PackageEntity, {
      where: { ownerId: rule.ownerId, type: rule.type, isInternal: false },
      order: { lowerName: 'ASC' },
    });
    const out: CleanupTarget[] = [];
    for (const pkg of packages) {
      const versions = await this.db.manager.find(PackageVersionEntity, {
        where: { packageId: pkg.id, isInternal: false },
        order: { createdUnix: 'DESC', id: 'DESC' },
      });
      const chosen = new Set<number>();
      for (const version of versions.slice(rule.keepCount)) {
        if (selects(rule, pkg, version, { keep, remove, olderThan, policy })) {
          chosen.add(version.id);
          out.push({ package: pkg, version });
        }
      }
      for (const version of (await policy?.extraTargets?.(pkg, rule, olderThan)) ?? [])
        if (!chosen.has(version.id)) out.push({ package: pkg, version });
    }
    return out;
  }

  /** Removes what {@link targets} selects; each version in its own transaction. Returns how many went. */
  async execute(rule: PackageCleanupRuleEntity, stillHeld: () => boolean): Promise<number> {
    let removed = 0;
    for (const target of await this.targets(rule)) {
      // A run that lost its lease stops: the replica that took it over finishes the job.
      if (!stillHeld()) break;
      try {
        await this.packages.deleteVersion(target.version.id);
        removed++;
      } catch (err) {
        if (err instanceof RegistryError && err.status === 404) continue; // removed meanwhile
        throw err;
      }
    }
    if (removed)
      this.log.log(`cleanup rule ${rule.id} (${rule.type}): ${removed} versions removed`);
    return removed;
  }

  /** Enabled rules, in id order, a page at a time. */
  enabledRules(afterId: number, take: number): Promise<PackageCleanupRuleEntity[]> {
    return this.db.manager
      .createQueryBuilder(PackageCleanupRuleEntity, 'r')
      .where('r.enabled = :yes AND r.id > :afterId', { yes: true, afterId })
      .orderBy('r.id', 'ASC')
      .take(take)
      .getMany();
  }
}

function selects(
  rule: PackageCleanupRuleEntity,
  pkg: PackageEntity,
  version: PackageVersionEntity,
  c: {
    keep?: PatternMatcher;
    remove?: PatternMatcher;
    olderThan: number;
    policy?: CleanupRulePolicy;
  },
): boolean {
  if (c.policy?.protects?.(version)) return false;
  const subject = rule.matchFullName
    ? `${pkg.lowerName}/${version.lowerVersion}`
    : version.lowerVersion;
  if (c.keep?.(subject)) return false;
  if (version.createdUnix > c.olderThan) return false;
  if (c.remove && !c.remove(subject)) return false;
  return true;
}

function assertPatterns(spec: { keepPattern: string; removePattern: string }): void {
  for (const [field, pattern] of [
    ['keep_pattern', spec.keepPattern],
    ['remove_pattern', spec.removePattern],
  ] as const) {
    try {
      compileCleanupPattern(pattern);
    } catch (err) {
      throw RegistryError.invalid(`${field} is not a valid pattern: ${(err as Error).message}`);
    }
  }
}

function definedOnly<T extends object>(changes: T): Partial<T> {
  return Object.fromEntries(
    Object.entries(changes).filter(([, v]) => v !== undefined),
  ) as Partial<T>;
}
