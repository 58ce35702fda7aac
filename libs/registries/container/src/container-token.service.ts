import { Injectable, OnModuleInit } from '@nestjs/common';
import type { Request } from 'express';
import { createSecretKey, KeyObject } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { CredentialResolverRegistry, invalidCredentials, Principal, TokenScope } from '@wharf/auth';
import { OwnerKind, SecretService, UserEntity, Visibility } from '@wharf/packages-core';

/** Seconds a token lives. Short: rights taken away (role, admin, account) stop within it. */
export const TOKEN_TTL_SECONDS = 300;
const ISSUER = 'wharf';
const AUDIENCE = 'container_registry';
export const CONTAINER_JWT = 'container-jwt';
/** The identity of an anonymous token (Forgejo's ghost user): read of public images only. */
export const ANONYMOUS_VIA = 'container-anonymous';
const JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

interface Claims {
  sub: string;
  /** user name */
  nam: string;
  adm?: boolean;
  /** package scopes (never admin: a container token does not open the management API) */
  scp: string;
  anon?: boolean;
}

export interface IssuedToken {
  token: string;
  access_token: string;
  expires_in: number;
  issued_at: string;
}

/**
 * The token service of the Docker token-auth flow: `/v2/token` issues HS256 JWTs signed
 * with a key derived from the shared secret, and every replica verifies them from the
 * claims alone (no database round trip); the claims carry what the access policy needs.
 */
@Injectable()
export class ContainerTokenService implements OnModuleInit {
  private key?: Promise<KeyObject>;

  constructor(
    private readonly secrets: SecretService,
    private readonly resolvers: CredentialResolverRegistry,
  ) {}

  onModuleInit(): void {
    this.resolvers.register({ name: CONTAINER_JWT, resolve: (req) => this.resolve(req) });
  }

  /** A token for a user (with the package scopes its credential allows) or, without one, anonymous. */
  async issue(principal: Principal | undefined): Promise<IssuedToken> {
    const now = Math.floor(Date.now() / 1000);
    const claims: Claims = principal
      ? {
          sub: String(principal.user.id),
          nam: principal.user.name,
          adm: principal.user.isAdmin || undefined,
          scp: packageScopes(principal).join(','),
        }
      : { sub: '0', nam: 'ghost', scp: TokenScope.ReadPackage, anon: true };
    // A JWT never outlives the access token it was exchanged for.
    const ttl = Math.max(
      1,
      Math.min(TOKEN_TTL_SECONDS, (principal?.expiresUnix ?? Infinity) - now),
    );
    const token = jwt.sign(claims, await this.signingKey(), {
      algorithm: 'HS256',
      expiresIn: ttl,
      notBefore: 0,
      issuer: ISSUER,
      audience: AUDIENCE,
    });
    return {
      token,
      access_token: token,
      expires_in: ttl,
      issued_at: new Date(now * 1000).toISOString(),
    };
  }

  /** `Authorization: Bearer <jwt>`: a principal, or 401 when forged or expired; other forms are left to other resolvers. */
  private async resolve(req: Request): Promise<Principal | undefined> {
    const match = /^Bearer[ ]+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
    if (!match || !JWT_SHAPE.test(match[1])) return undefined;
    let claims: Claims;
    try {
      claims = jwt.verify(match[1], await this.signingKey(), {
        algorithms: ['HS256'],
        issuer: ISSUER,
        audience: AUDIENCE,
      }) as Claims;
    } catch {
      throw invalidCredentials('invalid or expired registry token');
    }
    // The anonymous identity means something only to the container routes, which treat it as anonymous.
    if (claims.anon && !req.path.startsWith('/v2'))
      throw invalidCredentials('anonymous registry tokens are valid on /v2 only');
    const user = Object.assign(new UserEntity(), {
      id: Number(claims.sub),
      name: claims.nam,
      lowerName: claims.nam.toLowerCase(),
      kind: OwnerKind.User,
      visibility: Visibility.Public,
      isAdmin: !!claims.adm,
      isActive: true,
    });
    const scopes = new Set(
      claims.scp
        .split(',')
        .filter(
          (s) => s === TokenScope.ReadPackage || s === TokenScope.WritePackage,
        ) as TokenScope[],
    );
    return { user, scopes, via: claims.anon ? ANONYMOUS_VIA : CONTAINER_JWT };
  }

  /**
   * A KeyObject made once: given raw bytes, jsonwebtoken 9 first tries to parse them as a
   * public key (crypto.createPublicKey, which throws) on every sign and verify — a fifth
   * of the CPU of a manifest GET.
   */
  private signingKey(): Promise<KeyObject> {
    return (this.key ??= this.secrets.deriveKey('container-jwt').then((k) => createSecretKey(k)));
  }
}

/** The package scopes a credential carries into a token: a password or an admin/write token may push; a read token only pulls. */
function packageScopes(principal: Principal): TokenScope[] {
  const s = principal.scopes;
  if (!s || s.has(TokenScope.Admin) || s.has(TokenScope.WritePackage))
    return [TokenScope.ReadPackage, TokenScope.WritePackage];
  return s.has(TokenScope.ReadPackage) ? [TokenScope.ReadPackage] : [];
}

/** The principal as the access policy sees it: the anonymous token reads like no credentials. */
export function policySubject(principal: Principal | undefined): Principal | undefined {
  return principal?.via === ANONYMOUS_VIA ? undefined : principal;
}
