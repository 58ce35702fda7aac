import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { UserEntity } from '@wharf/packages-core';
import { Principal } from '../principal';
import { ExpiringLru } from './expiring-lru';

/**
 * How long a verified credential is trusted without asking the database again. This is
 * the bound on how late another replica notices a changed password, a revoked token, a
 * removed or disabled user: it keeps its copy at most this long. The replica that makes
 * the change forgets at once.
 */
export const CREDENTIAL_TTL_MS = 5_000;
export const CREDENTIAL_CACHE_ENTRIES = 10_000;

interface CachedCredential {
  /** The full HMAC; the map key is its first half, this is compared in constant time. */
  digest: Buffer;
  principal: Principal;
}

/**
 * Credentials that verified recently (HTTP Basic with a password costs an scrypt run,
 * tens of milliseconds; package managers send it on every request). Keys are an
 * HMAC-SHA256 of the credential under a random key made per process, so nothing held
 * here, logged or dumped reveals or confirms a secret. Only successes are kept: every
 * failure goes to the database and the sign-in rate limiter. Provided by a factory
 * (AuthModule), as the options are for tests.
 */
export class CredentialCache {
  private readonly key = randomBytes(32);
  private readonly entries: ExpiringLru<CachedCredential>;
  /** Verifications under way, by the same key: concurrent requests share one. */
  private readonly running = new Map<string, { digest: Buffer; shared: Promise<Principal> }>();
  // Bumped by every invalidation: a verification that started before it is not cached.
  private epoch = 0;

  constructor(options: { ttlMs?: number; maxEntries?: number; now?: () => number } = {}) {
    this.entries = new ExpiringLru({
      ttlMs: options.ttlMs ?? CREDENTIAL_TTL_MS,
      maxEntries: options.maxEntries ?? CREDENTIAL_CACHE_ENTRIES,
      now: options.now,
    });
  }

  get size(): number {
    return this.entries.size;
  }

  /** The map keys held, oldest first (tests check they reveal nothing). */
  keys(): string[] {
    return this.entries.keys();
  }

  /**
   * The principal cached for these credential parts, or a fresh verification by `verify`
   * (cached when it succeeds). The parts are e.g. `['basic', user, password]`. `onHit`
   * runs before a cached principal is returned and may refuse it by throwing (the
   * sign-in rate limiter's block holds for a cached password too).
   */
  async getOrVerify(
    parts: string[],
    verify: () => Promise<Principal>,
    onHit?: (principal: Principal) => Promise<void>,
  ): Promise<Principal> {
    const digest = this.digest(parts);
    const id = digest.subarray(0, 16).toString('base64url');
    const hit = this.entries.get(id);
    if (hit && timingSafeEqual(hit.digest, digest) && live(hit.principal)) {
      await onHit?.(hit.principal);
      return copyPrincipal(hit.principal);
    }
    // The same credentials already being verified (a client's parallel requests): wait for
    // that run instead of starting another scrypt (CPU, and 16 MiB of memory each).
    const running = this.running.get(id);
    if (running && timingSafeEqual(running.digest, digest)) {
      const principal = await running.shared;
      await onHit?.(principal);
      return copyPrincipal(principal);
    }
    const epoch = this.epoch;
    const verification = verify();
    // A copy taken before the first caller resumes: it may change the principal it gets.
    const shared = verification.then(copyPrincipal);
    shared.catch(() => undefined); // the first caller handles the failure
    this.running.set(id, { digest, shared });
    try {
      const principal = await verification;
      if (epoch === this.epoch)
        this.entries.set(id, { digest, principal: copyPrincipal(principal) });
      return principal;
    } finally {
      if (this.running.get(id)?.shared === shared) this.running.delete(id);
    }
  }

  /** Forgets every credential of a user (password changed, user disabled or deleted). */
  invalidateUser(userId: number): void {
    this.epoch++;
    this.running.clear();
    this.entries.deleteWhere((e) => e.principal.user.id === userId);
  }

  /** Forgets a revoked access token, whichever form it was sent in. */
  invalidateToken(tokenId: number): void {
    this.epoch++;
    this.running.clear();
    this.entries.deleteWhere((e) => e.principal.tokenId === tokenId);
  }

  private digest(parts: string[]): Buffer {
    const hmac = createHmac('sha256', this.key);
    // Lengths first, so ('ab','c') and ('a','bc') differ.
    for (const part of parts) hmac.update(`${Buffer.byteLength(part)}:`).update(part);
    return hmac.digest();
  }
}

/** An expired access token stops working on time, cached or not. */
function live(principal: Principal): boolean {
  return principal.expiresUnix === undefined || principal.expiresUnix * 1000 > Date.now();
}

/** Callers may change the entity they get (an update assigns to it); the cached one stays as read. */
function copyPrincipal(principal: Principal): Principal {
  return { ...principal, user: Object.assign(new UserEntity(), principal.user) };
}
