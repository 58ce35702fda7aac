import { BlobDigestService, CompleteBlob } from '../ingest/blob-digest.service';
import { Injectable } from '@nestjs/common';
import { Brackets, In } from 'typeorm';
import { AppConfig } from '../config/config';
import { Database } from '../database/database.service';
import { DOCUMENT_SHARDS } from '../documents/document-shards';
import {
  PackageBlobEntity,
  PackageEntity,
  PackageFileEntity,
  PackageVersionEntity,
  PropertyRefType,
} from '../entities';
import { PackageType } from './package-type';

/** Property rows of one ref, grouped by name. */
export type PropertyValues = Record<string, string[]>;

/**
 * The read model: a version with everything documents are built from, loaded in a fixed
 * number of queries. `M` is the format's metadata type (the parsed `metadata_json`;
 * null when the version has none).
 */
export interface VersionDescriptor<M = unknown> {
  package: PackageEntity;
  version: PackageVersionEntity;
  metadata: M | null;
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
  /** exact file name, case-insensitive (an index lookup, unlike `name`) */
  exactName?: string;
  /** every pair must exist on the file */
  properties?: Record<string, string>;
  sha256?: string;
}

/** Which versions {@link PackageQueryService.loadDescriptors} loads, when not given by id. */
export interface DescriptorFilter {
  ownerId: number;
  type: PackageType;
  /** one package (by id) */
  packageId?: number;
  /** only packages of these shards (document-shards.ts), for indexes cached per shard */
  shards?: number[];
  includeInternal?: boolean;
}

/** The format's typed metadata of a descriptor (the JSON the format stored at publish). */
export function metadataOf<M>(descriptor: VersionDescriptor): M | null {
  return descriptor.metadata as M | null;
}

// IN-lists are cut into chunks well under SQLite's and MySQL's parameter limits, so the
// read model costs a fixed number of queries per chunk of this many ids.
export const IN_LIST_CHUNK = 500;

/** Reads of packages, versions and files. Internal versions are hidden unless asked for. */
@Injectable()
export class PackageQueryService {
  constructor(
    private readonly db: Database,
    private readonly config: AppConfig,
    private readonly digests: BlobDigestService,
  ) {}

  /**
   * Every digest of these blobs, for a reader that serves md5, sha1 or sha512: bytes
   * stored through a sha256-only format get them computed once and stored (see
   * BlobDigestService); for all others this costs nothing.
   */
  completeDigests<T extends PackageBlobEntity>(blobs: T[]): Promise<CompleteBlob<T>[]> {
    return this.digests.complete(blobs);
  }

  /** {@link completeDigests} for every file of these versions. */
  async completeDescriptorDigests(descriptors: VersionDescriptor[]): Promise<void> {
    await this.digests.complete(descriptors.flatMap((d) => d.files.map((f) => f.blob)));
  }

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

  /** A file of a version with its blob; null when either is missing. */
  async findFileWithBlob(
    versionId: number,
    name: string,
    compositeKey = '',
  ): Promise<{ file: PackageFileEntity; blob: PackageBlobEntity } | null> {
    const file = await this.findFile(versionId, name, compositeKey);
    const blob = file && (await this.getBlob(file.blobId));
    return file && blob ? { file, blob } : null;
  }

