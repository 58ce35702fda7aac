import { Inject, Injectable, Logger } from '@nestjs/common';
import { EntityManager, In } from 'typeorm';
import {
  Database,
  isForeignKeyViolation,
  isUniqueViolation,
  RetryTransaction,
} from '../database/database.service';
import {
  nowUnix,
  PackageBlobEntity,
  PackageBlobUploadEntity,
  PackageEntity,
  PackageFileEntity,
  PackagePropertyEntity,
  PackageVersionEntity,
  PropertyRefType,
} from '../entities';
import { appendIndexSegment } from '../documents/index-log';
import { RegistryError } from '../errors/registry-error';
import { StagedContent } from '../ingest/ingest.service';
import { OwnerLimits, QuotaService } from '../quota/quota.service';
import { BLOB_STORAGE, BlobStorage } from '../storage/blob-storage';
import { blobKey } from '../storage/blob-keys';
import { queueObjects, unqueueObjects } from './gc-queue';
import { FileSpec, PackageSpec, VersionSpec } from './package-specs';
import {
  ChangedScopes,
  deleteVersionRows,
  insertProperties,
  packageOfRef,
  setPropertyIn,
} from './package-rows';
import { IN_LIST_CHUNK } from './package-query.service';
import { PublishOptions, PublishResult } from './publish-transaction';

export type { PublishOptions, PublishResult, PublishTransaction } from './publish-transaction';

type VersionMode = 'create' | 'create-or-reuse' | 'must-exist';

/**
 * Every write to packages: each call is one transaction, so two concurrent publishes of
 * one version end with one success and one conflict, and a failure leaves no row and no
 * blob behind. Staged blobs passed in are committed (or reused by sha256) on success and
 * discarded on failure — callers never clean up after these methods. Each transaction
 * also bumps the generations of the documents it changes (DocumentCache).
 */
@Injectable()
export class PackageService {
  private readonly log = new Logger(PackageService.name);

  constructor(
    private readonly db: Database,
    @Inject(BLOB_STORAGE) private readonly storage: BlobStorage,
    private readonly quota: QuotaService,
  ) {}

  /** New version with its first file; 409 when the version exists. */
  createVersionWithFile(
    pkg: PackageSpec,
    version: VersionSpec,
    file: FileSpec,
    options?: PublishOptions,
  ): Promise<PublishResult> {
    return this.publish(pkg, version, file, 'create', options);
  }

  /** Adds a file, creating package and version as needed; 409 when the file exists. */
  createOrAddFile(
    pkg: PackageSpec,
    version: VersionSpec,
    file: FileSpec,
    options?: PublishOptions,
  ): Promise<PublishResult> {
    return this.publish(pkg, version, file, 'create-or-reuse', options);
  }

  /** Adds a file to a version that must exist (404 otherwise). */
  addFileToVersion(
    pkg: PackageSpec,
    version: VersionSpec,
    file: FileSpec,
    options?: PublishOptions,
  ): Promise<PublishResult> {
    return this.publish(pkg, version, file, 'must-exist', options);
  }

  /** Creates a version without files (formats whose versions are documents, e.g. a manifest list). */
  async createVersion(
    pkg: PackageSpec,
    version: VersionSpec,
    options?: PublishOptions,
  ): Promise<{ package: PackageEntity; version: PackageVersionEntity }> {
    const limits = await this.limitsOf(pkg.ownerId);
    return this.write(async (em, changed) => {
      if (limits) await this.quota.lockOwner(em, pkg.ownerId);
      const p = await this.getOrCreatePackage(em, pkg);
      const v = await this.getOrCreateVersion(em, p, version, 'create');
      if (limits) await this.quota.enforceInTransaction(em, limits, { bytes: 0, version: true });
      changed.package(p);
      await this.runHook(em, changed, options, { package: p, ...v });
      return { package: p, version: v.version };
    });
  }

