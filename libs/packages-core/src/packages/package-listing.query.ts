import { Injectable } from '@nestjs/common';
import { SelectQueryBuilder } from 'typeorm';
import { Database } from '../database/database.service';
import { PackageEntity, PackageVersionEntity, UserEntity } from '../entities';
import { PackageType } from './package-type';

export interface PackageListingFilter {
  /** Only these owners; undefined: every owner (an admin's view). */
  ownerIds?: number[];
  type?: PackageType;
  /** substring of the package name, case-insensitive */
  query?: string;
  offset: number;
  limit: number;
}

/** One row of a package list: the package, its owner, latest version and totals. */
export interface PackageListing {
  package: PackageEntity;
  owner: UserEntity;
  latest: PackageVersionEntity;
  versionCount: number;
  /** bytes of every file of every (non-internal) version */
  size: number;
}

/** Bytes stored per owner (files of every version, internal included, as quotas count them). */
export interface OwnerStorage {
  ownerId: number;
  bytes: number;
  packages: number;
}

/**
 * The web interface's package lists: packages with at least one published version, in
 * name order, a page at a time, with their latest version and sizes in a fixed number
 * of queries per page. Visibility is the caller's: it passes the owners it may show.
 */
@Injectable()
export class PackageListingQuery {
  constructor(private readonly db: Database) {}

  /** The owners (users and organizations) that have at least one published package. */
  async ownersWithPackages(): Promise<UserEntity[]> {
    return this.db.manager
      .createQueryBuilder(UserEntity, 'u')
      .where(
        `EXISTS (SELECT 1 FROM package p JOIN package_version v ON v.package_id = p.id
                  WHERE p.owner_id = u.id AND p.is_internal = :f AND v.is_internal = :f)`,
        { f: false },
      )
      .orderBy('u.lower_name', 'ASC')
      .getMany();
  }

  async list(filter: PackageListingFilter): Promise<{ items: PackageListing[]; total: number }> {
    if (filter.ownerIds && !filter.ownerIds.length) return { items: [], total: 0 };
    const qb = this.filtered(filter);
    const total = await qb.getCount();
    const rows = await qb
      .innerJoinAndMapOne('p.owner', UserEntity, 'u', 'u.id = p.owner_id')
      .orderBy('p.lower_name', 'ASC')
      .addOrderBy('u.lower_name', 'ASC')
      .addOrderBy('p.type', 'ASC')
      .offset(filter.offset)
      .limit(filter.limit)
      .getMany();
    const ids = rows.map((r) => r.id);
    const [latest, totals] = await Promise.all([this.latestVersions(ids), this.totals(ids)]);
    const items = rows.flatMap((row) => {
      const { owner, ...pkg } = row as PackageEntity & { owner: UserEntity };
      const newest = latest.get(row.id);
      if (!newest) return [];
      const sums = totals.get(row.id) ?? { versions: 0, size: 0 };
      return [
        {
          package: Object.assign(new PackageEntity(), pkg),
          owner,
          latest: newest,
          versionCount: sums.versions,
          size: sums.size,
        },
      ];
    });
    return { items, total };
  }

  /** Bytes and packages per owner, largest first (the admin page). */
  async storagePerOwner(): Promise<OwnerStorage[]> {
    const rows = await this.db.manager
      .createQueryBuilder()
      .select('p.owner_id', 'ownerId')
      .addSelect('COALESCE(SUM(b.size), 0)', 'bytes')
      .addSelect('COUNT(DISTINCT p.id)', 'packages')
      .from('package', 'p')
      .innerJoin('package_version', 'v', 'v.package_id = p.id')
      .innerJoin('package_file', 'f', 'f.version_id = v.id')
      .innerJoin('package_blob', 'b', 'b.id = f.blob_id')
      .groupBy('p.owner_id')
      .orderBy('bytes', 'DESC')
      .getRawMany<{
        ownerId: number | string;
        bytes: number | string;
        packages: number | string;
      }>();
    return rows.map((r) => ({
      ownerId: Number(r.ownerId),
      bytes: Number(r.bytes),
      packages: Number(r.packages),
    }));
  }

  private filtered(filter: PackageListingFilter): SelectQueryBuilder<PackageEntity> {
    const qb = this.db.manager
      .createQueryBuilder(PackageEntity, 'p')
      .where('p.is_internal = :f', { f: false })
      .andWhere(
        'EXISTS (SELECT 1 FROM package_version pv WHERE pv.package_id = p.id AND pv.is_internal = :f)',
      );
    if (filter.ownerIds) qb.andWhere('p.owner_id IN (:...owners)', { owners: filter.ownerIds });
    if (filter.type) qb.andWhere('p.type = :type', { type: filter.type });
    if (filter.query)
      qb.andWhere("p.lower_name LIKE :q ESCAPE '!'", {
        q: `%${filter.query.toLowerCase().replace(/[!%_]/g, (c) => `!${c}`)}%`,
      });
    return qb;
  }

  /** The newest published version of each package (by publication time, then id). */
  private async latestVersions(packageIds: number[]): Promise<Map<number, PackageVersionEntity>> {
    if (!packageIds.length) return new Map();
    const rows = await this.db.manager
      .createQueryBuilder(PackageVersionEntity, 'v')
      .where('v.package_id IN (:...ids) AND v.is_internal = :f', { ids: packageIds, f: false })
      .andWhere(
        `NOT EXISTS (SELECT 1 FROM package_version n WHERE n.package_id = v.package_id
           AND n.is_internal = :f
           AND (n.created_unix > v.created_unix OR (n.created_unix = v.created_unix AND n.id > v.id)))`,
      )
      .getMany();
    return new Map(rows.map((v) => [v.packageId, v]));
  }

  private async totals(
    packageIds: number[],
  ): Promise<Map<number, { versions: number; size: number }>> {
    if (!packageIds.length) return new Map();
    const counts = await this.db.manager
      .createQueryBuilder()
      .select('v.package_id', 'packageId')
      .addSelect('COUNT(*)', 'versions')
      .from('package_version', 'v')
      .where('v.package_id IN (:...ids) AND v.is_internal = :f', { ids: packageIds, f: false })
      .groupBy('v.package_id')
      .getRawMany<{ packageId: number | string; versions: number | string }>();
    const sizes = await this.db.manager
      .createQueryBuilder()
      .select('v.package_id', 'packageId')
      .addSelect('COALESCE(SUM(b.size), 0)', 'size')
      .from('package_version', 'v')
      .innerJoin('package_file', 'f', 'f.version_id = v.id')
      .innerJoin('package_blob', 'b', 'b.id = f.blob_id')
      .where('v.package_id IN (:...ids) AND v.is_internal = :f', { ids: packageIds, f: false })
      .groupBy('v.package_id')
      .getRawMany<{ packageId: number | string; size: number | string }>();
    const sizeOf = new Map(sizes.map((s) => [Number(s.packageId), Number(s.size)]));
    return new Map(
      counts.map((c) => [
        Number(c.packageId),
        { versions: Number(c.versions), size: sizeOf.get(Number(c.packageId)) ?? 0 },
      ]),
    );
  }
}