  /**
   * A file by its path (owner, type, package name, version, file name) with its blob, in
   * one query: the download routes ask this on every request, where four lookups and
   * four hydrations cost more than the bytes of a small file. Null when any part is missing.
   */
  async findFileByPath(
    ownerId: number,
    type: PackageType,
    name: string,
    version: string,
    filename: string,
    compositeKey = '',
  ): Promise<{ file: PackageFileEntity; blob: PackageBlobEntity } | null> {
    const rows: Record<string, unknown>[] = await this.em.query(
      `SELECT f.id, f.version_id, f.blob_id, f.name, f.lower_name, f.composite_key, f.is_lead,
              f.created_unix, b.storage_id, b.size, b.hash_md5, b.hash_sha1, b.hash_sha256,
              b.hash_sha512, b.created_unix AS blob_created_unix
         FROM package p
         JOIN package_version v ON v.package_id = p.id
         JOIN package_file f ON f.version_id = v.id
         JOIN package_blob b ON b.id = f.blob_id
        WHERE p.owner_id = ? AND p.type = ? AND p.lower_name = ? AND v.lower_version = ?
          AND f.lower_name = ? AND f.composite_key = ?`,
      [
        ownerId,
        type,
        name.toLowerCase(),
        version.toLowerCase(),
        filename.toLowerCase(),
        compositeKey,
      ],
    );
    const row = rows[0];
    if (!row) return null;
    const file = Object.assign(new PackageFileEntity(), {
      id: Number(row.id),
      versionId: Number(row.version_id),
      blobId: Number(row.blob_id),
      name: String(row.name),
      lowerName: String(row.lower_name),
      compositeKey: String(row.composite_key),
      isLead: Boolean(Number(row.is_lead)),
      createdUnix: Number(row.created_unix),
    });
    const blob = Object.assign(new PackageBlobEntity(), {
      id: file.blobId,
      storageId: String(row.storage_id),
      size: Number(row.size),
      hashMd5: nullableString(row.hash_md5),
      hashSha1: nullableString(row.hash_sha1),
      hashSha256: String(row.hash_sha256),
      hashSha512: nullableString(row.hash_sha512),
      createdUnix: Number(row.blob_created_unix),
    });
    return { file, blob };
  }

  /** `{base}/api/packages/{owner}/{type}`, the root of a format's URLs (the container registry's is /v2). */
  packageBaseUrl(owner: { name: string } | string, type: PackageType): string {
    const name = typeof owner === 'string' ? owner : owner.name;
    return `${this.config.baseUrl}/api/packages/${encodeURIComponent(name)}/${type}`;
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
    if (search.exactName)
      qb.andWhere('f.lower_name = :exact', { exact: search.exactName.toLowerCase() });
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
    // A plain query: the manifest GET asks this on every request, and entity hydration
    // cost more than the rows.
    const rows = await this.findChunked(
      [...result.keys()],
      (ids): Promise<{ ref_id: number | string; name: string; value: string }[]> =>
        this.em.query(
          `SELECT ref_id, name, value FROM package_property
            WHERE ref_type = ? AND ref_id IN (${ids.map(() => '?').join(', ')}) ORDER BY id`,
          [refType, ...ids],
        ),
    );
    for (const row of rows) {
      const values = result.get(Number(row.ref_id))!;
      (values[row.name] ??= []).push(row.value);
    }
    return result;
  }

  /** One version with package, metadata, properties, files and blobs. */
  async loadDescriptor<M = unknown>(versionId: number): Promise<VersionDescriptor<M> | null> {
    return (await this.loadDescriptors<M>([versionId]))[0] ?? null;
  }

  /**
   * The descriptors of many versions in a fixed number of queries whatever their number
   * (seven per chunk of {@link IN_LIST_CHUNK} ids: versions, packages, files, blobs and
   * the three kinds of properties). By ids: in the order given, missing ids skipped. By
   * filter: the matching versions oldest first, internal ones only when asked for.
   */
  async loadDescriptors<M = unknown>(
    versions: number[] | DescriptorFilter,
  ): Promise<VersionDescriptor<M>[]> {
    const rows = Array.isArray(versions)
      ? await this.versionsById(versions)
      : await this.versionsMatching(versions);
    if (!rows.length) return [];
    const packageIds = [...new Set(rows.map((v) => v.packageId))];
    const [packages, pkgProps, verProps, files] = await Promise.all([
      this.findChunked(packageIds, (ids) => this.em.findBy(PackageEntity, { id: In(ids) })),
      this.getProperties(PropertyRefType.Package, packageIds),
      this.getProperties(
        PropertyRefType.Version,
        rows.map((v) => v.id),
      ),
      this.findChunked(
        rows.map((v) => v.id),
        (ids) =>
          this.em.find(PackageFileEntity, { where: { versionId: In(ids) }, order: { id: 'ASC' } }),
      ),
    ]);
    const packageById = new Map(packages.map((p) => [p.id, p]));
    const filesByVersion = new Map<number, FileDescriptor[]>();
    for (const file of await this.describeFiles(files)) {
      const list = filesByVersion.get(file.file.versionId);
      if (list) list.push(file);
      else filesByVersion.set(file.file.versionId, [file]);
    }
    return rows.map((version) => ({
      package: packageById.get(version.packageId)!,
      version,
      metadata: version.metadataJson ? (JSON.parse(version.metadataJson) as M) : null,
      packageProperties: pkgProps.get(version.packageId)!,
      versionProperties: verProps.get(version.id)!,
      files: filesByVersion.get(version.id) ?? [],
    }));
  }

