import type { PackageQueryService, VersionDescriptor } from '../packages/package-query.service';
import type { PackageType } from '../packages/package-type';
import type { DocumentCache } from './document-cache';
import { documentShardOf } from './document-shards';
import { LruByBytes } from './lru-by-bytes';

/*
 * The per-owner snapshots of a sharded index (document-shards.ts), for the formats whose
 * index lists every package (apt's Packages, rpm's repodata, APKINDEX): a snapshot holds
 * one part per shard, and a read takes the shards' generations in one query, reuses the
 * parts whose shard did not move and rebuilds the others from the batched read model.
 * The format says what a part is (`buildShard`) and what a snapshot over the parts is
 * (`snapshotOf`); this class does the bookkeeping every such index repeats.
 *
 * The database decides what is current: a write bumps its shard inside its transaction,
 * and a snapshot is served only while the generations it was built at are still the
 * database's. Parts are read after the generations, so a write committed meanwhile is in
 * them, and the next read, seeing its generation, rebuilds them rather than trusting them.
 */

/** One shard's part: at least the generation it was built at and its size in memory. */
export interface ShardPart {
  generation: number;
  bytes: number;
}

/** A snapshot over the parts: at least its stamp (the generations it was built at) and the parts. */
export interface ShardSnapshot<P extends ShardPart> {
  readonly stamp: string;
  readonly shards: readonly P[];
}

export interface ShardSnapshotSpec<P extends ShardPart, S extends ShardSnapshot<P>> {
  type: PackageType;
  /** Memory for the snapshots of all owners. */
  maxBytes: number;
  /** The part of a shard never written. */
  empty: P;
  /** The part of one shard from its packages' descriptors. */
  buildShard(generation: number, descriptors: VersionDescriptor[]): P;
  /**
   * The snapshot over all parts; `updatedUnix` is the last write's time (0 for none),
   * `previous` the snapshot it replaces (state a new one may resume from).
   */
  snapshotOf(stamp: string, updatedUnix: number, shards: P[], previous: S | undefined): S;
  /** What the snapshot costs in memory, documents derived from it included. */
  bytesOf(snapshot: S): number;
}

export class ShardSnapshots<P extends ShardPart, S extends ShardSnapshot<P>> {
  private readonly snapshots: LruByBytes<S>;
  // One build per owner and stamp at a time: concurrent requests share it.
  private readonly building = new Map<string, Promise<S>>();

  constructor(
    private readonly documents: DocumentCache,
    private readonly query: PackageQueryService,
    private readonly spec: ShardSnapshotSpec<P, S>,
  ) {
    this.snapshots = new LruByBytes<S>(spec.maxBytes);
  }

  /** The owner's snapshot as the database has it now (one query when nothing changed). */
  async snapshot(ownerId: number): Promise<S> {
    const { generations, updatedUnix } = await this.documents.shardGenerations(
      ownerId,
      this.spec.type,
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
    previous: S | undefined,
  ): Promise<S> {
    const { empty, type } = this.spec;
    const shards: P[] = generations.map((g, i) =>
      g !== 0 && previous?.shards[i].generation === g ? previous.shards[i] : empty,
    );
    const stale = generations.flatMap((g, i) => (g !== 0 && shards[i].generation !== g ? [i] : []));
    if (stale.length) {
      const descriptors = await this.query.loadDescriptors({ ownerId, type, shards: stale });
      const byShard = new Map<number, VersionDescriptor[]>(stale.map((i) => [i, []]));
      for (const d of descriptors) byShard.get(documentShardOf(d.package.id))?.push(d);
      for (const [i, list] of byShard) shards[i] = this.spec.buildShard(generations[i], list);
    }
    const snapshot = this.spec.snapshotOf(generations.join(','), updatedUnix, shards, previous);
    this.snapshots.set(String(ownerId), snapshot, this.spec.bytesOf(snapshot));
    return snapshot;
  }
}