  /** Replaces a version's metadata JSON (e.g. npm deprecate). */
  async updateVersionMetadata(versionId: number, metadata: unknown): Promise<void> {
    await this.write(async (em, changed) => {
      await em.update(
        PackageVersionEntity,
        { id: versionId },
        { metadataJson: JSON.stringify(metadata) },
      );
      const pkg = await packageOfRef(em, PropertyRefType.Version, versionId);
      if (pkg) changed.package(pkg);
    });
  }

  /** Replaces every property of one name on a row (e.g. moving a dist-tag). */
  async setProperty(
    refType: PropertyRefType,
    refId: number,
    name: string,
    values: string[],
  ): Promise<void> {
    await this.write((em, changed) => setPropertyIn(em, changed, refType, refId, name, values));
  }

  /** Deletes a file; the version goes too when it was its last file, if `dropEmptyVersion`. */
  async deleteFile(fileId: number, dropEmptyVersion = true): Promise<void> {
    await this.deleteFiles([fileId], dropEmptyVersion);
  }

  /**
   * Deletes several files in one transaction (all or none: a Conan revision with its
   * packages); each version left without files goes too, if `dropEmptyVersion`. 404 when
   * one of them is gone.
   */
  async deleteFiles(fileIds: number[], dropEmptyVersion = true): Promise<void> {
    const blobIds = await this.write(async (em, changed) => {
      const ids = [...new Set(fileIds)];
      const files: PackageFileEntity[] = [];
      for (let i = 0; i < ids.length; i += IN_LIST_CHUNK)
        files.push(
          ...(await em.findBy(PackageFileEntity, { id: In(ids.slice(i, i + IN_LIST_CHUNK)) })),
        );
      if (files.length !== ids.length) throw RegistryError.notFound('file not found');
      const versionIds = [...new Set(files.map((f) => f.versionId))];
      for (const versionId of versionIds) {
        const pkg = await packageOfRef(em, PropertyRefType.Version, versionId);
        if (pkg) changed.package(pkg);
      }
      for (let i = 0; i < ids.length; i += IN_LIST_CHUNK) {
        const chunk = ids.slice(i, i + IN_LIST_CHUNK);
        await em.delete(PackagePropertyEntity, { refType: PropertyRefType.File, refId: In(chunk) });
        await em.delete(PackageFileEntity, { id: In(chunk) });
      }
      if (dropEmptyVersion) {
        const emptied: number[] = [];
        for (const versionId of versionIds)
          if ((await em.countBy(PackageFileEntity, { versionId })) === 0) emptied.push(versionId);
        if (emptied.length) await deleteVersionRows(em, emptied);
      }
      return files.map((f) => f.blobId);
    });
    await this.removeUnreferencedBlobs(blobIds);
  }

  /** Deletes a version with its files and properties. */
  async deleteVersion(versionId: number): Promise<void> {
    const blobIds = await this.write(async (em, changed) => {
      // The version row is locked first (MySQL; SQLite runs one writer at a time), so of
      // two replicas deleting it at once one deletes and the other answers 404.
      const held = await em.findOne(PackageVersionEntity, {
        where: { id: versionId },
        select: { id: true },
        ...(this.db.isSqlite ? {} : { lock: { mode: 'pessimistic_write' as const } }),
      });
      const pkg = held && (await packageOfRef(em, PropertyRefType.Version, versionId));
      if (!pkg) throw RegistryError.notFound('version not found');
      changed.package(pkg);
      return deleteVersionRows(em, [versionId]);
    });
    await this.removeUnreferencedBlobs(blobIds);
  }

