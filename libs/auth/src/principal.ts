import { UserEntity } from '@wharf/packages-core';
import { scopeCovers, TokenScope } from './tokens/token-scopes';

/**
 * Who is asking, whatever the credential form. Every strategy and every format's
 * resolver produces this one shape; guards and controllers read nothing else.
 */
export interface Principal {
  readonly user: UserEntity;
  /** The token's scopes; `undefined` for a password sign-in, which has the account's full rights. */
  readonly scopes?: ReadonlySet<TokenScope>;
  readonly tokenId?: number;
  /** When the signing-in access token expires (unix seconds): tokens derived from it must not outlive it. */
  readonly expiresUnix?: number;
  /** How the request signed in: `password`, `token`, or the name of a format's resolver. */
  readonly via: string;
}

/** True when the credential allows `scope` (a password allows everything the account may do). */
export function principalHasScope(principal: Principal, scope: TokenScope): boolean {
  return principal.scopes === undefined || scopeCovers(principal.scopes, scope);
}
