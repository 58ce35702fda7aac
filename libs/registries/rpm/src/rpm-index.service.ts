import { Injectable } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import {
  DocumentCache,
  PackageQueryService,
  PackageType,
  ShardSnapshots,
  VersionDescriptor,
} from '@wharf/packages-core';
import {
  documentClosing,
  documentOpening,
  packageElement,
  REPODATA_TYPES,
  RepodataPackage,
  RepodataType,
  RepomdData,
  repomdXml,
} from './rpm.documents';
import { METADATA_PROPERTY, RpmFileMetadata, RpmVersionMetadata } from './rpm.metadata';

/*
 * The repodata of an owner's rpm groups, kept in parts so that a write costs in proportion
 * to what it changed (docs/protocols/rpm.md §4). Core puts every package in one of 64
 * shards (by id) and bumps the shard's generation with every write to it (uploads and
 * deletes here, the management API's deletes and cleanup rules alike). Each shard's part
 * holds, per group, the XML elements of its packages for primary, filelists and other,
 * gzip'd on their own. A read takes the 64 generations in one query and
 * rebuilds only the parts whose shard moved; a document is its opening, its parts in shard
 * order and its closing: gzip members one after the other, which zlib (and so libsolv,
 * librepo and zypper) reads as one stream. What stays proportional to the whole is joining
 * and hashing the bytes, which repomd.xml's checksums need.
 *
 * The database decides what is current: two uploads at once, on one replica or two, each
 * bump their shard inside their transaction, and a snapshot is served only while the
 * generations it was built at are still the database's. Joined documents are
 * byte-identical on every replica (fixed order, deterministic gzip, the timestamp taken
 * from the database), so the repomd.xml one replica serves matches the files another does.
 */

const TYPE = PackageType.Rpm;
/** Memory for the snapshots of all owners, counted as their parts' bytes and the joined files. */
const SNAPSHOT_BYTES = 128 * 1024 * 1024;

/** A part's bytes gzip'd on their own, and how many bytes they unpack to. */
interface Compressed {
  gz: Buffer;
  openSize: number;
}

/** One shard's share of one group's repodata. */
interface Part {
  count: number;
  docs: Record<RepodataType, Compressed>;
}

interface Shard {
  generation: number;
  /** Parts by group. */
  parts: Map<string, Part>;
  bytes: number;
}

const EMPTY_SHARD: Shard = { generation: 0, parts: new Map(), bytes: 0 };

/** A served repodata file. */
export interface RepodataFile {
  body: Buffer;
  sha256: string;
}

/** A group's repodata: the three documents and repomd.xml over them. */
export interface GroupRepodata {
  files: Record<RepodataType, RepodataFile>;
  repomd: string;
}

/** The repodata of one owner as of one set of shard generations. */
export class RepodataSnapshot {
  private readonly joined = new Map<string, GroupRepodata | null>();
  private readonly derived = new Map<string, unknown>();

  constructor(
    readonly stamp: string,
    /** Unix seconds of the last write (repomd's revision and timestamps). */
    readonly updatedUnix: number,
    readonly shards: readonly Shard[],
  ) {}

  get bytes(): number {
    return this.shards.reduce((n, s) => n + s.bytes, 0);
  }

  /** The group's repodata, joined on first use; undefined when the group lists no package. */
  group(group: string): GroupRepodata | undefined {
    let done = this.joined.get(group);
    if (done === undefined) {
      done = joinGroup(
        this.shards.flatMap((s) => s.parts.get(group) ?? []),
        this.updatedUnix,
      );
      this.joined.set(group, done);
    }
    return done ?? undefined;
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

function joinGroup(parts: Part[], updatedUnix: number): GroupRepodata | null {
  const count = parts.reduce((n, p) => n + p.count, 0);
  if (count === 0) return null;
  const data: RepomdData[] = [];
  const files = {} as Record<RepodataType, RepodataFile>;
  for (const type of REPODATA_TYPES) {
    const opening = Buffer.from(documentOpening(type, count));
    const closing = Buffer.from(documentClosing(type));
    const body = Buffer.concat([
      gzipSync(opening),
      ...parts.map((p) => p.docs[type].gz),
      gzipSync(closing),
    ]);
    const openSize = parts.reduce(
      (n, p) => n + p.docs[type].openSize,
      opening.length + closing.length,
    );
    const sha256 = createHash('sha256').update(body).digest('hex');
    files[type] = { body, sha256 };
    data.push({ type, sha256, size: body.length, openSize });
  }
  return { files, repomd: repomdXml(updatedUnix, data) };
}

@Injectable()
export class RpmIndexService {
  private readonly snapshots: ShardSnapshots<Shard, RepodataSnapshot>;

  constructor(documents: DocumentCache, query: PackageQueryService) {
    this.snapshots = new ShardSnapshots(documents, query, {
      type: TYPE,
      maxBytes: SNAPSHOT_BYTES,
      empty: EMPTY_SHARD,
      buildShard,
      snapshotOf: (stamp, updatedUnix, shards) => new RepodataSnapshot(stamp, updatedUnix, shards),
      // Joined files roughly match the parts' gzip'd bytes again.
      bytesOf: (snapshot) => 2 * snapshot.bytes,
    });
  }

  /** The owner's snapshot as the database has it now (one query when nothing changed). */
  snapshot(ownerId: number): Promise<RepodataSnapshot> {
    return this.snapshots.snapshot(ownerId);
  }
}

/** One shard's parts: its packages' elements grouped by group, in a fixed order. */
function buildShard(generation: number, descriptors: VersionDescriptor[]): Shard {
  const byGroup = new Map<string, { key: string; pkg: RepodataPackage }[]>();
  for (const d of descriptors) {
    const version = d.metadata as RpmVersionMetadata | null;
    for (const f of d.files) {
      const raw = f.properties[METADATA_PROPERTY]?.[0];
      if (!raw || !version || !f.file.name.endsWith('.rpm')) continue;
      const file = JSON.parse(raw) as RpmFileMetadata;
      const pkg: RepodataPackage = {
        name: d.package.name,
        pkgid: f.blob.hashSha256,
        size: f.blob.size,
        fileTime: f.file.createdUnix,
        location: packageLocation(
          d.package.name,
          d.version.version,
          file.architecture,
          f.file.name,
        ),
        version,
        file,
      };
      const group = f.file.compositeKey;
      let list = byGroup.get(group);
      if (!list) byGroup.set(group, (list = []));
      list.push({
        key: `${d.package.lowerName}\0${d.version.lowerVersion}\0${f.file.lowerName}`,
        pkg,
      });
    }
  }
  const parts = new Map<string, Part>();
  let bytes = 0;
  for (const [group, list] of byGroup) {
    list.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    const docs = {} as Record<RepodataType, Compressed>;
    for (const type of REPODATA_TYPES) {
      const plain = Buffer.from(list.map((e) => packageElement(type, e.pkg)).join(''));
      docs[type] = { gz: gzipSync(plain), openSize: plain.length };
      bytes += docs[type].gz.length;
    }
    parts.set(group, { count: list.length, docs });
  }
  return { generation, parts, bytes };
}

/** `package/{name}/{version}/{arch}/{file}`, each segment escaped: the download route. */
export function packageLocation(
  name: string,
  version: string,
  architecture: string,
  fileName: string,
): string {
  return ['package', name, version, architecture, fileName].map(encodeURIComponent).join('/');
}
