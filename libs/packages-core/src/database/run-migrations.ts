import type { DataSource } from 'typeorm';

const LOCK = 'wharf_migrations';

/**
 * Applies pending migrations. On MySQL, replicas starting together take a named lock
 * (GET_LOCK) so only one migrates and the others wait, then find nothing to do.
 * Returns the names of the migrations applied.
 */
export async function runMigrations(dataSource: DataSource): Promise<string[]> {
  if (dataSource.options.type !== 'mysql') {
    return (await dataSource.runMigrations({ transaction: 'each' })).map((m) => m.name);
  }
  const runner = dataSource.createQueryRunner();
  await runner.connect();
  try {
    const [row] = await runner.query('SELECT GET_LOCK(?, 300) AS locked', [LOCK]);
    if (Number(row.locked) !== 1)
      throw new Error('timed out waiting for another process to finish migrating');
    try {
      return (await dataSource.runMigrations({ transaction: 'each' })).map((m) => m.name);
    } finally {
      await runner.query('SELECT RELEASE_LOCK(?)', [LOCK]);
    }
  } finally {
    await runner.release();
  }
}
