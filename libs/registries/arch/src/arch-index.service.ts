import { Injectable } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import {
  DocumentCache,
  known,
  PackageQueryService,
  PackageType,
  ShardSnapshots,
  VersionDescriptor,
} from '@wharf/packages-core';
import { packageEntries, TAR_END } from './arch.documents';
import {
  ANY_ARCH,
  ArchFileMetadata,
  METADATA_PROPERTY,
  REPOSITORY_PROPERTY,
  SIGNATURE_PROPERTY,
  vercmp,
} from './arch.metadata';

/*
 * The pacman databases of an owner's repositories, kept in parts so that a write costs in
 * proportion to what it changed (docs/protocols/arch.md §4). Core puts every package in
 * one of 64 shards (by id) and bumps the shard's generation with every write to it
 * (uploads and deletes here, the management API's deletes and cleanup rules alike). A
 * read takes the 64 generations in one query and rebuilds only the shards that moved.
 *
 * Why shards (documents/document-shards.ts) and not the append-only index log: a database
 * is not a log of uploads. It lists only the newest version of each package, lists every
 * `any` package under every architecture, and loses an entry on a delete; and pacman
 * checks it by one detached signature over the whole file, so no running checksum would
 * save a pass over it. A package lives in exactly one shard, so "newest version" is
 * decided inside its shard, and a shard's part for one repository and architecture is
 * a gzip member of its tar entries (no end-of-archive marker). A database is those members
 * in shard order and a last member with the end of the tar: gzip members back to back are
 * one stream to libarchive, which pacman reads databases with. Joined bytes are the same
 * on every replica (fixed order, gzip without timestamps, tar entries dated 0).
 */

const TYPE = PackageType.Arch;
/** Memory for the snapshots of all owners, counted as their entries' bytes and joined files. */
const SNAPSHOT_BYTES = 128 * 1024 * 1024;
const GZIPPED_END = gzipSync(TAR_END);

export type DatabaseKind = 'db' | 'files';

/** One package file as the database lists it: its entries, prebuilt. */
interface ShardEntry {
  name: string;
  version: string;
  architecture: string;
  db: Buffer;
  files: Buffer;
}

interface Part {
  count: number;
  db: Buffer;
  files: Buffer;
}

interface Shard {
  generation: number;
  /** Entries by repository. */
  repositories: Map<string, ShardEntry[]>;
  /** Gzip'd parts by `{repository}\0{arch}`, made on first use. */
  parts: Map<string, Part>;
  bytes: number;
}

const emptyShard = (): Shard => ({
  generation: 0,
  repositories: new Map(),
  parts: new Map(),
  bytes: 0,
});

/** A served database. */
export interface ArchDatabase {
  body: Buffer;
  sha256: string;
  /** The architecture whose list this is (`any` when the one asked for has no own package). */
  listedArch: string;
}

/** The databases of one owner as of one set of shard generations. */
export class ArchSnapshot {
  private readonly joined = new Map<string, ArchDatabase | null>();
  private readonly derived = new Map<string, unknown>();
  /** The architectures each repository has packages of, found on first use. */
  private readonly architectures = new Map<string, Set<string>>();

  constructor(
    readonly stamp: string,
    readonly updatedUnix: number,
    readonly shards: readonly Shard[],
  ) {}

  get bytes(): number {
    return this.shards.reduce((n, s) => n + s.bytes, 0);
  }

  /**
   * The database of a repository for an architecture: its packages and the `any` ones. An
   * architecture with no package of its own gets the `any` packages alone (so the list of
   * joined databases stays bounded by what is stored); undefined when that is empty too.
   */
  database(repository: string, arch: string, kind: DatabaseKind): ArchDatabase | undefined {
    const archs = this.architecturesOf(repository);
    // Nothing is kept for a repository without packages: asking for names costs no memory.
    if (!archs) return undefined;
    const listedArch = archs.has(arch) ? arch : ANY_ARCH;
    const key = `${repository}\0${listedArch}\0${kind}`;
    let done = this.joined.get(key);
    if (done === undefined) {
      const parts = this.shards.map((s) => partOf(s, repository, listedArch));
      if (parts.every((p) => p.count === 0)) done = null;
      else {
        const body = Buffer.concat([
          ...parts.flatMap((p) => (p.count ? [p[kind]] : [])),
          GZIPPED_END,
        ]);
        done = { body, sha256: createHash('sha256').update(body).digest('hex'), listedArch };
      }
      this.joined.set(key, done);
    }
    return done ?? undefined;
  }

