import { Injectable } from '@nestjs/common';
import { Database } from '../database/database.service';
import { PackageEntity, UserEntity } from '../entities';
import { PackageType } from './package-type';

export interface CatalogEntry {
  package: PackageEntity;
  owner: UserEntity;
}

/**
 * Packages of one type across every owner, in (owner lower name, package lower name)
 * order, for registry-wide listings (the container `_catalog`) and per-type maintenance.
 * Visibility is the caller's business: this returns every owner's packages.
 */
@Injectable()
export class PackageCatalogQuery {
  constructor(private readonly db: Database) {}

  /** Up to `limit` entries strictly after `after` (`[ownerLowerName, packageLowerName]`). */
  async listAcrossOwners(
    type: PackageType,
    after: [string, string] | undefined,
    limit: number,
  ): Promise<CatalogEntry[]> {
    const qb = this.db.manager
      .createQueryBuilder(PackageEntity, 'p')
      .innerJoinAndMapOne('p.owner', UserEntity, 'u', 'u.id = p.owner_id')
      .where('p.type = :type AND p.is_internal = :f', { type, f: false });
    if (after) {
      qb.andWhere('(u.lower_name > :ao OR (u.lower_name = :ao AND p.lower_name > :ap))', {
        ao: after[0],
        ap: after[1],
      });
    }
    const rows = await qb
      .orderBy('u.lower_name', 'ASC')
      .addOrderBy('p.lower_name', 'ASC')
      .limit(limit)
      .getMany();
    return rows.map((row) => {
      const { owner, ...pkg } = row as PackageEntity & { owner: UserEntity };
      return { package: Object.assign(new PackageEntity(), pkg), owner };
    });
  }
}
