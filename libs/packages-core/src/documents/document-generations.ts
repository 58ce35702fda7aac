import type { EntityManager } from 'typeorm';
import { nowUnix } from '../entities';

/** What one generation counter covers: an owner's documents of one type, for one scope. */
export interface DocumentScope {
  ownerId: number;
  type: string;
  /** A package's lower-case name, '' for owner-wide documents, or a format's own scope. */
  scope: string;
}

/** The scope every write of a package bumps besides the package's own: the owner's whole type. */
export const OWNER_WIDE_SCOPE = '';

/**
 * Adds one to each scope's generation, creating the row at 1, inside the caller's write
 * transaction: the new generation is visible exactly when the write is. One upsert for
 * all scopes, in a fixed order, so two writers lock shared rows in the same order.
 */
export async function bumpGenerations(em: EntityManager, scopes: DocumentScope[]): Promise<void> {
  const unique = new Map(scopes.map((s) => [JSON.stringify([s.ownerId, s.type, s.scope]), s]));
  if (!unique.size) return;
  const sorted = [...unique.keys()].sort().map((k) => unique.get(k)!);
  const now = nowUnix();
  const values = sorted.map(() => '(?, ?, ?, 1, ?)').join(', ');
  const params = [...sorted.flatMap((s) => [s.ownerId, s.type, s.scope, now]), now];
  const mysql = em.connection.options.type === 'mysql' || em.connection.options.type === 'mariadb';
  const upsert = mysql
    ? 'ON DUPLICATE KEY UPDATE generation = generation + 1, updated_unix = ?'
    : 'ON CONFLICT (owner_id, type, scope) DO UPDATE SET generation = generation + 1, updated_unix = ?';
  await em.query(
    `INSERT INTO document_generation (owner_id, type, scope, generation, updated_unix) VALUES ${values} ${upsert}`,
    params,
  );
}

/**
 * The current generation of a scope; 0 when nothing was ever written to it. A plain
 * statement: every cached document read asks this, and TypeORM's query building and
 * hydration would cost more than the lookup.
 */
export async function readGeneration(em: EntityManager, scope: DocumentScope): Promise<number> {
  const rows: { generation: number | string }[] = await em.query(
    'SELECT generation FROM document_generation WHERE owner_id = ? AND type = ? AND scope = ?',
    [scope.ownerId, scope.type, scope.scope],
  );
  return rows.length ? Number(rows[0].generation) : 0;
}
