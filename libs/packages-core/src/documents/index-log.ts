import { Injectable } from '@nestjs/common';
import {
  createBLAKE2b,
  createMD5,
  createSHA1,
  createSHA256,
  createSHA512,
  type IHasher,
} from 'hash-wasm';
import type { EntityManager } from 'typeorm';
import {
  Database,
  isForeignKeyViolation,
  isUniqueViolation,
  RetryTransaction,
} from '../database/database.service';
import { bumpGenerations, OWNER_WIDE_SCOPE } from './document-generations';
import { nowUnix } from '../entities';

/*
 * Append-only repository indexes whose update after an upload costs what the upload adds,
 * not what the repository holds (issue 15, "Scale").
 *
 * Some index files are a plain concatenation of one record per package: apt-rpm's
 * pkglist (rpm headers back to back), apt's Packages (stanzas), and their compressed
 * forms when each record is compressed on its own. Mind the reader, though: gzip
 * readers decode concatenated members, and so does the xz tool apt-rpm pipes
 * pkglist.classic.xz through, but apt (2.6) stops after the first xz stream — Debian's
 * Packages.xz is written as one stream (core's xz-join). Their checksums, listed in a
 * release file, are the only
 * part that seems to need the whole file. A hash is a running state, though: this log
 * keeps, beside each package's record (a "segment"), the size and the saved hash states
 * of every stream *after* it, so appending a package is: read the last segment's states,
 * feed them the new record, store the new segment. The release file finalizes the last
 * states (hash-wasm saves and loads MD5, SHA-1/256/512 and BLAKE2b states).
 *
 * Order is the order of appends (`seq`, unique per log: of two concurrent appends one
 * fails the unique index and its transaction is retried, so none is lost). A deleted
 * file takes its segment with it (foreign key CASCADE, whatever deletes it) and nulls the
 * next segment's `prev_file_id`; the first segment found that way is where `repair`
 * recomputes the running states from, so a deletion costs the segments after it.
 *
 * Formats append inside their publish transaction (`PublishTransaction.appendToIndexLog`)
 * and read with {@link IndexLogService}.
 */

/** Hashes a log can keep running states of. */
export type IndexHash = 'md5' | 'sha1' | 'sha256' | 'sha512' | 'blake2b512';

/** Which index: an owner's, of one package type, under a name the format chooses. */
export interface IndexLogKey {
  ownerId: number;
  type: string;
  log: string;
}

/** The shape of a log's segments: how many streams each adds to, and the hashes kept. */
export interface IndexLogSpec {
  streams: number;
  hashes: readonly IndexHash[];
}

export interface IndexStreamSummary {
  size: number;
  /** Lower-case hex digest of the whole stream, per hash of the spec. */
  digests: Partial<Record<IndexHash, string>>;
}

export interface IndexLogSummary {
  /** Number of segments (package files) in the log. */
  segments: number;
  /** `seq` of the last segment: read up to it to get exactly the summarized bytes. */
  lastSeq: number;
  /**
   * When the log last changed, or a file of the owner's type did (a deletion may change
   * the log without touching a segment left): never earlier than a change, so a client's
   * If-Modified-Since cannot hide one.
   */
  updatedUnix: number;
  streams: IndexStreamSummary[];
}

interface SavedStream {
  size: number;
  /** base64 of hash-wasm's saved state, per hash. */
  states: Partial<Record<IndexHash, string>>;
}

interface SavedState {
  segments: number;
  streams: SavedStream[];
}

const PAGE = 200;

let hashers: Promise<Record<IndexHash, IHasher>> | undefined;

/** One hasher per algorithm: every use below is synchronous from load() to save()/digest(). */
function loadHashers(): Promise<Record<IndexHash, IHasher>> {
  hashers ??= Promise.all([
    createMD5(),
    createSHA1(),
    createSHA256(),
    createSHA512(),
    createBLAKE2b(512),
  ]).then(([md5, sha1, sha256, sha512, blake2b512]) => ({
    md5,
    sha1,
    sha256,
    sha512,
    blake2b512,
  }));
  return hashers;
}

function emptyState(spec: IndexLogSpec, h: Record<IndexHash, IHasher>): SavedState {
  const stream = (): SavedStream => ({
    size: 0,
    states: Object.fromEntries(
      spec.hashes.map((name) => [name, Buffer.from(h[name].init().save()).toString('base64')]),
    ),
  });
  return { segments: 0, streams: Array.from({ length: spec.streams }, stream) };
}

/** The running state after one more segment. */
function advance(
  state: SavedState,
  spec: IndexLogSpec,
  fragments: Buffer[],
  h: Record<IndexHash, IHasher>,
): SavedState {
  return {
    segments: state.segments + 1,
    streams: state.streams.map((stream, i) => ({
      size: stream.size + fragments[i].length,
      states: Object.fromEntries(
        spec.hashes.map((name) => {
          const hasher = h[name].load(Buffer.from(stream.states[name]!, 'base64'));
          hasher.update(fragments[i]);
          return [name, Buffer.from(hasher.save()).toString('base64')];
        }),
      ),
    })),
  };
}