  /** The architectures a repository has packages of (`any` included); undefined for none. */
  private architecturesOf(repository: string): Set<string> | undefined {
    let archs = this.architectures.get(repository);
    if (!archs) {
      const found = this.shards.flatMap((s) =>
        (s.repositories.get(repository) ?? []).map((e) => e.architecture),
      );
      if (found.length === 0) return undefined;
      archs = new Set([...found, ANY_ARCH]);
      this.architectures.set(repository, archs);
    }
    return archs;
  }

  /** A document derived from this snapshot (a signature), made once; a promise is kept as it is. */
  derive<T>(key: string, make: () => T): T {
    if (!this.derived.has(key)) this.derived.set(key, make());
    return this.derived.get(key) as T;
  }

  forget(key: string): void {
    this.derived.delete(key);
  }
}

const NO_PART: Part = { count: 0, db: Buffer.alloc(0), files: Buffer.alloc(0) };

/** A shard's gzip'd part for one repository and architecture: the newest of each package. */
function partOf(shard: Shard, repository: string, arch: string): Part {
  const entries = shard.repositories.get(repository);
  if (!entries) return NO_PART;
  const key = `${repository}\0${arch}`;
  let part = shard.parts.get(key);
  if (!part) {
    const newest = new Map<string, ShardEntry>();
    for (const e of entries) {
      if (e.architecture !== arch && e.architecture !== ANY_ARCH) continue;
      const kept = newest.get(e.name);
      const order = kept ? vercmp(e.version, kept.version) : 1;
      // The same version for the architecture and for any: the architecture's own wins.
      if (order > 0 || (order === 0 && e.architecture !== ANY_ARCH)) newest.set(e.name, e);
    }
    const list = [...newest.values()].sort((a, b) =>
      a.name < b.name ? -1 : a.name > b.name ? 1 : 0,
    );
    part = list.length
      ? {
          count: list.length,
          db: gzipSync(Buffer.concat(list.map((e) => e.db))),
          files: gzipSync(Buffer.concat(list.map((e) => e.files))),
        }
      : NO_PART;
    shard.parts.set(key, part);
  }
  return part;
}

@Injectable()
export class ArchIndexService {
  private readonly snapshots: ShardSnapshots<Shard, ArchSnapshot>;

  constructor(documents: DocumentCache, query: PackageQueryService) {
    this.snapshots = new ShardSnapshots(documents, query, {
      type: TYPE,
      maxBytes: SNAPSHOT_BYTES,
      // %MD5SUM% of every package: completed first for blobs stored sha256-only.
      allDigests: true,
      buildShard,
      // Never written to: partOf keeps nothing for a shard without the repository.
      empty: emptyShard(),
      snapshotOf: (stamp, updatedUnix, shards) => new ArchSnapshot(stamp, updatedUnix, shards),
      // Gzip'd parts and joined files come on top of the entries' bytes.
      bytesOf: (snapshot) => 2 * snapshot.bytes,
    });
  }

  /** The owner's databases as the database has them now (one query when nothing changed). */
  snapshot(ownerId: number): Promise<ArchSnapshot> {
    return this.snapshots.snapshot(ownerId);
  }
}

/** One shard's entries, grouped by repository. */
function buildShard(generation: number, descriptors: VersionDescriptor[]): Shard {
  const shard = emptyShard();
  shard.generation = generation;
  for (const d of descriptors) {
    for (const f of d.files) {
      const raw = f.properties[METADATA_PROPERTY]?.[0];
      const repository = f.properties[REPOSITORY_PROPERTY]?.[0];
      if (!raw || repository === undefined || !f.file.name.includes('.pkg.tar.')) continue;
      const meta = JSON.parse(raw) as ArchFileMetadata;
      const entries = packageEntries({
        fileName: f.file.name,
        md5: known(f.blob).hashMd5,
        sha256: f.blob.hashSha256,
        signature: f.properties[SIGNATURE_PROPERTY]?.[0],
        compressedSize: f.blob.size,
        meta,
      });
      let list = shard.repositories.get(repository);
      if (!list) shard.repositories.set(repository, (list = []));
      list.push({
        name: meta.name,
        version: meta.version,
        architecture: meta.architecture,
        ...entries,
      });
      shard.bytes += entries.db.length + entries.files.length;
    }
  }
  return shard;
}
