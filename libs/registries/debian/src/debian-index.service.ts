import { Injectable } from '@nestjs/common';
import { gzipSync } from 'node:zlib';
import {
  DocumentCache,
  encodeXz,
  joinXzStreamPieces,
  PackageQueryService,
  PackageType,
  ShardSnapshots,
  VersionDescriptor,
} from '@wharf/packages-core';
import { DigestCheckpoints, DigestPart, digestParts } from './debian-digests';
import { HashedFile, packagesParagraph } from './debian.documents';
import {
  ARCHITECTURE_PROPERTY,
  COMPONENT_PROPERTY,
  CONTROL_PROPERTY,
  DISTRIBUTION_PROPERTY,
  poolPath,
} from './debian.metadata';

/*
 * The Packages indexes of an owner's apt repository, kept in parts so that a write costs
 * in proportion to what it changed (docs/protocols/debian.md §4). Core puts every package
 * in one of 64 shards (by id) and bumps the shard's generation with each write to it —
 * uploads and deletes here, the management API's deletes and cleanup rules alike. Each
 * shard's part holds, per (distribution, component, architecture), the paragraphs of its
 * packages, plain, gzip'd and xz'd. A read takes the 64 generations in one query and
 * rebuilds only the parts whose shard moved; an index file is its parts joined in shard
 * order: plain text concatenated, gzip members concatenated (zlib, and so apt, reads on
 * across members), xz blocks joined into one stream (apt reads only a file's first xz
 * stream). What stays proportional to the whole is copying and hashing the joined bytes.
 *
 * The database decides what is current: two replicas, or two uploads at once, each bump
 * the generation inside their transaction, and a replica serves a snapshot only while the
 * generations it was built at are still the database's. Joined files are byte-identical on
 * every replica (parts in a fixed order, deterministic compression), so the digests one
 * replica's Release lists match the files another serves.
 */

const TYPE = PackageType.Debian;
/** Memory for snapshots of all owners, counted as the bytes of their parts and joined files. */
const SNAPSHOT_BYTES = 128 * 1024 * 1024;

export type PackagesVariant = 'Packages' | 'Packages.gz' | 'Packages.xz';
export const PACKAGES_VARIANTS: readonly PackagesVariant[] = [
  'Packages',
  'Packages.gz',
  'Packages.xz',
];

/** A served index file with its digests. */
export interface IndexFile extends HashedFile {
  body: Buffer;
}

/** One shard's share of one index: its paragraphs, and them compressed on their own. */
interface Part {
  plain: Buffer;
  gz: Buffer;
  xz: Buffer;
}

/** A shard's parts by index key (`{dist}|{component}|{arch}`), at the generation built from. */
interface Shard {
  generation: number;
  parts: Map<string, Part>;
  bytes: number;
}

const EMPTY_SHARD: Shard = { generation: 0, parts: new Map(), bytes: 0 };

/**
 * The repository of one owner as of one set of shard generations: which indexes exist,
 * and each index file, joined from the parts on first use and kept. Documents derived from
 * it (Release and its signatures) are kept beside, by key.
 */
export class RepositorySnapshot {
  /** distribution → component → architectures. */
  readonly layout = new Map<string, Map<string, Set<string>>>();
  private readonly hashed = new Map<string, Record<PackagesVariant, HashedFile>>();
  private readonly joined = new Map<string, IndexFile>();
  /** Hash states by `{key}|{variant}`, for the next snapshot to resume from. */
  readonly checkpoints = new Map<string, DigestCheckpoints>();
  private readonly derived = new Map<string, unknown>();

  constructor(
    readonly stamp: string,
    /** Unix seconds of the last write to the repository (the Release Date). */
    readonly updatedUnix: number,
    readonly shards: readonly Shard[],
    /** The previous snapshot's hash states (not the snapshot: no chain of them is kept). */
    private readonly seed?: ReadonlyMap<string, DigestCheckpoints>,
  ) {
    for (const shard of shards)
      for (const key of shard.parts.keys()) {
        const [dist, component, arch] = key.split('|');
        let components = this.layout.get(dist);
        if (!components) this.layout.set(dist, (components = new Map()));
        let archs = components.get(component);
        if (!archs) components.set(component, (archs = new Set()));
        archs.add(arch);
      }
  }

  get bytes(): number {
    return this.shards.reduce((n, s) => n + s.bytes, 0);
  }

