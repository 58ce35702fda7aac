import type { PackageQueryService, VersionDescriptor } from '../packages/package-query.service';
import type { PackageType } from '../packages/package-type';
import type { DocumentCache } from './document-cache';
import { documentShardOf } from './document-shards';
import { LruByBytes } from './lru-by-bytes';

/*
 * The bookkeeping every index built from document shards repeats (rpm's repodata, apt's
 * Packages, pacman's databases): read the owner's 64 shard generations in one query, serve
 * the cached snapshot while they are unchanged, otherwise rebuild only the shards whose
 * generation moved (one batched read of their packages) and keep the others, with one
 * build per owner and generations at a time however many requests wait for it. The
 * format says what a shard holds and what a snapshot of all 64 is.
 */

/** What a format keeps per shard: at least the generation it was built at and its size. */
export interface ShardState {
  readonly generation: number;
  readonly bytes: number;
}

/** A snapshot of one owner's shards. */
export interface ShardSnapshot<S extends ShardState> {
  readonly stamp: string;
  readonly shards: readonly S[];
}

export interface ShardSnapshotsOptions<S extends ShardState, T extends ShardSnapshot<S>> {
  type: PackageType;
  /** Memory for the snapshots of all owners. */
  maxBytes: number;
  /** A shard's state from its packages' descriptors (all versions of the packages in it). */
  buildShard(generation: number, descriptors: VersionDescriptor[]): S;
  /** A shard never written. */
  emptyShard(): S;
  /** The snapshot over the 64 shards (`stamp` identifies the generations). */
  snapshot(stamp: string, updatedUnix: number, shards: S[]): T;
  /** What a snapshot costs in memory (its shards' bytes, and what it derives from them). */
  weigh(snapshot: T): number;
}

export class ShardSnapshots<S extends ShardState, T extends ShardSnapshot<S>> {
  private readonly snapshots: LruByBytes<T>;
  private readonly building = new Map<string, Promise<T>>();

  constructor(
    private readonly documents: DocumentCache,
    private readonly query: PackageQueryService,
    private readonly options: ShardSnapshotsOptions<S, T>,
  ) {
    this.snapshots = new LruByBytes<T>(options.maxBytes);
  }

  /** The owner's snapshot as the database has it now (one query when nothing changed). */
  async get(ownerId: number): Promise<T> {
    const { generations, updatedUnix } = await this.documents.shardGenerations(
      ownerId,
      this.options.type,
    );
    const stamp = generations.join(',');
    const cached = this.snapshots.get(String(ownerId));
    if (cached?.stamp === stamp) return cached;
    const id = `${ownerId}#${stamp}`;
    let pending = this.building.get(id);
    if (!pending) {
      pending = this.build(ownerId, generations, updatedUnix, cached).finally(() =>
        this.building.delete(id),
      );
      this.building.set(id, pending);
    }
    return pending;
  }

  private async build(
    ownerId: number,
    generations: number[],
    updatedUnix: number,
    previous: T | undefined,
  ): Promise<T> {
    const { emptyShard, buildShard } = this.options;
    const shards: S[] = generations.map((g, i) =>
      g !== 0 && previous?.shards[i].generation === g ? previous.shards[i] : emptyShard(),
    );
    // Read after the generations: a write committed meanwhile is in the shards, and the
    // next read, seeing its generation, rebuilds them again rather than trusting them.
    const stale = generations.flatMap((g, i) => (g !== 0 && shards[i].generation !== g ? [i] : []));
    if (stale.length) {
      const descriptors = await this.query.loadDescriptors({
        ownerId,
        type: this.options.type,
        shards: stale,
      });
      const byShard = new Map<number, VersionDescriptor[]>(stale.map((i) => [i, []]));
      for (const d of descriptors) byShard.get(documentShardOf(d.package.id))?.push(d);
      for (const [i, list] of byShard) shards[i] = buildShard(generations[i], list);
    }
    const snapshot = this.options.snapshot(generations.join(','), updatedUnix, shards);
    this.snapshots.set(String(ownerId), snapshot, this.options.weigh(snapshot));
    return snapshot;
  }
}
