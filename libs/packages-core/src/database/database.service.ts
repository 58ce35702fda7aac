import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager, QueryFailedError } from 'typeorm';
import { RegistryError, RegistryErrorCode } from '../errors/registry-error';

const MYSQL_DUPLICATE = 1062;
const MYSQL_FK_PARENT_MISSING = 1452;
const MYSQL_FK_CHILD_EXISTS = 1451;
const MYSQL_DEADLOCK = 1213;
const MYSQL_LOCK_WAIT_TIMEOUT = 1205;
const CONNECTION_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENOTFOUND',
  'PROTOCOL_CONNECTION_LOST',
  'PROTOCOL_SEQUENCE_TIMEOUT',
  'ER_CON_COUNT_ERROR',
  'POOL_CLOSED',
  'ERR_POOL_CLOSED',
  'ER_SERVER_SHUTDOWN',
]);

type DriverError = { code?: string; errno?: number; message?: string };

function driverError(err: unknown): DriverError | undefined {
  if (err instanceof QueryFailedError) return err.driverError as DriverError;
  if (err && typeof err === 'object' && ('code' in err || 'errno' in err))
    return err as DriverError;
  return undefined;
}

export function isUniqueViolation(err: unknown): boolean {
  const e = driverError(err);
  return (
    !!e &&
    (e.errno === MYSQL_DUPLICATE ||
      e.code === 'SQLITE_CONSTRAINT_UNIQUE' ||
      e.code === 'SQLITE_CONSTRAINT_PRIMARYKEY')
  );
}

export function isForeignKeyViolation(err: unknown): boolean {
  const e = driverError(err);
  return (
    !!e &&
    (e.errno === MYSQL_FK_PARENT_MISSING ||
      e.errno === MYSQL_FK_CHILD_EXISTS ||
      e.code === 'SQLITE_CONSTRAINT_FOREIGNKEY')
  );
}

/**
 * Thrown inside a transaction when a concurrent writer won a race the transaction can
 * resolve by starting again (e.g. both created the same package row): the retry sees
 * the other's committed row.
 */
export class RetryTransaction extends Error {
  constructor(readonly reason: string) {
    super(`transaction must be retried: ${reason}`);
    this.name = 'RetryTransaction';
  }
}

function isRetryable(err: unknown): boolean {
  if (err instanceof RetryTransaction) return true;
  const e = driverError(err);
  return (
    !!e &&
    (e.errno === MYSQL_DEADLOCK || e.errno === MYSQL_LOCK_WAIT_TIMEOUT || e.code === 'SQLITE_BUSY')
  );
}

export function isConnectionError(err: unknown): boolean {
  const e = driverError(err);
  if (e?.code && CONNECTION_CODES.has(e.code)) return true;
  const message = err instanceof Error ? err.message : '';
  return /Pool is closed|Connection lost|connect ETIMEDOUT|Timeout acquiring a connection|Can't add new command when connection is in closed state/i.test(
    message,
  );
}

/**
 * Transactions on either database. MySQL decides concurrency itself (row locks, unique
 * indexes); deadlocks are retried. better-sqlite3 has one connection per process, on
 * which TypeORM would nest concurrent transactions as savepoints — so on SQLite (which
 * allows only one replica anyway) transactions are queued, as SQLite's own writer lock
 * would queue them across connections.
 */
/** Attempts of a transaction that keeps hitting deadlocks or lock waits. */
const MAX_ATTEMPTS = 10;
/** Base of the jittered exponential backoff between those attempts. */
const RETRY_BASE_MS = 5;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

@Injectable()
export class Database {
  private sqliteQueue: Promise<unknown> = Promise.resolve();

  constructor(readonly dataSource: DataSource) {}

  get isSqlite(): boolean {
    return this.dataSource.options.type === 'better-sqlite3';
  }

  get manager(): EntityManager {
    return this.dataSource.manager;
  }

  async transaction<T>(work: (em: EntityManager) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.runOnce(work);
      } catch (err) {
        if (attempt >= MAX_ATTEMPTS || !isRetryable(err)) throw translateDatabaseError(err);
        // Writers that deadlocked once tend to meet again if they retry in step: wait a
        // random, growing while so they come back one after another.
        await sleep(Math.random() * RETRY_BASE_MS * 2 ** Math.min(attempt, 6));
      }
    }
  }

  private runOnce<T>(work: (em: EntityManager) => Promise<T>): Promise<T> {
    if (!this.isSqlite) return this.dataSource.transaction(work);
    const run = this.sqliteQueue.then(() => this.dataSource.transaction(work));
    this.sqliteQueue = run.catch(() => undefined);
    return run;
  }

  /** Round trip for readiness. */
  async ping(): Promise<void> {
    await this.dataSource.query('SELECT 1');
  }
}

/** Connection failures become 503s; everything else passes through unchanged. */
export function translateDatabaseError(err: unknown): unknown {
  if (isConnectionError(err)) {
    return new RegistryError(
      RegistryErrorCode.Unavailable,
      'the database is unavailable, try again shortly',
    );
  }
  return err;
}
