import { Injectable } from '@nestjs/common';
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { LessThanOrEqual } from 'typeorm';
import { Database, nowUnix, UserEntity, WebSessionEntity } from '@wharf/packages-core';

/** How long a browser stays signed in. */
export const SESSION_LIFETIME_SECONDS = 7 * 24 * 3600;

export interface WebSession {
  user: UserEntity;
  csrfToken: string;
  id: string;
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** Ties a session to the password it began with: a changed password ends it. */
const stampOf = (user: UserEntity) => sha256(`wharf-session\n${user.passwordHash}`);

/** Constant-time comparison of two tokens of any length. */
export function sameToken(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && x.length > 0 && timingSafeEqual(x, y);
}

export function randomToken(): string {
  return randomBytes(32).toString('base64url');
}

/**
 * Browser sessions kept in the database (every replica knows them). The cookie holds a
 * random token; the row is found by its sha256, so the token is never stored.
 */
@Injectable()
export class WebSessionService {
  constructor(private readonly db: Database) {}

  /** Starts a session; returns the cookie's token (shown nowhere else). */
  async create(user: UserEntity): Promise<{ token: string; session: WebSession }> {
    const token = randomToken();
    const now = nowUnix();
    const row = {
      id: sha256(token),
      userId: user.id,
      csrfToken: randomToken(),
      passwordStamp: stampOf(user),
      createdUnix: now,
      expiresUnix: now + SESSION_LIFETIME_SECONDS,
    };
    // Expired rows go when their user signs in again: no sweeper job needed.
    await this.db.manager.delete(WebSessionEntity, {
      userId: user.id,
      expiresUnix: LessThanOrEqual(now),
    });
    await this.db.manager.insert(WebSessionEntity, row);
    return { token, session: { user, csrfToken: row.csrfToken, id: row.id } };
  }

  /** The live session of a cookie token, or undefined (unknown, expired, disabled user, new password). */
  async resolve(token: string | undefined): Promise<WebSession | undefined> {
    if (!token || token.length > 128) return undefined;
    const id = sha256(token);
    const row = await this.db.manager.findOneBy(WebSessionEntity, { id });
    if (!row) return undefined;
    const user = await this.db.manager.findOneBy(UserEntity, { id: row.userId });
    const stale =
      row.expiresUnix <= nowUnix() ||
      !user ||
      !user.isActive ||
      !sameToken(row.passwordStamp, stampOf(user));
    if (stale) {
      await this.db.manager.delete(WebSessionEntity, { id });
      return undefined;
    }
    return { user, csrfToken: row.csrfToken, id };
  }

  async destroy(id: string): Promise<void> {
    await this.db.manager.delete(WebSessionEntity, { id });
  }

  /** Ends every session of a user (after a password change, before starting a new one). */
  async destroyAllOf(userId: number): Promise<void> {
    await this.db.manager.delete(WebSessionEntity, { userId });
  }
}