  /** Deletes a package with every version. */
  async deletePackage(packageId: number): Promise<void> {
    const blobIds = await this.write(async (em, changed) => {
      const pkg = await em.findOneBy(PackageEntity, { id: packageId });
      if (!pkg) throw RegistryError.notFound('package not found');
      changed.package(pkg);
      const versions = await em.find(PackageVersionEntity, {
        where: { packageId },
        select: { id: true },
      });
      const ids = await deleteVersionRows(
        em,
        versions.map((v) => v.id),
      );
      await em.delete(PackagePropertyEntity, {
        refType: PropertyRefType.Package,
        refId: packageId,
      });
      await em.delete(PackageEntity, { id: packageId });
      return ids;
    });
    await this.removeUnreferencedBlobs(blobIds);
  }

  /**
   * Deletes blob rows nothing references any more, then their objects. Row first: a
   * concurrent publish that still wants the blob fails its foreign key and retries
   * with its own staged copy, so no file can point at a deleted object. The row's
   * transaction queues the object for the collection ({@link queueObjects}), so a process
   * killed before the object is deleted leaves it to the next pass, not behind for good.
   */
  async removeUnreferencedBlobs(blobIds: number[]): Promise<number> {
    let removed = 0;
    for (const id of new Set(blobIds)) {
      const blob = await this.db.manager.findOneBy(PackageBlobEntity, { id });
      if (!blob) continue;
      let queued: boolean;
      try {
        const gone = await this.db.transaction(async (em) => {
          const result = await em
            .createQueryBuilder()
            .delete()
            .from(PackageBlobEntity)
            .where('id = :id', { id })
            .andWhere(`NOT EXISTS (SELECT 1 FROM package_file f WHERE f.blob_id = :id)`)
            .execute();
          if (!result.affected) return undefined;
          // a staging row of the same id (the upload it came from) already leads the session sweep to the object
          if (await em.existsBy(PackageBlobUploadEntity, { id: blob.storageId })) return false;
          await queueObjects(em, [blob.storageId]);
          return true;
        });
        if (gone === undefined) continue;
        queued = gone;
      } catch (err) {
        if (isForeignKeyViolation(err)) continue; // referenced again meanwhile
        throw err;
      }
      await this.storage.delete(blobKey(blob.storageId));
      if (queued) await unqueueObjects(this.db, [blob.storageId]);
      removed++;
    }
    return removed;
  }

  /** One write transaction that bumps the generations of the scopes it changed, last. */
  private write<T>(work: (em: EntityManager, changed: ChangedScopes) => Promise<T>): Promise<T> {
    return this.db.transaction(async (em) => {
      const changed = new ChangedScopes();
      const result = await work(em, changed);
      await changed.bump(em);
      return result;
    });
  }

  private async runHook(
    em: EntityManager,
    changed: ChangedScopes,
    options: PublishOptions | undefined,
    done: {
      package: PackageEntity;
      version: PackageVersionEntity;
      file?: PackageFileEntity;
      created: boolean;
    },
  ): Promise<void> {
    if (!options?.inTransaction) return;
    const { package: pkg, version, file, created } = done;
    await options.inTransaction({
      package: pkg,
      version,
      file,
      createdVersion: created,
      setProperty: (refType, refId, name, values) =>
        setPropertyIn(em, changed, refType, refId, name, values),
      setVersionMetadata: async (metadata) => {
        await em.update(
          PackageVersionEntity,
          { id: version.id },
          { metadataJson: JSON.stringify(metadata) },
        );
      },
      bumpScope: (scope) => changed.add(pkg.ownerId, pkg.type, scope),
      appendToIndexLog: async (log, spec, fragments) => {
        if (!file) throw new Error('appendToIndexLog needs a published file');
        await appendIndexSegment(
          em,
          { ownerId: pkg.ownerId, type: pkg.type, log },
          spec,
          file.id,
          fragments,
        );
      },
    });
  }

