import type { Request } from 'express';
import passport from 'passport';
import { Strategy as PassportBearerStrategy } from 'passport-http-bearer';
import { RegistryError, RegistryErrorCode } from '@wharf/packages-core';
import { Principal } from '../principal';

type Done = (err: unknown, user?: Principal | false) => void;

export function invalidCredentials(message = 'invalid credentials'): RegistryError {
  return new RegistryError(RegistryErrorCode.Unauthorized, message);
}

/**
 * HTTP Basic (RFC 7617). Written here rather than taken from passport-http, whose parser
 * cuts passwords at a second `:` and refuses an empty password — which is exactly how a
 * token is sent as the user name (`<token>:` or `<token>:x-oauth-basic`).
 */
export class BasicStrategy extends passport.Strategy {
  override name = 'basic';

  constructor(
    private readonly verify: (req: Request, username: string, password: string, done: Done) => void,
  ) {
    super();
  }

  override authenticate(req: Request): void {
    const header = req.headers.authorization;
    const match = header ? /^Basic[ ]+([A-Za-z0-9+/=_-]*)\s*$/i.exec(header) : null;
    if (!match) return this.fail();
    const decoded = Buffer.from(match[1], 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) return this.error(invalidCredentials('malformed Basic credentials'));
    const username = decoded.slice(0, colon);
    const password = decoded.slice(colon + 1);
    this.verify(req, username, password, (err, user) =>
      err ? this.error(err) : user ? this.success(user) : this.fail(),
    );
  }
}

/** `Authorization: token <t>`, the form Forgejo's API documents next to Bearer. */
export class TokenHeaderStrategy extends passport.Strategy {
  override name = 'token-header';

  constructor(private readonly verify: (token: string, done: Done) => void) {
    super();
  }

  override authenticate(req: Request): void {
    const match = /^token[ ]+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
    if (!match) return this.fail();
    this.verify(match[1], (err, user) =>
      err ? this.error(err) : user ? this.success(user) : this.fail(),
    );
  }
}

/**
 * `Authorization: <t>`, the access token alone with no scheme: how `cargo` and `gem`
 * (`gem push`, `gem yank`) send the key from their credentials file. Only a value of the
 * token's exact shape is claimed, so every other header still reaches its own strategy.
 */
export class RawTokenStrategy extends passport.Strategy {
  override name = 'raw-token';

  constructor(
    private readonly looksLikeToken: (value: string) => boolean,
    private readonly verify: (token: string, done: Done) => void,
  ) {
    super();
  }

  override authenticate(req: Request): void {
    const value = req.headers.authorization?.trim() ?? '';
    if (!this.looksLikeToken(value)) return this.fail();
    this.verify(value, (err, user) =>
      err ? this.error(err) : user ? this.success(user) : this.fail(),
    );
  }
}

/**
 * `X-NuGet-ApiKey: <t>`: NuGet clients (`nuget push -ApiKey`, `dotnet nuget push
 * --api-key`, `nuget delete`) send the access token in this header, not in
 * `Authorization`. Any value present is verified: a wrong key is a 401, whose challenge
 * makes NuGet retry with the source's Basic credentials.
 */
export class NuGetApiKeyStrategy extends passport.Strategy {
  override name = 'nuget-api-key';

  constructor(private readonly verify: (token: string, done: Done) => void) {
    super();
  }

  override authenticate(req: Request): void {
    const value = req.headers['x-nuget-apikey'];
    const key = typeof value === 'string' ? value.trim() : '';
    if (!key) return this.fail();
    this.verify(key, (err, user) =>
      err ? this.error(err) : user ? this.success(user) : this.fail(),
    );
  }
}

/** `Authorization: Bearer <t>` (and `?access_token=`), through passport-http-bearer. */
export function bearerStrategy(verify: (token: string, done: Done) => void): passport.Strategy {
  return new PassportBearerStrategy((token: string, done: Done) => verify(token, done));
}
