/**
 * What an access token may do. `write:package` includes `read:package`; `admin` is the
 * whole account (management API included) and includes both.
 */
export enum TokenScope {
  ReadPackage = 'read:package',
  WritePackage = 'write:package',
  Admin = 'admin',
}

/** Names accepted when a token is created; Forgejo's `all` means every scope. */
const ALIASES: Record<string, TokenScope[]> = {
  [TokenScope.ReadPackage]: [TokenScope.ReadPackage],
  [TokenScope.WritePackage]: [TokenScope.WritePackage],
  [TokenScope.Admin]: [TokenScope.Admin],
  all: [TokenScope.ReadPackage, TokenScope.WritePackage, TokenScope.Admin],
};

export const ACCEPTED_SCOPE_NAMES: readonly string[] = Object.keys(ALIASES);

/** The canonical scopes for requested names; `undefined` names the first unknown one. */
export function parseScopes(
  names: readonly string[],
): { scopes: TokenScope[] } | { unknown: string } {
  const result = new Set<TokenScope>();
  for (const raw of names) {
    const name = raw.trim().toLowerCase();
    const scopes = ALIASES[name];
    if (!scopes) return { unknown: raw };
    scopes.forEach((s) => result.add(s));
  }
  return { scopes: [...result].sort() };
}

/** Scopes stored as `a,b,c`; unknown names (from a later version) are ignored, never widened. */
export function decodeScopes(stored: string): Set<TokenScope> {
  const known = new Set<string>(Object.values(TokenScope));
  return new Set(stored.split(',').filter((s) => known.has(s)) as TokenScope[]);
}

/** Does a set of granted scopes cover `needed`? */
export function scopeCovers(granted: ReadonlySet<TokenScope>, needed: TokenScope): boolean {
  if (granted.has(TokenScope.Admin)) return true;
  if (needed === TokenScope.ReadPackage)
    return granted.has(TokenScope.ReadPackage) || granted.has(TokenScope.WritePackage);
  return granted.has(needed);
}
