import { Injectable } from '@nestjs/common';
import { createHash } from 'node:crypto';
import {
  Database,
  isUniqueViolation,
  LoginAttemptEntity,
  nowUnix,
  RegistryError,
  RegistryErrorCode,
} from '@wharf/packages-core';

/** A burst of this many failed password sign-ins per user and address… */
export const LOGIN_MAX_FAILURES = 10;
/** …within this fixed window blocks further attempts until the window ends. */
export const LOGIN_WINDOW_SECONDS = 300;

/**
 * Counts failed password sign-ins per (user name, client address) in the database, so
 * all replicas share one count and a password cannot be guessed at line speed by
 * spreading requests across them. Tokens are not counted: 160 random bits are not guessable.
 */
@Injectable()
export class LoginRateLimiter {
  constructor(private readonly db: Database) {}

  /** Bounded, non-identifying key: names and addresses can be long and need not be stored. */
  subject(username: string, address: string): string {
    return createHash('sha256').update(`${username.toLowerCase()}\n${address}`).digest('hex');
  }

  /**
   * Throws 429 while the subject is blocked. Returns whether failures are on record, so
   * a success clears them only when there is something to clear (no write per request).
   */
  async assertAllowed(subject: string, now = nowUnix()): Promise<{ hasFailures: boolean }> {
    const row = await this.db.manager.findOneBy(LoginAttemptEntity, { subject });
    if (!row || row.windowUnix <= now - LOGIN_WINDOW_SECONDS) return { hasFailures: false };
    if (row.failures >= LOGIN_MAX_FAILURES) {
      const wait = row.windowUnix + LOGIN_WINDOW_SECONDS - now;
      throw new RegistryError(
        RegistryErrorCode.TooManyRequests,
        `too many failed sign-ins, try again in ${wait} seconds`,
        {
          retryAfterSeconds: wait,
        },
      );
    }
    return { hasFailures: row.failures > 0 };
  }

  /**
   * One more failure, atomically: the increment (or the reset of an expired window) is a
   * single UPDATE, so concurrent failures on several replicas are all counted.
   */
  async recordFailure(subject: string, now = nowUnix()): Promise<void> {
    for (let attempt = 0; attempt < 3; attempt++) {
      const cutoff = now - LOGIN_WINDOW_SECONDS;
      // `failures` is assigned first: MySQL evaluates SET left to right with updated values.
      const result = await this.db.manager
        .createQueryBuilder()
        .update(LoginAttemptEntity)
        .set({
          failures: () => 'CASE WHEN window_unix <= :cutoff THEN 1 ELSE failures + 1 END',
          windowUnix: () => 'CASE WHEN window_unix <= :cutoff THEN :now ELSE window_unix END',
        })
        .where('subject = :subject')
        .setParameters({ cutoff, now, subject })
        .execute();
      if (result.affected) return;
      try {
        await this.db.manager.insert(LoginAttemptEntity, { subject, windowUnix: now, failures: 1 });
        return;
      } catch (err) {
        if (!isUniqueViolation(err)) throw err;
        // another request inserted the row first: count on it
      }
    }
  }

  async clear(subject: string): Promise<void> {
    await this.db.manager.delete(LoginAttemptEntity, { subject });
  }
}
