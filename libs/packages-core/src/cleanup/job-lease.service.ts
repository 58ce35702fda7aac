import { Injectable } from '@nestjs/common';
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { Database, isUniqueViolation } from '../database/database.service';
import { JobLeaseEntity, nowUnix } from '../entities';

/**
 * Leases in the database, so that across N replicas one at a time runs a periodic job.
 * Taking a lease is one conditional UPDATE (free, expired, or already ours) or, the first
 * time, an INSERT that only one replica wins. The holder renews it while it works; a
 * replica that dies stops renewing, and the lease passes on once it has expired.
 */
@Injectable()
export class JobLeaseService {
  /** This process, as a lease holder. */
  readonly holder = `${hostname().slice(0, 40)}-${process.pid}-${randomBytes(4).toString('hex')}`;

  constructor(private readonly db: Database) {}

  /** True when this process now holds `name` for `ttlSeconds`. */
  async acquire(name: string, ttlSeconds: number): Promise<boolean> {
    const now = nowUnix();
    const taken = await this.db.manager
      .createQueryBuilder()
      .update(JobLeaseEntity)
      .set({ holder: this.holder, expiresUnix: now + ttlSeconds })
      .where('name = :name AND (expires_unix < :now OR holder = :holder)', {
        name,
        now,
        holder: this.holder,
      })
      .execute();
    if (taken.affected) return true;
    try {
      await this.db.manager.insert(JobLeaseEntity, {
        name,
        holder: this.holder,
        expiresUnix: now + ttlSeconds,
      });
      return true;
    } catch (err) {
      if (isUniqueViolation(err)) return false;
      throw err;
    }
  }

  /** Extends a lease this process holds; false when it was lost (expired and taken). */
  async renew(name: string, ttlSeconds: number): Promise<boolean> {
    const result = await this.db.manager
      .createQueryBuilder()
      .update(JobLeaseEntity)
      .set({ expiresUnix: nowUnix() + ttlSeconds })
      .where('name = :name AND holder = :holder', { name, holder: this.holder })
      .execute();
    return !!result.affected;
  }

  /** Gives the lease up at once, so the next replica need not wait for it to expire. */
  async release(name: string): Promise<void> {
    await this.db.manager
      .createQueryBuilder()
      .update(JobLeaseEntity)
      .set({ expiresUnix: 0 })
      .where('name = :name AND holder = :holder', { name, holder: this.holder })
      .execute();
  }
}
