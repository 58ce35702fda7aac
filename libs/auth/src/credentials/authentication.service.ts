import { Injectable, OnModuleInit } from '@nestjs/common';
import type { Request } from 'express';
import { RegistryError, RegistryErrorCode } from '@wharf/packages-core';
import { Principal } from '../principal';
import { LoginRateLimiter } from '../rate-limit/login-rate-limiter';
import { AccessTokenService } from '../tokens/access-token.service';
import { looksLikeToken } from '../tokens/token-secret';
import { UserService } from '../owners/user.service';
import { CredentialCache } from './credential-cache';
import { CredentialResolverRegistry } from './credential-resolver';
import { passportResolver } from './run-passport-strategy';
import {
  BasicStrategy,
  bearerStrategy,
  invalidCredentials,
  NuGetApiKeyStrategy,
  RawTokenStrategy,
  TokenHeaderStrategy,
} from './strategies';

// Forgejo (after GitHub) accepts a token as the user name with this password, or none.
const TOKEN_AS_USERNAME_PASSWORDS = new Set(['', 'x-oauth-basic']);

const RESOLVED = Symbol('wharf.principal');
type MemoRequest = Request & { [RESOLVED]?: Promise<Principal | undefined> };

/**
 * Turns a request's credentials into one {@link Principal}, trying each registered
 * credential form in order. Resolved once per request (several guards may ask).
 */
@Injectable()
export class AuthenticationService implements OnModuleInit {
  constructor(
    private readonly registry: CredentialResolverRegistry,
    private readonly users: UserService,
    private readonly tokens: AccessTokenService,
    private readonly limiter: LoginRateLimiter,
    private readonly cache: CredentialCache,
  ) {}

  onModuleInit(): void {
    this.registry.register(
      passportResolver(
        'basic',
        new BasicStrategy((req, u, p, done) =>
          this.verifyBasic(req, u, p).then((r) => done(null, r), done),
        ),
      ),
    );
    this.registry.register(
      passportResolver(
        'bearer',
        bearerStrategy((t, done) => this.verifyBearer(t).then((r) => done(null, r), done)),
      ),
    );
    this.registry.register(
      passportResolver(
        'token-header',
        new TokenHeaderStrategy((t, done) => this.verifyToken(t).then((r) => done(null, r), done)),
      ),
    );
    // cargo and gem send the bare token (docs/protocols/core.md §6): one form for every format.
    this.registry.register(
      passportResolver(
        'raw-token',
        new RawTokenStrategy(looksLikeToken, (t, done) =>
          this.verifyToken(t).then((r) => done(null, r), done),
        ),
      ),
    );
    // NuGet sends the access token as its API key (docs/protocols/core.md §6).
    this.registry.register(
      passportResolver(
        'nuget-api-key',
        new NuGetApiKeyStrategy((t, done) => this.verifyToken(t).then((r) => done(null, r), done)),
      ),
    );
  }

  /**
   * The principal, or `undefined` for an anonymous request. Throws 401 for credentials
   * that are invalid or of no known form, 403 for a disabled account, 429 while a
   * user and address are blocked after failed passwords.
   */
  authenticate(req: Request): Promise<Principal | undefined> {
    const memo = req as MemoRequest;
    return (memo[RESOLVED] ??= this.resolve(req));
  }

  private async resolve(req: Request): Promise<Principal | undefined> {
    for (const resolver of this.registry.list()) {
      const principal = await resolver.resolve(req);
      if (!principal) continue;
      if (!principal.user.isActive)
        throw new RegistryError(RegistryErrorCode.Forbidden, 'this account is disabled');
      return principal;
    }
    // An Authorization header nobody understood is a failed sign-in, not an anonymous request.
    if (req.headers.authorization !== undefined || req.query?.access_token !== undefined) {
      throw invalidCredentials('unsupported or invalid credentials');
    }
    return undefined;
  }

  /** A live access token as a principal; throws 401 for any other value. */
  verifyToken(secret: string): Promise<Principal> {
    return this.cache.getOrVerify(['token', secret], () => this.verifyTokenUncached(secret));
  }

  private async verifyTokenUncached(secret: string): Promise<Principal> {
    const resolved = await this.tokens.resolve(secret);
    if (!resolved) throw invalidCredentials('invalid or expired access token');
    return {
      user: resolved.user,
      scopes: resolved.scopes,
      tokenId: resolved.token.id,
      expiresUnix: resolved.token.expiresUnix ?? undefined,
      via: 'token',
    };
  }

  /** Bearer values that are not access tokens are left to other resolvers (container JWTs). */
  private async verifyBearer(secret: string): Promise<Principal | false> {
    return looksLikeToken(secret) ? this.verifyToken(secret) : false;
  }

  /**
   * Cached per (user name, password): the scrypt run is paid once per TTL, not per
   * request. A cached password still passes the rate limiter, so a blocked user and
   * address are refused even the right password, and a guess cannot be confirmed.
   */
  private verifyBasic(req: Request, username: string, password: string): Promise<Principal> {
    return this.cache.getOrVerify(
      ['basic', username, password],
      () => this.verifyBasicUncached(req, username, password),
      async (cached) => {
        if (cached.via === 'password')
          await this.limiter.assertAllowed(this.subject(req, username));
      },
    );
  }

  private subject(req: Request, username: string): string {
    return this.limiter.subject(username, req.ip ?? req.socket.remoteAddress ?? '');
  }

  private async verifyBasicUncached(
    req: Request,
    username: string,
    password: string,
  ): Promise<Principal> {
    if (TOKEN_AS_USERNAME_PASSWORDS.has(password) && looksLikeToken(username))
      return this.verifyToken(username);
    // A token in the password field signs in as the token's user, whatever the user name
    // (clients fill it with anything: `__token__`, the owner, the email…), as in Forgejo.
    if (looksLikeToken(password)) {
      const resolved = await this.tokens.resolve(password);
      if (resolved)
        return {
          user: resolved.user,
          scopes: resolved.scopes,
          tokenId: resolved.token.id,
          expiresUnix: resolved.token.expiresUnix ?? undefined,
          via: 'token',
        };
    }
    const subject = this.subject(req, username);
    const { hasFailures } = await this.limiter.assertAllowed(subject);
    const user = username ? await this.users.verifyPassword(username, password) : null;
    if (!user) {
      await this.limiter.recordFailure(subject);
      throw invalidCredentials('invalid user name or password');
    }
    if (hasFailures) await this.limiter.clear(subject);
    return { user, via: 'password' };
  }
}
