import { Injectable } from '@nestjs/common';
import { EntityManager, In } from 'typeorm';
import { Database, isForeignKeyViolation, isUniqueViolation } from '../database/database.service';
import {
  PackageEntity,
  PackageVersionEntity,
  QuotaGroupEntity,
  QuotaGroupMappingEntity,
  QuotaGroupRuleEntity,
  QuotaRuleEntity,
} from '../entities';
import { RegistryError } from '../errors/registry-error';
import { QuotaGroupView, QuotaRuleView } from './quota-subjects';
import { QuotaService } from './quota.service';

/** A version counted in an owner's quota, with the bytes of its files. */
export interface QuotaUsedVersion {
  package: PackageEntity;
  version: PackageVersionEntity;
  size: number;
}

/**
 * The quota rules and groups an administrator manages through Forgejo's quota API
 * (`/api/v1/admin/quota/…`). Names are compared exactly, as Forgejo does; conflicts and
 * missing names are 409 and 404. Subjects are validated by the caller (the API's DTOs).
 */
@Injectable()
export class QuotaAdminService {
  constructor(
    private readonly db: Database,
    private readonly quota: QuotaService,
  ) {}

  async listRules(): Promise<QuotaRuleView[]> {
    const rows = await this.db.manager.find(QuotaRuleEntity, { order: { name: 'ASC' } });
    return rows.map(toRule);
  }

  async getRule(name: string): Promise<QuotaRuleView> {
    const row = await this.db.manager.findOneBy(QuotaRuleEntity, { name });
    if (!row) throw RegistryError.notFound(`quota rule ${name} does not exist`);
    return toRule(row);
  }

  async createRule(rule: QuotaRuleView): Promise<QuotaRuleView> {
    await this.db.transaction((em) => this.insertRule(em, rule));
    return rule;
  }

  async editRule(
    name: string,
    changes: { limit?: number; subjects?: string[] },
  ): Promise<QuotaRuleView> {
    const rule = await this.getRule(name);
    const next = { ...rule, ...definedOnly(changes) };
    await this.db.manager.update(
      QuotaRuleEntity,
      { name },
      { limit: next.limit, subjectsJson: JSON.stringify(next.subjects) },
    );
    return next;
  }

  async deleteRule(name: string): Promise<void> {
    await this.db.transaction(async (em) => {
      await em.delete(QuotaGroupRuleEntity, { ruleName: name });
      const result = await em.delete(QuotaRuleEntity, { name });
      if (!result.affected) throw RegistryError.notFound(`quota rule ${name} does not exist`);
    });
  }

  listGroups(): Promise<QuotaGroupView[]> {
    return this.db.manager
      .find(QuotaGroupEntity, { order: { name: 'ASC' } })
      .then((rows) => this.quota.loadGroups(rows.map((r) => r.name)));
  }

  async getGroup(name: string): Promise<QuotaGroupView> {
    const [group] = await this.quota.loadGroups([name]);
    if (!group) throw RegistryError.notFound(`quota group ${name} does not exist`);
    return group;
  }

  /** Forgejo's createQuotaGroup: the rules given are created when they do not exist yet. */
  async createGroup(name: string, rules: QuotaRuleView[] = []): Promise<QuotaGroupView> {
    await this.db.transaction(async (em) => {
      try {
        await em.insert(QuotaGroupEntity, { name });
      } catch (err) {
        if (isUniqueViolation(err))
          throw RegistryError.conflict(`quota group ${name} already exists`);
        throw err;
      }
      for (const rule of rules) {
        if (!(await em.existsBy(QuotaRuleEntity, { name: rule.name })))
          await this.insertRule(em, rule);
        await em.insert(QuotaGroupRuleEntity, { groupName: name, ruleName: rule.name });
      }
    });
    return this.getGroup(name);
  }

  async deleteGroup(name: string): Promise<void> {
    await this.db.transaction(async (em) => {
      await em.delete(QuotaGroupRuleEntity, { groupName: name });
      await em.delete(QuotaGroupMappingEntity, { groupName: name });
      const result = await em.delete(QuotaGroupEntity, { name });
      if (!result.affected) throw RegistryError.notFound(`quota group ${name} does not exist`);
    });
  }

  async addRuleToGroup(group: string, rule: string): Promise<void> {
    await this.getGroup(group);
    await this.getRule(rule);
    await this.insertLink(
      QuotaGroupRuleEntity,
      { groupName: group, ruleName: rule },
      `rule ${rule} is already in quota group ${group}`,
    );
  }

  async removeRuleFromGroup(group: string, rule: string): Promise<void> {
    await this.getGroup(group);
    const result = await this.db.manager.delete(QuotaGroupRuleEntity, {
      groupName: group,
      ruleName: rule,
    });
    if (!result.affected)
      throw RegistryError.notFound(`rule ${rule} is not in quota group ${group}`);
  }