  private async publish(
    pkg: PackageSpec,
    version: VersionSpec,
    file: FileSpec,
    mode: VersionMode,
    options?: PublishOptions,
  ): Promise<PublishResult> {
    const staged = 'storageId' in file.blob ? file.blob : undefined;
    let reusedExisting = false;
    try {
      const limits = await this.limitsOf(pkg.ownerId);
      const result = await this.write(async (em, changed) => {
        // Lock first: the usage read at the end must see every publish committed before it.
        if (limits) await this.quota.lockOwner(em, pkg.ownerId);
        const p = await this.getOrCreatePackage(em, pkg);
        const v = await this.getOrCreateVersion(em, p, version, mode);
        const blob = await this.commitBlob(em, file.blob);
        reusedExisting = !!staged && blob.storageId !== staged.storageId;
        const { file: f, inserted } = await this.insertFile(em, v.version.id, blob.id, file);
        if (limits)
          await this.quota.enforceInTransaction(em, limits, {
            bytes: inserted ? blob.size : 0,
            version: v.created,
          });
        changed.package(p);
        await this.runHook(em, changed, options, { package: p, ...v, file: f });
        return { package: p, version: v.version, file: f, createdVersion: v.created };
      });
      if (staged && reusedExisting) await this.dropStaged(staged);
      return result;
    } catch (err) {
      if (staged) await this.dropStaged(staged);
      throw err;
    }
  }

  /** The owner's limits when any could refuse a publish; undefined skips the lock and the sums. */
  private async limitsOf(ownerId: number): Promise<OwnerLimits | undefined> {
    const limits = await this.quota.limitsFor(ownerId);
    return QuotaService.applies(limits) ? limits : undefined;
  }

  private async getOrCreatePackage(em: EntityManager, spec: PackageSpec): Promise<PackageEntity> {
    const lowerName = spec.name.toLowerCase();
    const found = await em.findOneBy(PackageEntity, {
      ownerId: spec.ownerId,
      type: spec.type,
      lowerName,
    });
    if (found) return found;
    const row = em.create(PackageEntity, {
      ownerId: spec.ownerId,
      type: spec.type,
      name: spec.name,
      lowerName,
      semverCompatible: spec.semverCompatible ?? false,
      isInternal: spec.isInternal ?? false,
      createdUnix: nowUnix(),
    });
    try {
      await em.insert(PackageEntity, row);
    } catch (err) {
      if (isUniqueViolation(err)) throw new RetryTransaction('package created concurrently');
      throw err;
    }
    await insertProperties(em, PropertyRefType.Package, row.id, spec.properties);
    return row;
  }

  private async getOrCreateVersion(
    em: EntityManager,
    pkg: PackageEntity,
    spec: VersionSpec,
    mode: VersionMode,
  ): Promise<{ version: PackageVersionEntity; created: boolean }> {
    const lowerVersion = spec.version.toLowerCase();
    const found = await em.findOneBy(PackageVersionEntity, { packageId: pkg.id, lowerVersion });
    if (found) {
      if (mode === 'create')
        throw RegistryError.conflict(`version ${spec.version} of ${pkg.name} already exists`);
      return { version: found, created: false };
    }
    if (mode === 'must-exist')
      throw RegistryError.notFound(`version ${spec.version} of ${pkg.name} does not exist`);
    const row = em.create(PackageVersionEntity, {
      packageId: pkg.id,
      creatorId: spec.creatorId,
      version: spec.version,
      lowerVersion,
      createdUnix: nowUnix(),
      isInternal: spec.isInternal ?? false,
      downloadCount: 0,
      metadataJson: spec.metadata === undefined ? null : JSON.stringify(spec.metadata),
    });
    try {
      await em.insert(PackageVersionEntity, row);
    } catch (err) {
      if (isForeignKeyViolation(err)) throw new RetryTransaction('package removed concurrently');
      if (!isUniqueViolation(err)) throw err;
      if (mode === 'create')
        throw RegistryError.conflict(`version ${spec.version} of ${pkg.name} already exists`);
      throw new RetryTransaction('version created concurrently');
    }
    await insertProperties(em, PropertyRefType.Version, row.id, spec.properties);
    return { version: row, created: true };
  }

