import { Injectable } from '@nestjs/common';
import { Database } from '../database/database.service';
import {
  PackageBlobEntity,
  PackageEntity,
  PackageFileEntity,
  PackageVersionEntity,
  UserEntity,
} from '../entities';
import { PackageType } from './package-type';

export interface CatalogEntry {
  package: PackageEntity;
  owner: UserEntity;
}

/**
 * Packages of one type across every owner, in (owner lower name, package lower name)
 * order, for registry-wide listings (the container `_catalog`) and per-type maintenance,
 * and files across the packages of one owner. Visibility is the caller's business: this
 * returns every owner's packages, internal versions included.
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

  /**
   * A file named `file` in version `version` of any package of `type` that `ownerId` has
   * (internal versions included; the oldest such file), with its blob — e.g. the image of
   * an owner that already holds a container blob, for a mount without a source.
   */
  async findFileInOwner(
    ownerId: number,
    type: PackageType,
    version: string,
    file: string,
  ): Promise<{ file: PackageFileEntity; blob: PackageBlobEntity } | undefined> {
    const row = await this.db.manager
      .createQueryBuilder(PackageFileEntity, 'f')
      .innerJoin(PackageVersionEntity, 'v', 'v.id = f.version_id')
      .innerJoin(PackageEntity, 'p', 'p.id = v.package_id')
      .innerJoinAndMapOne('f.blob', PackageBlobEntity, 'b', 'b.id = f.blob_id')
      .where('p.owner_id = :ownerId AND p.type = :type', { ownerId, type })
      .andWhere('v.lower_version = :version AND f.lower_name = :file', {
        version: version.toLowerCase(),
        file: file.toLowerCase(),
      })
      .orderBy('f.id', 'ASC')
      .getOne();
    if (!row) return undefined;
    const { blob, ...rest } = row as PackageFileEntity & { blob: PackageBlobEntity };
    return { file: Object.assign(new PackageFileEntity(), rest), blob };
  }
}