  /** Ids of the owners mapped to a group. */
  async listGroupOwners(group: string): Promise<number[]> {
    await this.getGroup(group);
    const rows = await this.db.manager.find(QuotaGroupMappingEntity, {
      where: { groupName: group },
      order: { userId: 'ASC' },
    });
    return rows.map((r) => r.userId);
  }

  async addOwnerToGroup(group: string, ownerId: number, ownerName: string): Promise<void> {
    await this.getGroup(group);
    await this.insertLink(
      QuotaGroupMappingEntity,
      { groupName: group, userId: ownerId },
      `${ownerName} is already in quota group ${group}`,
    );
  }

  async removeOwnerFromGroup(group: string, ownerId: number, ownerName: string): Promise<void> {
    await this.getGroup(group);
    const result = await this.db.manager.delete(QuotaGroupMappingEntity, {
      groupName: group,
      userId: ownerId,
    });
    if (!result.affected)
      throw RegistryError.notFound(`${ownerName} is not in quota group ${group}`);
  }

  /** Forgejo's adminSetUserQuotaGroups: the owner ends in exactly these groups. */
  async setOwnerGroups(ownerId: number, groups: string[]): Promise<void> {
    await this.db.transaction(async (em) => {
      await em.delete(QuotaGroupMappingEntity, { userId: ownerId });
      for (const groupName of new Set(groups)) {
        if (!(await em.existsBy(QuotaGroupEntity, { name: groupName })))
          throw RegistryError.notFound(`quota group ${groupName} does not exist`);
        await em.insert(QuotaGroupMappingEntity, { groupName, userId: ownerId });
      }
    });
  }

  /** The owner's versions (internal ones hidden) by the bytes of their files, largest first. */
  async usedVersions(
    ownerId: number,
    offset: number,
    limit: number,
  ): Promise<{ items: QuotaUsedVersion[]; total: number }> {
    const base = () =>
      this.db.manager
        .createQueryBuilder(PackageVersionEntity, 'v')
        .innerJoin(PackageEntity, 'p', 'p.id = v.package_id')
        .where('p.owner_id = :ownerId AND v.is_internal = 0 AND p.is_internal = 0', { ownerId });
    const total = await base().getCount();
    const rows = await base()
      .leftJoin('package_file', 'f', 'f.version_id = v.id')
      .leftJoin('package_blob', 'b', 'b.id = f.blob_id')
      .select('v.id', 'id')
      .addSelect('COALESCE(SUM(b.size), 0)', 'size')
      .groupBy('v.id')
      .orderBy('size', 'DESC')
      .addOrderBy('v.id', 'ASC')
      .offset(offset)
      .limit(limit)
      .getRawMany<{ id: number | string; size: number | string }>();
    const ids = rows.map((r) => Number(r.id));
    if (!ids.length) return { items: [], total };
    const versions = await this.db.manager.findBy(PackageVersionEntity, { id: In(ids) });
    const packages = await this.db.manager.findBy(PackageEntity, {
      id: In([...new Set(versions.map((v) => v.packageId))]),
    });
    const byId = new Map(versions.map((v) => [v.id, v]));
    const pkgById = new Map(packages.map((p) => [p.id, p]));
    const items = rows.map((r) => {
      const version = byId.get(Number(r.id))!;
      return { version, package: pkgById.get(version.packageId)!, size: Number(r.size) };
    });
    return { items, total };
  }

  private async insertRule(em: EntityManager, rule: QuotaRuleView): Promise<void> {
    try {
      await em.insert(QuotaRuleEntity, {
        name: rule.name,
        limit: rule.limit,
        subjectsJson: JSON.stringify(rule.subjects),
      });
    } catch (err) {
      if (isUniqueViolation(err))
        throw RegistryError.conflict(`quota rule ${rule.name} already exists`);
      throw err;
    }
  }

  private async insertLink<T extends object>(
    entity: new () => T,
    row: T,
    conflict: string,
  ): Promise<void> {
    try {
      await this.db.manager.insert(entity, row as never);
    } catch (err) {
      if (isUniqueViolation(err)) throw RegistryError.conflict(conflict);
      // The group, rule or owner went away meanwhile.
      if (isForeignKeyViolation(err))
        throw RegistryError.notFound(conflict.replace(/ is already in .*/, ' does not exist'));
      throw err;
    }
  }
}

function toRule(row: QuotaRuleEntity): QuotaRuleView {
  return { name: row.name, limit: row.limit, subjects: JSON.parse(row.subjectsJson) as string[] };
}

function definedOnly<T extends object>(changes: T): Partial<T> {
  return Object.fromEntries(
    Object.entries(changes).filter(([, v]) => v !== undefined),
  ) as Partial<T>;
}