function parseState(json: string, spec: IndexLogSpec): SavedState {
  const state = JSON.parse(json) as SavedState;
  if (
    state.streams.length !== spec.streams ||
    spec.hashes.some((name) => state.streams.some((s) => !s.states[name]))
  )
    throw new Error('index log state does not match the spec it is read with');
  return state;
}

/** Segment body: u32 count, u32 length of each fragment, the fragments. */
export function packFragments(fragments: Buffer[]): Buffer {
  const head = Buffer.alloc(4 + 4 * fragments.length);
  head.writeUInt32BE(fragments.length, 0);
  fragments.forEach((f, i) => head.writeUInt32BE(f.length, 4 + 4 * i));
  return Buffer.concat([head, ...fragments]);
}

export function unpackFragments(body: Buffer): Buffer[] {
  const count = body.readUInt32BE(0);
  const out: Buffer[] = [];
  let at = 4 + 4 * count;
  for (let i = 0; i < count; i++) {
    const length = body.readUInt32BE(4 + 4 * i);
    out.push(body.subarray(at, at + length));
    at += length;
  }
  return out;
}

function isMysql(em: EntityManager): boolean {
  const type = em.connection.options.type;
  return type === 'mysql' || type === 'mariadb';
}

function keyParams(key: IndexLogKey): [number, string, string] {
  return [key.ownerId, key.type, key.log];
}

const KEY = 'owner_id = ? AND type = ? AND log = ?';

/**
 * Serializes writers of one log on MySQL: an upsert of the log's generation row (which
 * always exists after it, unlike a last segment to lock), then locking reads, which see
 * the latest committed rows rather than the transaction's snapshot. SQLite runs one write
 * transaction at a time anyway. The unique `seq` index stays the final guard.
 */
async function lockLog(em: EntityManager, key: IndexLogKey): Promise<void> {
  if (!isMysql(em)) return;
  await bumpGenerations(em, [
    { ownerId: key.ownerId, type: key.type, scope: `index-log/${key.log}` },
  ]);
}

/** ` FOR UPDATE` on MySQL: reads inside a log's writers must not come from an older snapshot. */
function locking(em: EntityManager): string {
  return isMysql(em) ? ' FOR UPDATE' : '';
}

async function firstBrokenSeq(
  em: EntityManager,
  key: IndexLogKey,
  lock = '',
): Promise<number | undefined> {
  const rows: { seq: number | string | null }[] = await em.query(
    `SELECT MIN(seq) AS seq FROM index_segment WHERE ${KEY} AND prev_file_id IS NULL AND is_first = 0${lock}`,
    keyParams(key),
  );
  const seq = rows[0]?.seq;
  return seq === null || seq === undefined ? undefined : Number(seq);
}

/**
 * Recomputes the running states from the first segment whose predecessor was deleted
 * (nothing when there is none), inside the caller's transaction.
 */
async function repairIn(em: EntityManager, key: IndexLogKey, spec: IndexLogSpec): Promise<void> {
  const broken = await firstBrokenSeq(em, key, locking(em));
  if (broken === undefined) return;
  const h = await loadHashers();
  const before: { file_id: number | string; state: string }[] = await em.query(
    `SELECT file_id, state FROM index_segment WHERE ${KEY} AND seq < ? ORDER BY seq DESC LIMIT 1${locking(em)}`,
    [...keyParams(key), broken],
  );
  let state = before.length ? parseState(before[0].state, spec) : emptyState(spec, h);
  let prevFile: number | null = before.length ? Number(before[0].file_id) : null;
  let after = broken - 1;
  const now = nowUnix();
  for (;;) {
    const rows: {
      id: number | string;
      seq: number | string;
      file_id: number | string;
      body: Buffer;
    }[] = await em.query(
      `SELECT id, seq, file_id, body FROM index_segment WHERE ${KEY} AND seq > ? ORDER BY seq LIMIT ${PAGE}${locking(em)}`,
      [...keyParams(key), after],
    );
    for (const row of rows) {
      state = advance(state, spec, unpackFragments(Buffer.from(row.body)), h);
      await em.query(
        'UPDATE index_segment SET state = ?, prev_file_id = ?, is_first = ?, updated_unix = ? WHERE id = ?',
        [JSON.stringify(state), prevFile, prevFile === null ? 1 : 0, now, Number(row.id)],
      );
      prevFile = Number(row.file_id);
      after = Number(row.seq);
    }
    if (rows.length < PAGE) return;
  }
}

/**
 * Appends `fragments` (one per stream of `spec`) for `fileId` at the end of the log,
 * inside the caller's transaction: reads the last segment, advances its states by the
 * fragments, inserts. Costs the fragments, whatever the log's length. A concurrent append
 * that took the same place makes this transaction retry (RetryTransaction).
 */
