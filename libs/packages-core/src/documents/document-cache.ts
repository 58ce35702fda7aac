import { Injectable } from '@nestjs/common';
import { Database } from '../database/database.service';
import { documentEtag, GeneratedDocument, keepEncodedBody } from '../http/serve-document';
import { DocumentScope, readGeneration } from './document-generations';
import { readShardGenerations, ShardGenerations } from './document-shards';
import { LruByBytes } from './lru-by-bytes';

/** Memory the cached documents of one process may take, in bytes of their bodies. */
export const DOCUMENT_CACHE_BYTES = 64 * 1024 * 1024;

/** Which document: a scope (see {@link DocumentScope}) and the request-dependent variant. */
export interface DocumentKey extends DocumentScope {
  /** What else the body depends on (abbreviated or full packument, JSON or HTML…); '' = none. */
  variant?: string;
}

/** A cached document always has its ETag. */
export type CachedDocument = GeneratedDocument & { etag: string };

/**
 * Generated index documents, kept in process memory and checked against the database on
 * every use: `get` reads the scope's generation (one small query) and returns the copy
 * built at that generation, or builds a new one. Writers bump the generation inside
 * their transaction (PackageService), so every replica serves the current document and
 * never one older than a write acknowledged to a client — the database decides, the
 * cache only saves the rebuilding.
 */
/** Makes a representation of a cached document (its bzip2 form, say). */
export type DeriveDocument = (doc: CachedDocument) => Promise<GeneratedDocument>;

/** One cached document at one generation, with the representations derived from it. */
interface Entry {
  generation: number;
  doc: CachedDocument;
  derived: Map<string, Promise<CachedDocument>>;
  bytes: number;
}

@Injectable()
export class DocumentCache {
  private readonly documents = new LruByBytes<Entry>(DOCUMENT_CACHE_BYTES);
  // One build per key and generation at a time: concurrent requests share it.
  private readonly building = new Map<string, Promise<Entry>>();

  constructor(private readonly db: Database) {}

  /**
   * The document for `key`, built by `build` when the cached copy is missing or out of
   * date. An error from `build` (a 404, say) reaches the caller and is not cached.
   */
  async get(key: DocumentKey, build: () => Promise<GeneratedDocument>): Promise<CachedDocument> {
    return (await this.entry(key, build)).entry.doc;
  }

  /**
   * A representation derived from the document for `key` — `repodata.json.bz2` from
   * `repodata.json` — made by `derive` at most once per generation and kept in the same
   * cache entry: the two always come from the same build, are rebuilt by the same write
   * and are evicted together. An error from `derive` is not cached.
   */
  async getDerived(
    key: DocumentKey,
    build: () => Promise<GeneratedDocument>,
    name: string,
    derive: DeriveDocument,
  ): Promise<CachedDocument> {
    const { id, entry } = await this.entry(key, build);
    let pending = entry.derived.get(name);
    if (!pending) {
      pending = derive(entry.doc).then((made) => {
        const doc = { ...made, etag: made.etag ?? documentEtag(made.body) };
        entry.bytes += Buffer.byteLength(doc.body) + keepEncodedBody(doc);
        // Count the derived bytes against the budget, unless a newer build replaced the entry.
        if (this.documents.get(id) === entry) this.documents.set(id, entry, entry.bytes);
        return doc;
      });
      entry.derived.set(name, pending);
      pending.catch(() => entry.derived.delete(name));
    }
    return pending;
  }

  private async entry(
    key: DocumentKey,
    build: () => Promise<GeneratedDocument>,
  ): Promise<{ id: string; entry: Entry }> {
    const id = JSON.stringify([key.ownerId, key.type, key.scope, key.variant ?? '']);
    // Read before building: a write committed meanwhile leaves the copy tagged with the
    // older generation, so the next request rebuilds rather than trusting it.
    const generation = await readGeneration(this.db.manager, key);
    const cached = this.documents.get(id);
    if (cached?.generation === generation) return { id, entry: cached };
    const buildId = `${id}#${generation}`;
    let pending = this.building.get(buildId);
    if (!pending) {
      pending = this.buildAndStore(id, generation, build).finally(() =>
        this.building.delete(buildId),
      );
      this.building.set(buildId, pending);
    }
    return { id, entry: await pending };
  }

  /**
   * The generation of each shard of an owner's packages of one type (document-shards.ts),
   * in one query: a format that caches an index in parts per shard compares these with
   * its parts' and rebuilds only the parts of shards that changed.
   */
  shardGenerations(ownerId: number, type: string): Promise<ShardGenerations> {
    return readShardGenerations(this.db.manager, ownerId, type);
  }

  private async buildAndStore(
    id: string,
    generation: number,
    build: () => Promise<GeneratedDocument>,
  ): Promise<Entry> {
    const built = await build();
    const doc = { ...built, etag: built.etag ?? documentEtag(built.body) };
    const entry: Entry = {
      generation,
      doc,
      derived: new Map(),
      // a string body is also kept encoded, for serveDocument: counted in the budget
      bytes: Buffer.byteLength(doc.body) + keepEncodedBody(doc),
    };
    // Should a slower build of an older generation land last, the next request rebuilds.
    this.documents.set(id, entry, entry.bytes);
    return entry;
  }
}
