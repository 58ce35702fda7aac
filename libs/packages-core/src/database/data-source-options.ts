import type { DataSourceOptions } from 'typeorm';
import type { DatabaseSettings } from '../config/config';
import { ENTITIES } from '../entities';
import { MIGRATIONS } from '../migrations';

/** TypeORM options for either database, from the same entities and migrations. */
export function buildDataSourceOptions(settings: DatabaseSettings): DataSourceOptions {
  const common = {
    entities: ENTITIES,
    migrations: MIGRATIONS,
    synchronize: false,
    migrationsRun: false,
    logging: false,
  } as const;
  if (settings.kind === 'sqlite') {
    return {
      ...common,
      type: 'better-sqlite3',
      database: settings.file,
      enableWAL: true,
      // A second process (the migrate command, an admin CLI) may hold the write lock briefly.
      timeout: 10000,
    };
  }
  return {
    ...common,
    type: 'mysql',
    url: settings.url,
    charset: 'utf8mb4',
    supportBigNumbers: true,
    poolSize: settings.poolSize,
    connectTimeout: 5000,
    // mysql2 verifies the certificate (and host name) unless told not to
    ...(settings.tls && {
      ssl: {
        rejectUnauthorized: settings.tls.verify,
        ...(settings.tls.ca && { ca: settings.tls.ca }),
      },
    }),
    // Fail fast when the database is gone instead of queueing requests forever.
    extra: { connectionLimit: settings.poolSize, queueLimit: 200, enableKeepAlive: true },
  } as DataSourceOptions;
}