export async function appendIndexSegment(
  em: EntityManager,
  key: IndexLogKey,
  spec: IndexLogSpec,
  fileId: number,
  fragments: Buffer[],
): Promise<void> {
  if (fragments.length !== spec.streams)
    throw new Error(`an index segment needs ${spec.streams} fragments, got ${fragments.length}`);
  await lockLog(em, key);
  await repairIn(em, key, spec);
  const h = await loadHashers();
  const last: { seq: number | string; file_id: number | string; state: string }[] = await em.query(
    `SELECT seq, file_id, state FROM index_segment WHERE ${KEY} ORDER BY seq DESC LIMIT 1${locking(em)}`,
    keyParams(key),
  );
  const previous = last[0];
  const state = advance(
    previous ? parseState(previous.state, spec) : emptyState(spec, h),
    spec,
    fragments,
    h,
  );
  try {
    await em.query(
      `INSERT INTO index_segment (owner_id, type, log, seq, file_id, prev_file_id, is_first, body, state, updated_unix)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [
        ...keyParams(key),
        previous ? Number(previous.seq) + 1 : 1,
        fileId,
        previous ? Number(previous.file_id) : null,
        previous ? 0 : 1,
        packFragments(fragments),
        JSON.stringify(state),
        nowUnix(),
      ],
    );
  } catch (err) {
    // Another append took this place, or the file before it was deleted meanwhile.
    if (isUniqueViolation(err) || isForeignKeyViolation(err))
      throw new RetryTransaction('the end of the index log moved');
    throw err;
  }
}

/** Reading an index log: its summary (sizes, digests) and the bytes of one stream. */
@Injectable()
export class IndexLogService {
  constructor(private readonly db: Database) {}

  /**
   * Sizes and digests of every stream, from the last segment's running state; null when
   * the log is empty. A log left broken by a deletion is repaired first (its own write
   * transaction; a second repairer finds nothing left to do).
   */
  async summary(key: IndexLogKey, spec: IndexLogSpec): Promise<IndexLogSummary | null> {
    if ((await firstBrokenSeq(this.db.manager, key)) !== undefined) await this.repair(key, spec);
    const rows: { seq: number | string; state: string; updated_unix: number | string }[] =
      await this.db.manager.query(
        `SELECT seq, state, updated_unix FROM index_segment WHERE ${KEY} ORDER BY seq DESC LIMIT 1`,
        keyParams(key),
      );
    if (!rows.length) return null;
    // A deletion of the last segment's successor changes the log without touching a segment
    // left: every write of the owner's files of this type bumps the owner-wide generation.
    const written: { updated_unix: number | string }[] = await this.db.manager.query(
      'SELECT updated_unix FROM document_generation WHERE owner_id = ? AND type = ? AND scope = ?',
      [key.ownerId, key.type, OWNER_WIDE_SCOPE],
    );
    const h = await loadHashers();
    const state = parseState(rows[0].state, spec);
    return {
      segments: state.segments,
      lastSeq: Number(rows[0].seq),
      updatedUnix: Math.max(Number(rows[0].updated_unix), Number(written[0]?.updated_unix ?? 0)),
      streams: state.streams.map((stream) => ({
        size: stream.size,
        digests: Object.fromEntries(
          spec.hashes.map((name) => [
            name,
            h[name].load(Buffer.from(stream.states[name]!, 'base64')).digest('hex'),
          ]),
        ),
      })),
    };
  }

  /** Recomputes the running states after a deletion (a no-op when nothing is broken). */
  async repair(key: IndexLogKey, spec: IndexLogSpec): Promise<void> {
    await this.db.transaction(async (em) => {
      await lockLog(em, key);
      await repairIn(em, key, spec);
    });
  }

  /**
   * The bytes of stream `stream`, segment by segment in order, up to `lastSeq` (the
   * summary's), in pages: memory holds one page of segments, whatever the index's size.
   */
  async *read(key: IndexLogKey, stream: number, lastSeq: number): AsyncGenerator<Buffer> {
    let after = 0;
    for (;;) {
      const rows: { seq: number | string; body: Buffer }[] = await this.db.manager.query(
        `SELECT seq, body FROM index_segment WHERE ${KEY} AND seq > ? AND seq <= ? ORDER BY seq LIMIT ${PAGE}`,
        [...keyParams(key), after, lastSeq],
      );
      for (const row of rows) {
        yield unpackFragments(Buffer.from(row.body))[stream];
        after = Number(row.seq);
      }
      if (rows.length < PAGE) return;
    }
  }

  /** The names of an owner's logs of one type that hold segments. */
  async logs(ownerId: number, type: string): Promise<string[]> {
    const rows: { log: string }[] = await this.db.manager.query(
      'SELECT DISTINCT log FROM index_segment WHERE owner_id = ? AND type = ? ORDER BY log',
      [ownerId, type],
    );
    return rows.map((r) => r.log);
  }
}
