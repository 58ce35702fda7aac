import { createHash, randomBytes } from 'node:crypto';

/**
 * 20 random bytes as 40 hex characters: 160 bits, the shape of Forgejo's tokens (its
 * `sha1` field), which clients and scripts already expect.
 */
export const TOKEN_PATTERN = /^[0-9a-f]{40}$/;

export function generateToken(): string {
  return randomBytes(20).toString('hex');
}

/**
 * Tokens are kept only as sha256: they are random and long, so a fast hash cannot be
 * reversed by guessing, and looking up the hash through a unique index is the comparison
 * (no stored secret is ever compared byte by byte in process).
 */
export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

export function looksLikeToken(value: string): boolean {
  return TOKEN_PATTERN.test(value);
}
