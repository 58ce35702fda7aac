import { Injectable } from '@nestjs/common';
import {
  DocumentCache,
  PackageQueryService,
  PackageType,
  ShardSnapshots,
  VersionDescriptor,
} from '@wharf/packages-core';
import { IndexRecord } from './alpine.documents';
import {
  AlpineFileMetadata,
  AlpineVersionMetadata,
  METADATA_PROPERTY,
  NOARCH,
  repositoryKey,
} from './alpine.metadata';

/*
 * The APKINDEX records of an owner's alpine repositories, kept per shard so that a write
 * costs in proportion to what it changed (docs/protocols/alpine.md §4). Core puts every
 * package in one of 64 shards and bumps the shard's generation with every write to it
 * (uploads and deletes here, the management API and cleanup rules alike); a read takes the
 * generations in one query and reloads only the shards that moved (core's ShardSnapshots).
 *
 * Shards rather than core's index log: a noarch file is listed in the index of every
 * architecture of its repository, including architectures that get their first package
 * after it, so an index is a view over two keys (`b|r|arch` and `b|r|noarch`) rather than
 * a log one upload appends to. What stays proportional to the whole index is joining,
 * gzip'ing and signing it, once per generation and index, as apk's signature covers the
 * exact bytes of the one gzip member that holds the index.
 */

const TYPE = PackageType.Alpine;
const SNAPSHOT_BYTES = 64 * 1024 * 1024;

interface Entry {
  sortKey: string;
  record: IndexRecord;
}

interface Shard {
  generation: number;
  /** Records by the file's composite key `branch|repository|arch`. */
  byKey: Map<string, Entry[]>;
  bytes: number;
}

const EMPTY_SHARD: Shard = { generation: 0, byKey: new Map(), bytes: 0 };

/** The records of one owner as of one set of shard generations. */
export class AlpineSnapshot {
  private readonly derived = new Map<string, unknown>();

  constructor(
    readonly stamp: string,
    /** Unix seconds of the last write (the index archive's entry times). */
    readonly updatedUnix: number,
    readonly shards: readonly Shard[],
  ) {}

  get bytes(): number {
    return this.shards.reduce((n, s) => n + s.bytes, 0);
  }

  /**
   * The records of the index of `arch` in a repository, sorted by name and version: the
   * architecture's own files and the repository's noarch files. Empty when neither exists.
   */
  records(branch: string, repository: string, arch: string): IndexRecord[] {
    const keys = [repositoryKey(branch, repository, arch)];
    if (arch !== NOARCH) keys.push(repositoryKey(branch, repository, NOARCH));
    const entries = this.shards.flatMap((s) => keys.flatMap((k) => s.byKey.get(k) ?? []));
    entries.sort((a, b) => (a.sortKey < b.sortKey ? -1 : a.sortKey > b.sortKey ? 1 : 0));
    return entries.map((e) => e.record);
  }

  /** A document derived from this snapshot (a signed index), made once; a failed one is forgotten. */
  async derive<T>(key: string, make: () => Promise<T>): Promise<T> {
    let made = this.derived.get(key) as Promise<T> | undefined;
    if (!made) {
      made = make();
      this.derived.set(key, made);
      made.catch(() => this.derived.delete(key));
    }
    return made;
  }
}

@Injectable()
export class AlpineIndexService {
  private readonly snapshots: ShardSnapshots<Shard, AlpineSnapshot>;

  constructor(documents: DocumentCache, query: PackageQueryService) {
    this.snapshots = new ShardSnapshots(documents, query, {
      type: TYPE,
      maxBytes: SNAPSHOT_BYTES,
      empty: EMPTY_SHARD,
      buildShard,
      snapshotOf: (stamp, updatedUnix, shards) => new AlpineSnapshot(stamp, updatedUnix, shards),
      // Signed indexes derived from it roughly match the records' bytes again.
      bytesOf: (snapshot) => 2 * snapshot.bytes,
    });
  }

  /** The owner's records as the database has them now (one query when nothing changed). */
  snapshot(ownerId: number): Promise<AlpineSnapshot> {
    return this.snapshots.snapshot(ownerId);
  }
}

function buildShard(generation: number, descriptors: VersionDescriptor[]): Shard {
  const byKey = new Map<string, Entry[]>();
  let bytes = 0;
  for (const d of descriptors) {
    const version = (d.metadata ?? {}) as AlpineVersionMetadata;
    for (const f of d.files) {
      const raw = f.properties[METADATA_PROPERTY]?.[0];
      if (!raw || !f.file.name.endsWith('.apk')) continue;
      const file = JSON.parse(raw) as AlpineFileMetadata;
      let list = byKey.get(f.file.compositeKey);
      if (!list) byKey.set(f.file.compositeKey, (list = []));
      list.push({
        sortKey: `${d.package.lowerName}\0${d.version.lowerVersion}\0${f.file.lowerName}`,
        record: {
          name: d.package.name,
          version: d.version.version,
          size: f.blob.size,
          version_metadata: version,
          file,
        },
      });
      bytes += raw.length + 256;
    }
  }
  return { generation, byKey, bytes };
}
