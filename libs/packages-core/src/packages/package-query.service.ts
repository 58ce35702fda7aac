import { Injectable } from '@nestjs/common';
import { Brackets, In } from 'typeorm';
import { Database } from '../database/database.service';
import {
  PackageBlobEntity,
  PackageEntity,
  PackageFileEntity,
  PackagePropertyEntity,
  PackageVersionEntity,
  PropertyRefType,
} from '../entities';
import { PackageType } from './package-type';

/** Property rows of one ref, grouped by name. */
export type PropertyValues = Record<string, string[]>;

/** The read model: a version with everything documents are built from, loaded in a fixed number of queries. */
export interface VersionDescriptor {
  package: PackageEntity;
  version: PackageVersionEntity;
  metadata: unknown;
  packageProperties: PropertyValues;
  versionProperties: PropertyValues;
  files: FileDescriptor[];
}

export interface FileDescriptor {
  file: PackageFileEntity;
  blob: PackageBlobEntity;
  properties: PropertyValues;
}

export interface VersionSearch {
  ownerId: number;
  type?: PackageType;
  /** substring of the package name, case-insensitive */
  query?: string;
  /** exact package name, case-insensitive */
  name?: string;
  includeInternal?: boolean;
  /** every pair must exist on the version */
  properties?: Record<string, string>;
  offset?: number;
  limit?: number;
}

export interface FileSearch {
  ownerId: number;
  type: PackageType;
  versionId?: number;
  compositeKey?: string;
  /** file name LIKE, case-insensitive: wrapped in %…% unless it starts or ends with % */
  name?: string;
  /** every pair must exist on the file */
  properties?: Record<string, string>;
  sha256?: string;
}

/** Reads of packages, versions and files. Internal versions are hidden unless asked for. */
@Injectable()
export class PackageQueryService {
  constructor(private readonly db: Database) {}

  private get em() {
    return this.db.manager;
  }

  findPackage(ownerId: number, type: PackageType, name: string): Promise<PackageEntity | null> {
    return this.em.findOneBy(PackageEntity, { ownerId, type, lowerName: name.toLowerCase() });
  }

  findVersion(packageId: number, version: string): Promise<PackageVersionEntity | null> {
    return this.em.findOneBy(PackageVersionEntity, {
      packageId,
      lowerVersion: version.toLowerCase(),
    });
  }

  async findVersionByName(ownerId: number, type: PackageType, name: string, version: string) {
    const pkg = await this.findPackage(ownerId, type, name);
    const ver = pkg && (await this.findVersion(pkg.id, version));
    return pkg && ver ? { package: pkg, version: ver } : null;
  }

  /** Versions of a package, oldest first. */
  listVersions(packageId: number, includeInternal = false): Promise<PackageVersionEntity[]> {
    return this.em.find(PackageVersionEntity, {
      where: { packageId, ...(includeInternal ? {} : { isInternal: false }) },
      order: { createdUnix: 'ASC', id: 'ASC' },
    });
  }

  listPackages(ownerId: number, type: PackageType): Promise<PackageEntity[]> {
    return this.em.find(PackageEntity, {
      where: { ownerId, type, isInternal: false },
      order: { lowerName: 'ASC' },
    });
  }

  findFile(versionId: number, name: string, compositeKey = ''): Promise<PackageFileEntity | null> {
    return this.em.findOneBy(PackageFileEntity, {
      versionId,
      lowerName: name.toLowerCase(),
      compositeKey,
    });
  }

  async listFiles(versionId: number): Promise<FileDescriptor[]> {
    const files = await this.em.find(PackageFileEntity, {
      where: { versionId },
      order: { id: 'ASC' },
    });
    return this.describeFiles(files);
  }

  getBlob(blobId: number): Promise<PackageBlobEntity | null> {
    return this.em.findOneBy(PackageBlobEntity, { id: blobId });
  }

  findBlobBySha256(sha256: string): Promise<PackageBlobEntity | null> {
    return this.em.findOneBy(PackageBlobEntity, { hashSha256: sha256.toLowerCase() });
  }

  /** Newest first, paged; returns the page and the total count. */
  async searchVersions(search: VersionSearch): Promise<{
    items: { package: PackageEntity; version: PackageVersionEntity }[];
    total: number;
  }> {
    const qb = this.em
      .createQueryBuilder(PackageVersionEntity, 'v')
      .innerJoin(PackageEntity, 'p', 'p.id = v.package_id')
      .where('p.owner_id = :ownerId', { ownerId: search.ownerId });
    if (search.type) qb.andWhere('p.type = :type', { type: search.type });
    if (!search.includeInternal)
      qb.andWhere('v.is_internal = :f AND p.is_internal = :f', { f: false });
    if (search.name) qb.andWhere('p.lower_name = :name', { name: search.name.toLowerCase() });
    if (search.query)
      qb.andWhere("p.lower_name LIKE :q ESCAPE '!'", {
        q: `%${escapeLike(search.query.toLowerCase())}%`,
      });
    Object.entries(search.properties ?? {}).forEach(([name, value], i) => {
      qb.andWhere(
        `EXISTS (SELECT 1 FROM package_property pp${i} WHERE pp${i}.ref_type = :rt${i} AND pp${i}.ref_id = v.id AND pp${i}.name = :pn${i} AND pp${i}.value = :pv${i})`,
        { [`rt${i}`]: PropertyRefType.Version, [`pn${i}`]: name, [`pv${i}`]: value },
      );
    });
    const total = await qb.getCount();
    const versions = await qb
      .orderBy('v.created_unix', 'DESC')
      .addOrderBy('v.id', 'DESC')
      .offset(search.offset ?? 0)
      .limit(search.limit ?? 50)
      .getMany();
    const packages = await this.em.findBy(PackageEntity, {
      id: In([...new Set(versions.map((v) => v.packageId)), 0]),
    });
    const byId = new Map(packages.map((p) => [p.id, p]));
    return { items: versions.map((v) => ({ package: byId.get(v.packageId)!, version: v })), total };
  }