  private async versionsById(ids: number[]): Promise<PackageVersionEntity[]> {
    const found = await this.findChunked([...new Set(ids)], (chunk) =>
      this.em.findBy(PackageVersionEntity, { id: In(chunk) }),
    );
    const byId = new Map(found.map((v) => [v.id, v]));
    return ids.flatMap((id) => byId.get(id) ?? []);
  }

  private versionsMatching(filter: DescriptorFilter): Promise<PackageVersionEntity[]> {
    if (filter.shards) return this.versionsOfShards(filter, filter.shards);
    const qb = this.em
      .createQueryBuilder(PackageVersionEntity, 'v')
      .innerJoin(PackageEntity, 'p', 'p.id = v.package_id')
      .where('p.owner_id = :ownerId AND p.type = :type', {
        ownerId: filter.ownerId,
        type: filter.type,
      });
    if (filter.packageId !== undefined) qb.andWhere('p.id = :pid', { pid: filter.packageId });
    if (!filter.includeInternal)
      qb.andWhere('v.is_internal = :f AND p.is_internal = :f', { f: false });
    return qb.orderBy('v.created_unix', 'ASC').addOrderBy('v.id', 'ASC').getMany();
  }

  /**
   * The versions of the packages in `shards`, oldest first, in one query: the database
   * picks the packages by `id % DOCUMENT_SHARDS` from the owner's package index.
   */
  private versionsOfShards(
    filter: DescriptorFilter,
    shards: number[],
  ): Promise<PackageVersionEntity[]> {
    const wanted = [...new Set(shards)].filter((s) => Number.isInteger(s));
    const qb = this.em
      .createQueryBuilder(PackageVersionEntity, 'v')
      .innerJoin(PackageEntity, 'p', 'p.id = v.package_id')
      .where('p.owner_id = :ownerId AND p.type = :type', {
        ownerId: filter.ownerId,
        type: filter.type,
      })
      .andWhere(`(p.id % ${DOCUMENT_SHARDS}) IN (:...shards)`, {
        shards: wanted.length ? wanted : [-1],
      });
    if (filter.packageId !== undefined) qb.andWhere('p.id = :pid', { pid: filter.packageId });
    if (!filter.includeInternal)
      qb.andWhere('v.is_internal = :f AND p.is_internal = :f', { f: false });
    return qb.orderBy('v.created_unix', 'ASC').addOrderBy('v.id', 'ASC').getMany();
  }

  /** Runs `find` once per chunk of ids and concatenates the results. */
  private async findChunked<T>(ids: number[], find: (chunk: number[]) => Promise<T[]>) {
    const results: T[] = [];
    for (let i = 0; i < ids.length; i += IN_LIST_CHUNK)
      results.push(...(await find(ids.slice(i, i + IN_LIST_CHUNK))));
    return results;
  }

  private async describeFiles(files: PackageFileEntity[]): Promise<FileDescriptor[]> {
    if (!files.length) return [];
    const blobs = await this.findChunked([...new Set(files.map((f) => f.blobId))], (ids) =>
      this.em.findBy(PackageBlobEntity, { id: In(ids) }),
    );
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

/** A digest column that is null until computed (see PackageBlobEntity). */
function nullableString(value: unknown): string | null {
  return value === null || value === undefined ? null : String(value);
}
