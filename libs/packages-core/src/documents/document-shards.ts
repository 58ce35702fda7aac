import type { EntityManager } from 'typeorm';

/*
 * Shards of an owner's packages of one type, for indexes that list every package (apt's
 * Packages, rpm's primary.xml, APKINDEX…) and must not be rebuilt whole after each write.
 * A package belongs to one of DOCUMENT_SHARDS shards by its id, and every write of a
 * package bumps its shard's generation too (ChangedScopes), so a format keeps
 * one cached part per shard, reads the shards' generations in one query, and rebuilds only
 * the parts whose shard changed — writes of the management API and cleanup rules included.
 */

/** Shards per owner and type: an index after one write rebuilds about 1/64 of itself. */
export const DOCUMENT_SHARDS = 64;

/**
 * The shard of a package: its id modulo DOCUMENT_SHARDS. The id, not the name, because the
 * database can compute it: `package.id % 64` filters the owner's package index (which holds
 * the id) without reading a row per package into the process.
 */
export function documentShardOf(packageId: number): number {
  return packageId % DOCUMENT_SHARDS;
}

/**
 * The document scope of a shard. `#` is in no format's package-name grammar, so the scope
 * cannot be a package's own; two digits keep the scopes in shard order.
 */
export function shardScope(shard: number): string {
  return `#shard:${String(shard).padStart(2, '0')}`;
}

const SHARD_SCOPES = Array.from({ length: DOCUMENT_SHARDS }, (_, i) => shardScope(i));

/** The generation of each shard (index = shard; 0 for one never written) and the last change. */
export interface ShardGenerations {
  generations: number[];
  /** Unix seconds of the most recent change to any shard; 0 when none was ever written. */
  updatedUnix: number;
}

/** Every shard's generation of one owner and type, in one statement (primary-key lookups). */
export async function readShardGenerations(
  em: EntityManager,
  ownerId: number,
  type: string,
): Promise<ShardGenerations> {
  const rows: { scope: string; generation: number | string; updated_unix: number | string }[] =
    await em.query(
      `SELECT scope, generation, updated_unix FROM document_generation
        WHERE owner_id = ? AND type = ? AND scope IN (${SHARD_SCOPES.map(() => '?').join(', ')})`,
      [ownerId, type, ...SHARD_SCOPES],
    );
  const generations = new Array<number>(DOCUMENT_SHARDS).fill(0);
  let updatedUnix = 0;
  for (const row of rows) {
    const shard = SHARD_SCOPES.indexOf(row.scope);
    if (shard < 0) continue;
    generations[shard] = Number(row.generation);
    updatedUnix = Math.max(updatedUnix, Number(row.updated_unix));
  }
  return { generations, updatedUnix };
}