  async searchFiles(search: FileSearch): Promise<FileDescriptor[]> {
    const qb = this.em
      .createQueryBuilder(PackageFileEntity, 'f')
      .innerJoin(PackageVersionEntity, 'v', 'v.id = f.version_id')
      .innerJoin(PackageEntity, 'p', 'p.id = v.package_id')
      .where('p.owner_id = :ownerId AND p.type = :type', {
        ownerId: search.ownerId,
        type: search.type,
      });
    if (search.versionId !== undefined) qb.andWhere('v.id = :vid', { vid: search.versionId });
    else qb.andWhere('v.is_internal = :f', { f: false });
    if (search.compositeKey !== undefined)
      qb.andWhere('f.composite_key = :ck', { ck: search.compositeKey });
    if (search.name) {
      const n = search.name.toLowerCase();
      qb.andWhere("f.lower_name LIKE :n ESCAPE '!'", {
        n: n.startsWith('%') || n.endsWith('%') ? n : `%${escapeLike(n)}%`,
      });
    }
    if (search.sha256) {
      qb.innerJoin(PackageBlobEntity, 'b', 'b.id = f.blob_id').andWhere('b.hash_sha256 = :sha', {
        sha: search.sha256,
      });
    }
    Object.entries(search.properties ?? {}).forEach(([name, value], i) => {
      qb.andWhere(
        new Brackets((w) =>
          w.where(
            `EXISTS (SELECT 1 FROM package_property fp${i} WHERE fp${i}.ref_type = :frt${i} AND fp${i}.ref_id = f.id AND fp${i}.name = :fn${i} AND fp${i}.value = :fv${i})`,
            { [`frt${i}`]: PropertyRefType.File, [`fn${i}`]: name, [`fv${i}`]: value },
          ),
        ),
      );
    });
    return this.describeFiles(await qb.orderBy('f.id', 'ASC').getMany());
  }

  async getProperties(
    refType: PropertyRefType,
    refIds: number[],
  ): Promise<Map<number, PropertyValues>> {
    const result = new Map<number, PropertyValues>(refIds.map((id) => [id, {}]));
    if (!refIds.length) return result;
    const rows = await this.em.find(PackagePropertyEntity, {
      where: { refType, refId: In(refIds) },
      order: { id: 'ASC' },
    });
    for (const row of rows) {
      const values = result.get(row.refId)!;
      (values[row.name] ??= []).push(row.value);
    }
    return result;
  }

  /** One version with package, metadata, properties, files and blobs. */
  async loadDescriptor(versionId: number): Promise<VersionDescriptor | null> {
    const version = await this.em.findOneBy(PackageVersionEntity, { id: versionId });
    if (!version) return null;
    const pkg = await this.em.findOneByOrFail(PackageEntity, { id: version.packageId });
    const [pkgProps, verProps, files] = await Promise.all([
      this.getProperties(PropertyRefType.Package, [pkg.id]),
      this.getProperties(PropertyRefType.Version, [version.id]),
      this.listFiles(version.id),
    ]);
    return {
      package: pkg,
      version,
      metadata: version.metadataJson ? JSON.parse(version.metadataJson) : null,
      packageProperties: pkgProps.get(pkg.id)!,
      versionProperties: verProps.get(version.id)!,
      files,
    };
  }

  private async describeFiles(files: PackageFileEntity[]): Promise<FileDescriptor[]> {
    if (!files.length) return [];
    const blobs = await this.em.findBy(PackageBlobEntity, {
      id: In([...new Set(files.map((f) => f.blobId))]),
    });
    const blobById = new Map(blobs.map((b) => [b.id, b]));
    const props = await this.getProperties(
      PropertyRefType.File,
      files.map((f) => f.id),
    );
    return files.map((file) => ({
      file,
      blob: blobById.get(file.blobId)!,
      properties: props.get(file.id)!,
    }));
  }
}

/** `!` is the LIKE escape on both databases (a backslash means different things in their literals). */
function escapeLike(text: string): string {
  return text.replace(/[!%_]/g, (c) => `!${c}`);
}
