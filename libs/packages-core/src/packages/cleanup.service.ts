import {
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
  OnApplicationShutdown,
} from '@nestjs/common';
import { LessThan } from 'typeorm';
import { AppConfig } from '../config/config';
import { Database } from '../database/database.service';
import {
  nowUnix,
  PackageBlobEntity,
  PackageBlobUploadEntity,
  PackageEntity,
  PackagePropertyEntity,
  PropertyRefType,
} from '../entities';
import { BLOB_STORAGE, BlobStorage } from '../storage/blob-storage';
import { blobKey, uploadKey } from '../storage/blob-keys';
import { PackageService } from './package.service';

export interface CleanupReport {
  abandonedUploads: number;
  unreferencedBlobs: number;
  emptyPackages: number;
}

/** A format's own housekeeping (e.g. container manifests nothing references), run with each pass. */
export type CleanupTask = (olderThanUnix: number) => Promise<void>;

const BATCH = 500;

/**
 * The periodic collection: abandoned upload sessions (and their staged objects), blobs no
 * file references, packages with no versions. Every replica may run it at the same time:
 * each deletion is a conditional statement the database arbitrates, so two runs never
 * remove something still in use, and a row is gone before its object.
 */
@Injectable()
export class CleanupService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly log = new Logger(CleanupService.name);
  private readonly tasks: CleanupTask[] = [];
  private timer?: NodeJS.Timeout;
  private running?: Promise<unknown>;

  constructor(
    private readonly db: Database,
    private readonly config: AppConfig,
    private readonly packages: PackageService,
    @Inject(BLOB_STORAGE) private readonly storage: BlobStorage,
  ) {}

  register(task: CleanupTask): void {
    this.tasks.push(task);
  }

  onApplicationBootstrap(): void {
    const interval = this.config.cleanupIntervalSeconds;
    if (interval <= 0) return;
    this.timer = setInterval(() => void this.runSafely(), interval * 1000);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  private async runSafely(): Promise<void> {
    if (this.running) return;
    this.running = this.run().then(
      (r) => this.log.log(`cleanup: ${JSON.stringify(r)}`),
      (err) => this.log.error(`cleanup failed: ${(err as Error).message}`),
    );
    await this.running;
    this.running = undefined;
  }

  /**
   * One pass. `olderThanSeconds` (default: the configured age) protects blobs and sessions
   * that are merely young; 0 removes everything unreferenced, as an operator's "clean now".
   */
  async run(olderThanSeconds = this.config.cleanupOlderThanSeconds): Promise<CleanupReport> {
    const now = nowUnix();
    // Sessions go by their own TTL: an upload in flight on another replica is young, whatever the blob age asked for.
    const abandonedUploads = await this.removeAbandonedUploads(
      now - this.config.uploadSessionTtlSeconds,
    );
    for (const task of this.tasks) await task(now - olderThanSeconds);
    const emptyPackages = await this.removeEmptyPackages();
    const unreferencedBlobs = await this.removeUnreferencedBlobs(now - olderThanSeconds);
    return { abandonedUploads, unreferencedBlobs, emptyPackages };
  }

  private async removeAbandonedUploads(cutoff: number): Promise<number> {
    let removed = 0;
    const stale = await this.db.manager.find(PackageBlobUploadEntity, {
      where: { updatedUnix: LessThan(cutoff + 1) },
      take: BATCH,
    });
    for (const session of stale) {
      // Conditional: a session touched meanwhile (another replica took a chunk) survives.
      const result = await this.db.manager.delete(PackageBlobUploadEntity, {
        id: session.id,
        updatedUnix: LessThan(cutoff + 1),
      });
      if (!result.affected) continue;
      const committed = await this.db.manager.existsBy(PackageBlobEntity, {
        storageId: session.id,
      });
      if (!committed) await this.storage.delete(blobKey(session.id));
      for await (const entry of this.storage.list(`${uploadKey(session.id)}/`))
        await this.storage.delete(entry.key);
      await this.storage.delete(uploadKey(session.id));
      removed++;
    }
    return removed;
  }

  private async removeUnreferencedBlobs(cutoff: number): Promise<number> {
    const rows: { id: number | string }[] = await this.db.manager
      .createQueryBuilder(PackageBlobEntity, 'b')
      .select('b.id', 'id')
      .where('b.created_unix <= :cutoff', { cutoff })
      .andWhere('NOT EXISTS (SELECT 1 FROM package_file f WHERE f.blob_id = b.id)')
      .limit(BATCH)
      .getRawMany();
    return this.packages.removeUnreferencedBlobs(rows.map((r) => Number(r.id)));
  }

  private async removeEmptyPackages(): Promise<number> {
    const rows: { id: number | string }[] = await this.db.manager
      .createQueryBuilder(PackageEntity, 'p')
      .select('p.id', 'id')
      .where('NOT EXISTS (SELECT 1 FROM package_version v WHERE v.package_id = p.id)')
      .limit(BATCH)
      .getRawMany();
    let removed = 0;
    for (const { id } of rows) {
      const deleted = await this.db.transaction(async (em) => {
        const result = await em
          .createQueryBuilder()
          .delete()
          .from(PackageEntity)
          .where('id = :id', { id: Number(id) })
          .andWhere('NOT EXISTS (SELECT 1 FROM package_version v WHERE v.package_id = :id)')
          .execute();
        if (result.affected)
          await em.delete(PackagePropertyEntity, {
            refType: PropertyRefType.Package,
            refId: Number(id),
          });
        return result.affected ?? 0;
      });
      removed += deleted;
    }
    return removed;
  }
}
