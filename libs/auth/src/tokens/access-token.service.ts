import { Injectable } from '@nestjs/common';
import {
  AccessTokenEntity,
  Database,
  isUniqueViolation,
  nowUnix,
  RegistryError,
  UserEntity,
} from '@wharf/packages-core';
import { CredentialCache } from '../credentials/credential-cache';
import { decodeScopes, encodeScopes, TokenScope } from './token-scopes';
import { generateToken, hashToken, looksLikeToken } from './token-secret';

export interface NewToken {
  name: string;
  scopes: TokenScope[];
  /** unix seconds; null = never expires */
  expiresUnix?: number | null;
}

/** A verified token with its user. */
export interface ResolvedToken {
  token: AccessTokenEntity;
  user: UserEntity;
  scopes: Set<TokenScope>;
}

// last_used_unix is written at most this often per token, not on every request.
const TOUCH_INTERVAL_SECONDS = 60;

/** Personal access tokens: created once with the secret shown, then found only by hash. */
@Injectable()
export class AccessTokenService {
  constructor(
    private readonly db: Database,
    private readonly cache: CredentialCache,
  ) {}

  /** Returns the row and the secret, which is not stored and cannot be shown again. */
  async create(
    userId: number,
    spec: NewToken,
  ): Promise<{ entity: AccessTokenEntity; token: string }> {
    const name = spec.name.trim();
    if (!name) throw RegistryError.invalid('token name must not be empty');
    const token = generateToken();
    const entity = this.db.manager.create(AccessTokenEntity, {
      userId,
      name,
      tokenHash: hashToken(token),
      tokenLastEight: token.slice(-8),
      scopes: encodeScopes(spec.scopes),
      expiresUnix: spec.expiresUnix ?? null,
      lastUsedUnix: null,
      createdUnix: nowUnix(),
    });
    try {
      await this.db.manager.insert(AccessTokenEntity, entity);
    } catch (err) {
      if (isUniqueViolation(err))
        throw RegistryError.conflict(`an access token named "${name}" already exists`);
      throw err;
    }
    return { entity, token };
  }

  list(userId: number, offset = 0, limit = 50): Promise<[AccessTokenEntity[], number]> {
    return this.db.manager.findAndCount(AccessTokenEntity, {
      where: { userId },
      order: { id: 'ASC' },
      skip: offset,
      take: limit,
    });
  }

  /** Deletes by id, or by name when the reference is not a number or no id matches (Forgejo's order). */
  async delete(userId: number, ref: string): Promise<void> {
    const id = /^\d+$/.test(ref) ? Number(ref) : undefined;
    const found =
      (id !== undefined
        ? await this.db.manager.findOneBy(AccessTokenEntity, { userId, id })
        : null) ?? (await this.db.manager.findOneBy(AccessTokenEntity, { userId, name: ref }));
    if (!found) throw RegistryError.notFound(`access token ${ref} does not exist`);
    await this.db.manager.delete(AccessTokenEntity, { id: found.id });
    // This replica refuses the token now; the others once their copy expires (seconds).
    this.cache.invalidateToken(found.id);
  }

  /**
   * The token's row and user when `secret` is a live token; null when it is unknown,
   * expired or its user is gone. Records the use (at most once a minute).
   */
  async resolve(secret: string): Promise<ResolvedToken | null> {
    if (!looksLikeToken(secret)) return null;
    const token = await this.db.manager.findOneBy(AccessTokenEntity, {
      tokenHash: hashToken(secret),
    });
    if (!token) return null;
    const now = nowUnix();
    if (token.expiresUnix !== null && token.expiresUnix <= now) return null;
    const user = await this.db.manager.findOneBy(UserEntity, { id: token.userId });
    if (!user) return null;
    await this.touch(token, now);
    return { token, user, scopes: decodeScopes(token.scopes) };
  }

  /**
   * The token with this id and its user when it is still live (not deleted, not expired,
   * its user still there): for credentials derived from a token (Conan's JWT), which must
   * stop working when the token is revoked.
   */
  async findLive(tokenId: number): Promise<ResolvedToken | null> {
    const token = await this.db.manager.findOneBy(AccessTokenEntity, { id: tokenId });
    if (!token || (token.expiresUnix !== null && token.expiresUnix <= nowUnix())) return null;
    const user = await this.db.manager.findOneBy(UserEntity, { id: token.userId });
    return user ? { token, user, scopes: decodeScopes(token.scopes) } : null;
  }

  private async touch(token: AccessTokenEntity, now: number): Promise<void> {
    if (token.lastUsedUnix !== null && token.lastUsedUnix > now - TOUCH_INTERVAL_SECONDS) return;
    // Conditional, so concurrent requests on many replicas write once, not each.
    await this.db.manager
      .createQueryBuilder()
      .update(AccessTokenEntity)
      .set({ lastUsedUnix: now })
      .where('id = :id', { id: token.id })
      .andWhere('(last_used_unix IS NULL OR last_used_unix <= :stale)', {
        stale: now - TOUCH_INTERVAL_SECONDS,
      })
      .execute();
    token.lastUsedUnix = now;
  }
}
