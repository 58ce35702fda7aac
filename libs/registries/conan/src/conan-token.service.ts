import { Injectable, OnModuleInit } from '@nestjs/common';
import { createHmac } from 'node:crypto';
import type { Request } from 'express';
import jwt from 'jsonwebtoken';
import {
  AccessTokenService,
  CredentialCache,
  CredentialResolverRegistry,
  invalidCredentials,
  Principal,
  UserService,
} from '@wharf/auth';
import { SecretService } from '@wharf/packages-core';

/** A day, as Forgejo's: `conan remote login` stores the token and sends it until it fails. */
export const CONAN_TOKEN_TTL_SECONDS = 24 * 60 * 60;
const ISSUER = 'wharf';
const AUDIENCE = 'conan';
export const CONAN_JWT = 'conan-jwt';
const JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;
// Conan's routes, where its token is a credential; anywhere else it is refused.
const CONAN_PATH = /^\/api\/packages\/[^/]+\/conan(\/|$)/;

interface Claims {
  sub: string;
  /** The access token it was exchanged for: the JWT dies with it. */
  tid?: number;
  /** For a password sign-in, a digest of the password hash: a new password ends the JWT. */
  pwf?: string;
}

/**
 * `users/authenticate` (docs/protocols/conan.md §5): the caller's Basic credentials become
 * an HS256 JWT that Conan then sends as `Authorization: Bearer`. Signed with a key derived
 * from the shared secret, so every replica verifies it; each use re-reads the user (and
 * the access token it came from) through the credential cache, so a revoked token, a
 * changed password or a disabled account stops it within seconds, not a day.
 */
@Injectable()
export class ConanTokenService implements OnModuleInit {
  private key?: Promise<Buffer>;

  constructor(
    private readonly secrets: SecretService,
    private readonly resolvers: CredentialResolverRegistry,
    private readonly users: UserService,
    private readonly tokens: AccessTokenService,
    private readonly cache: CredentialCache,
  ) {}

  onModuleInit(): void {
    // First: the container registry's resolver would refuse a Bearer JWT of another audience.
    this.resolvers.register(
      { name: CONAN_JWT, resolve: (req) => this.resolve(req) },
      { first: true },
    );
  }

  /** A token for the signed-in caller; it never outlives the access token it came from. */
  async issue(principal: Principal): Promise<string> {
    const now = Math.floor(Date.now() / 1000);
    const ttl = Math.max(
      1,
      Math.min(CONAN_TOKEN_TTL_SECONDS, (principal.expiresUnix ?? Infinity) - now),
    );
    const claims: Claims =
      principal.tokenId !== undefined
        ? { sub: String(principal.user.id), tid: principal.tokenId }
        : {
            sub: String(principal.user.id),
            pwf: await this.passwordFingerprint(principal.user.passwordHash),
          };
    return jwt.sign(claims, await this.signingKey(), {
      algorithm: 'HS256',
      expiresIn: ttl,
      issuer: ISSUER,
      audience: AUDIENCE,
    });
  }

  /** `Bearer <jwt>` of this audience: a principal or 401; any other credential is left to other resolvers. */
  private async resolve(req: Request): Promise<Principal | undefined> {
    const match = /^Bearer[ ]+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
    if (!match || !JWT_SHAPE.test(match[1])) return undefined;
    const unverified = jwt.decode(match[1]);
    if (typeof unverified !== 'object' || unverified?.aud !== AUDIENCE) return undefined;
    if (!CONAN_PATH.test(req.path))
      throw invalidCredentials('a Conan token is valid on the Conan routes only');
    let claims: Claims & { exp: number };
    try {
      claims = jwt.verify(match[1], await this.signingKey(), {
        algorithms: ['HS256'],
        issuer: ISSUER,
        audience: AUDIENCE,
      }) as Claims & { exp: number };
    } catch {
      throw invalidCredentials('invalid or expired Conan token: run `conan remote login` again');
    }
    return this.cache.getOrVerify([CONAN_JWT, match[1]], () => this.principalOf(claims));
  }

  private async principalOf(claims: Claims & { exp: number }): Promise<Principal> {
    const gone = () =>
      invalidCredentials('the Conan token was revoked: run `conan remote login` again');
    if (claims.tid !== undefined) {
      const live = await this.tokens.findLive(claims.tid);
      if (!live || String(live.user.id) !== claims.sub) throw gone();
      return {
        user: live.user,
        scopes: live.scopes,
        tokenId: live.token.id,
        expiresUnix: Math.min(claims.exp, live.token.expiresUnix ?? Infinity),
        via: CONAN_JWT,
      };
    }
    const user = (await this.users.findByIds([Number(claims.sub)])).get(Number(claims.sub));
    if (!user || claims.pwf !== (await this.passwordFingerprint(user.passwordHash))) throw gone();
    return { user, expiresUnix: claims.exp, via: CONAN_JWT };
  }

  private async passwordFingerprint(passwordHash: string): Promise<string> {
    return createHmac('sha256', await this.signingKey())
      .update(passwordHash)
      .digest('base64url')
      .slice(0, 16);
  }

  private signingKey(): Promise<Buffer> {
    return (this.key ??= this.secrets.deriveKey('conan-jwt'));
  }
}
