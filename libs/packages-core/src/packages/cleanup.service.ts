import {
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
  OnApplicationShutdown,
} from '@nestjs/common';
import { LessThan, Not } from 'typeorm';
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
import { CleanupRuleService } from '../cleanup/cleanup-rule.service';
import { JobLeaseService } from '../cleanup/job-lease.service';
import { BLOB_STORAGE, BlobStorage } from '../storage/blob-storage';
import { blobKey, uploadKey } from '../storage/blob-keys';
import { BlobCollector } from './blob-collector';
import { GC_PURPOSE } from './gc-queue';

export interface CleanupReport {
  /** false when another replica held the lease: this pass did nothing */
  ran: boolean;
  ruleVersions: number;
  abandonedUploads: number;
  abortedMultipartUploads: number;
  unreferencedBlobs: number;
  emptyPackages: number;
}

/** A format's own housekeeping (e.g. container manifests nothing references), run with each pass. */
export type CleanupTask = (olderThanUnix: number) => Promise<void>;

const BATCH = 500;
const RULE_PAGE = 100;
export const CLEANUP_LEASE = 'cleanup';

/**
 * The periodic job (docs/protocols/core.md §9): owners' cleanup rules, each format's own
 * housekeeping, abandoned upload sessions and incomplete multipart uploads, packages with
 * no versions, and blobs no file references.
 *
 * One replica at a time runs it: a pass starts by taking the `cleanup` lease in the
 * database and renews it while it works; a replica that finds it held skips its turn.
 * Every deletion is still a conditional statement the database arbitrates, and each
 * version goes in a transaction of its own, so a replica killed mid-pass leaves nothing
 * half-removed: the next pass (on any replica, once the lease expires) recomputes what is
 * left and finishes the job.
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
    private readonly rules: CleanupRuleService,
    private readonly lease: JobLeaseService,
    private readonly blobs: BlobCollector,
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
      (r) => r.ran && this.log.log(`cleanup (${this.lease.holder}): ${JSON.stringify(r)}`),
      (err) => this.log.error(`cleanup failed: ${(err as Error).message}`),
    );
    await this.running;
    this.running = undefined;
  }

  /**
   * One pass, when this replica gets the lease. `olderThanSeconds` (default: the
   * configured age) protects blobs and sessions that are merely young; 0 removes
   * everything unreferenced, as an operator's "clean now".
   */
  async run(olderThanSeconds = this.config.cleanupOlderThanSeconds): Promise<CleanupReport> {
    const ttl = this.config.cleanupLeaseSeconds;
    if (!(await this.lease.acquire(CLEANUP_LEASE, ttl)))
      return {
        ran: false,
        ruleVersions: 0,
        abandonedUploads: 0,
        abortedMultipartUploads: 0,
        unreferencedBlobs: 0,
        emptyPackages: 0,
      };
    let held = true;
    const renew = setInterval(
      () =>
        void this.lease.renew(CLEANUP_LEASE, ttl).then(
          (still) => (held &&= still),
          () => (held = false),
        ),
      Math.max(1, Math.floor(ttl / 3)) * 1000,
    );
    try {
      return await this.pass(olderThanSeconds, () => held);
    } finally {
      clearInterval(renew);
      if (held) await this.lease.release(CLEANUP_LEASE);
    }
  }

  private async pass(olderThanSeconds: number, held: () => boolean): Promise<CleanupReport> {
    const now = nowUnix();
    const ruleVersions = await this.runRules(held);
    // Sessions go by their own TTL: an upload in flight on another replica is young, whatever the blob age asked for.
    const sessionCutoff = now - this.config.uploadSessionTtlSeconds;
    const abandonedUploads = await this.removeAbandonedUploads(sessionCutoff);
    const abortedMultipartUploads = await this.storage.abortIncompleteUploads(
      new Date(sessionCutoff * 1000),
    );
    for (const task of this.tasks) if (held()) await task(now - olderThanSeconds);
    const emptyPackages = await this.removeEmptyPackages();
    const unreferencedBlobs = await this.blobs.collect(now - olderThanSeconds, held);
    return {
      ran: true,
      ruleVersions,
      abandonedUploads,
      abortedMultipartUploads,
      unreferencedBlobs,
      emptyPackages,
    };
  }

  private async runRules(held: () => boolean): Promise<number> {
    let removed = 0;
    for (let after = 0; held();) {
      const page = await this.rules.enabledRules(after, RULE_PAGE);
      for (const rule of page) {
        try {
          removed += await this.rules.execute(rule, held);
        } catch (err) {
          // One owner's rule must not stop the others' (nor the collection).
          this.log.error(`cleanup rule ${rule.id} failed: ${(err as Error).message}`);
        }
      }
      if (page.length < RULE_PAGE) break;
      after = page[page.length - 1].id;
    }
    return removed;
  }

  private async removeAbandonedUploads(cutoff: number): Promise<number> {
    let removed = 0;
    // the collection's queue rows are the collection's to finish, in its rounds
    const stale = await this.db.manager.find(PackageBlobUploadEntity, {
      where: { updatedUnix: LessThan(cutoff + 1), purpose: Not(GC_PURPOSE) },
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