  /**
   * The digests of an index's three files, or undefined when no package is in it. They are
   * hashed piece by piece, resuming from the previous snapshot's hash states at the first
   * shard whose part changed (debian-digests.ts): a Release needs the digests of every
   * index of its distribution, apt then fetches one file of each.
   */
  digests(
    dist: string,
    component: string,
    arch: string,
  ): Record<PackagesVariant, HashedFile> | undefined {
    const key = `${dist}|${component}|${arch}`;
    let done = this.hashed.get(key);
    if (done) return done;
    const parts = this.shards.flatMap((s) => s.parts.get(key) ?? []);
    if (!parts.length) return undefined;
    const xz = joinXzStreamPieces(parts.map((p) => p.xz));
    const inputs: Record<PackagesVariant, [DigestPart[], Buffer[]]> = {
      Packages: [parts.map((p) => ({ id: p, pieces: [p.plain] })), []],
      'Packages.gz': [parts.map((p) => ({ id: p, pieces: [p.gz] })), []],
      // The stream header is the same for every stream encodeXz writes; the index after
      // the blocks changes with any of them.
      'Packages.xz': [
        [
          { id: xz[0].toString('hex'), pieces: [xz[0]] },
          ...parts.map((p, i) => ({ id: p, pieces: [xz[i + 1]] })),
        ],
        [xz[xz.length - 1]],
      ],
    };
    const hashed = {} as Record<PackagesVariant, HashedFile>;
    for (const variant of PACKAGES_VARIANTS) {
      const [digestInputs, tail] = inputs[variant];
      const { hashed: h, checkpoints } = digestParts(
        digestInputs,
        tail,
        this.seed?.get(`${key}|${variant}`),
      );
      hashed[variant] = h;
      this.checkpoints.set(`${key}|${variant}`, checkpoints);
    }
    this.hashed.set(key, (done = hashed));
    return done;
  }

  /** One index file, joined from its parts when first asked for; undefined when empty. */
  file(
    dist: string,
    component: string,
    arch: string,
    variant: PackagesVariant,
  ): IndexFile | undefined {
    const key = `${dist}|${component}|${arch}`;
    let done = this.joined.get(`${key}|${variant}`);
    if (done) return done;
    const digests = this.digests(dist, component, arch);
    if (!digests) return undefined;
    const parts = this.shards.flatMap((s) => s.parts.get(key) ?? []);
    const body =
      variant === 'Packages'
        ? Buffer.concat(parts.map((p) => p.plain))
        : variant === 'Packages.gz'
          ? Buffer.concat(parts.map((p) => p.gz))
          : Buffer.concat(joinXzStreamPieces(parts.map((p) => p.xz)));
    this.joined.set(`${key}|${variant}`, (done = { body, ...digests[variant] }));
    return done;
  }

  /** A document derived from this snapshot, made once (a promise is kept as it is). */
  derive<T>(key: string, make: () => T): T {
    if (!this.derived.has(key)) this.derived.set(key, make());
    return this.derived.get(key) as T;
  }

  /** Drops a derived document (one that failed), so the next use makes it again. */
  forget(key: string): void {
    this.derived.delete(key);
  }
}

@Injectable()
export class DebianIndexService {
  private readonly snapshots: ShardSnapshots<Shard, RepositorySnapshot>;

  constructor(documents: DocumentCache, query: PackageQueryService) {
    this.snapshots = new ShardSnapshots(documents, query, {
      type: TYPE,
      maxBytes: SNAPSHOT_BYTES,
      empty: EMPTY_SHARD,
      buildShard,
      snapshotOf: (stamp, updatedUnix, shards, previous) =>
        new RepositorySnapshot(stamp, updatedUnix, shards, previous?.checkpoints),
      // Joined files roughly double what the parts take.
      bytesOf: (snapshot) => 2 * snapshot.bytes,
    });
  }

  /** The owner's snapshot as the database has it now (one query when nothing changed). */
  snapshot(ownerId: number): Promise<RepositorySnapshot> {
    return this.snapshots.snapshot(ownerId);
  }
}

/** One shard's parts: its packages' paragraphs grouped by index, in a fixed order. */
function buildShard(generation: number, descriptors: VersionDescriptor[]): Shard {
  const entries: { key: string; sort: [string, number, number, number]; text: string }[] = [];
  for (const d of descriptors)
    for (const f of d.files) {
      const prop = (name: string) => f.properties[name]?.[0];
      const [dist, component, arch, control] = [
        prop(DISTRIBUTION_PROPERTY),
        prop(COMPONENT_PROPERTY),
        prop(ARCHITECTURE_PROPERTY),
        prop(CONTROL_PROPERTY),
      ];
      if (!dist || !component || !arch || !control) continue;
      entries.push({
        key: `${dist}|${component}|${arch}`,
        sort: [d.package.lowerName, d.version.createdUnix, d.version.id, f.file.id],
        text: packagesParagraph({
          control,
          filename: poolPath(dist, component, f.file.name),
          size: f.blob.size,
          md5: f.blob.hashMd5,
          sha1: f.blob.hashSha1,
          sha256: f.blob.hashSha256,
          sha512: f.blob.hashSha512,
        }),
      });
    }
  entries.sort((a, b) => compareTuples(a.sort, b.sort));
  const texts = new Map<string, string[]>();
  for (const e of entries) {
    const list = texts.get(e.key);
    if (list) list.push(e.text);
    else texts.set(e.key, [e.text]);
  }
  const parts = new Map<string, Part>();
  let bytes = 0;
  for (const [key, list] of texts) {
    const plain = Buffer.from(list.join(''), 'utf8');
    const part = { plain, gz: gzipSync(plain), xz: encodeXz(plain) };
    bytes += plain.length + part.gz.length + part.xz.length;
    parts.set(key, part);
  }
  return { generation, parts, bytes };
}

function compareTuples(a: readonly (string | number)[], b: readonly (string | number)[]): number {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i] < b[i] ? -1 : 1;
  return 0;
}