  /** Inserts the blob row for staged bytes, or returns the row that already has that sha256. */
  private async commitBlob(
    em: EntityManager,
    source: FileSpec['blob'],
  ): Promise<PackageBlobEntity> {
    if (!('storageId' in source)) {
      const existing = await em.findOneBy(PackageBlobEntity, { id: source.blobId });
      if (!existing) throw RegistryError.notFound('blob not found');
      return existing;
    }
    const existing = await em.findOneBy(PackageBlobEntity, { hashSha256: source.sha256 });
    if (existing) return fillDigests(em, existing, source);
    const row = em.create(PackageBlobEntity, {
      storageId: source.storageId,
      size: source.size,
      hashMd5: source.md5 ?? null,
      hashSha1: source.sha1 ?? null,
      hashSha256: source.sha256,
      hashSha512: source.sha512 ?? null,
      createdUnix: nowUnix(),
    });
    try {
      await em.insert(PackageBlobEntity, row);
    } catch (err) {
      if (isUniqueViolation(err)) throw new RetryTransaction('same content stored concurrently');
      throw err;
    }
    // The staged object is now a blob: the upload row must not let cleanup delete it.
    await em.delete(PackageBlobUploadEntity, { id: source.storageId });
    return row;
  }

  private async insertFile(
    em: EntityManager,
    versionId: number,
    blobId: number,
    spec: FileSpec,
  ): Promise<{ file: PackageFileEntity; inserted: boolean }> {
    const lowerName = spec.name.toLowerCase();
    const compositeKey = spec.compositeKey ?? '';
    if (spec.overwrite) {
      const old = await em.findOneBy(PackageFileEntity, { versionId, lowerName, compositeKey });
      if (old && old.blobId === blobId) return { file: old, inserted: false };
      if (old) {
        await em.delete(PackagePropertyEntity, { refType: PropertyRefType.File, refId: old.id });
        await em.delete(PackageFileEntity, { id: old.id });
      }
    }
    const row = em.create(PackageFileEntity, {
      versionId,
      blobId,
      name: spec.name,
      lowerName,
      compositeKey,
      isLead: spec.isLead ?? false,
      createdUnix: nowUnix(),
    });
    try {
      await em.insert(PackageFileEntity, row);
    } catch (err) {
      if (isUniqueViolation(err)) throw RegistryError.conflict(`file ${spec.name} already exists`);
      if (isForeignKeyViolation(err))
        throw new RetryTransaction('blob or version removed concurrently');
      throw err;
    }
    await insertProperties(em, PropertyRefType.File, row.id, spec.properties);
    return { file: row, inserted: true };
  }

  private async dropStaged(staged: StagedContent): Promise<void> {
    try {
      const stillStaged = await this.db.manager.existsBy(PackageBlobUploadEntity, {
        id: staged.storageId,
      });
      if (!stillStaged) return; // committed as a blob (or already dropped)
      await this.storage.delete(blobKey(staged.storageId));
      await this.db.manager.delete(PackageBlobUploadEntity, { id: staged.storageId });
    } catch (err) {
      // The upload row stays, so the cleanup job removes the object later.
      this.log.warn(`could not drop staged blob ${staged.storageId}: ${(err as Error).message}`);
    }
  }
}

/**
 * The same bytes arrived again with digests the stored row lacks (a container layer,
 * stored with sha256 only, uploaded again through a format that computed all four):
 * the row gets them, so no reader has to compute them later.
 */
async function fillDigests(
  em: EntityManager,
  row: PackageBlobEntity,
  source: StagedContent,
): Promise<PackageBlobEntity> {
  if (row.hashMd5 !== null || !source.md5 || !source.sha1 || !source.sha512) return row;
  const digests = { hashMd5: source.md5, hashSha1: source.sha1, hashSha512: source.sha512 };
  await em.update(PackageBlobEntity, { id: row.id }, digests);
  return Object.assign(row, digests);
}
