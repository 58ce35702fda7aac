/**
 * What an access token may do, in Forgejo's names: `read:` or `write:` of a category
 * (`write:` includes `read:`). Wharf enforces the categories it has — `package` on the
 * registries, `user`, `organization` and `admin` on the management API's matching
 * endpoints — and stores the others (`activitypub`, `issue`, `misc`, `notification`,
 * `repository`) so Forgejo clients can create tokens with them; they grant nothing here.
 * `admin` alone (no prefix) is Wharf's original whole-account scope, still accepted.
 */
export enum TokenScope {
  ReadActivityPub = 'read:activitypub',
  WriteActivityPub = 'write:activitypub',
  ReadAdmin = 'read:admin',
  WriteAdmin = 'write:admin',
  ReadIssue = 'read:issue',
  WriteIssue = 'write:issue',
  ReadMisc = 'read:misc',
  WriteMisc = 'write:misc',
  ReadNotification = 'read:notification',
  WriteNotification = 'write:notification',
  ReadOrganization = 'read:organization',
  WriteOrganization = 'write:organization',
  ReadPackage = 'read:package',
  WritePackage = 'write:package',
  ReadRepository = 'read:repository',
  WriteRepository = 'write:repository',
  ReadUser = 'read:user',
  WriteUser = 'write:user',
  /** Wharf's whole-account scope (every category, read and write). */
  Admin = 'admin',
}

/** Forgejo's scopes, without Wharf's own `admin`: what `all` stands for. */
const FORGEJO_SCOPES: readonly TokenScope[] = Object.values(TokenScope).filter(
  (s) => s !== TokenScope.Admin,
);

/** Names accepted when a token is created; Forgejo's `all` means every scope. */
const ALIASES: Record<string, TokenScope[]> = {
  ...Object.fromEntries(Object.values(TokenScope).map((s) => [s, [s]])),
  all: [...FORGEJO_SCOPES],
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

/**
 * Scopes as stored: `a,b,c`, or Forgejo's `all` (plus anything else) when every Forgejo
 * scope is granted — which also keeps the column short.
 */
export function encodeScopes(scopes: Iterable<TokenScope>): string {
  const set = new Set(scopes);
  if (!FORGEJO_SCOPES.every((s) => set.has(s))) return [...set].sort().join(',');
  const rest = [...set].filter((s) => !FORGEJO_SCOPES.includes(s));
  return ['all', ...rest.sort()].join(',');
}

/** Scopes stored by `encodeScopes`; unknown names (from a later version) are ignored, never widened. */
export function decodeScopes(stored: string): Set<TokenScope> {
  const known = new Set<string>(Object.values(TokenScope));
  const result = new Set<TokenScope>();
  for (const name of stored.split(',')) {
    if (name === 'all') FORGEJO_SCOPES.forEach((s) => result.add(s));
    else if (known.has(name)) result.add(name as TokenScope);
  }
  return result;
}

/** Does a set of granted scopes cover `needed`? (`write:x` covers `read:x`; `admin` covers all.) */
export function scopeCovers(granted: ReadonlySet<TokenScope>, needed: TokenScope): boolean {
  if (granted.has(TokenScope.Admin) || granted.has(needed)) return true;
  if (needed.startsWith('read:'))
    return granted.has(needed.replace(/^read:/, 'write:') as TokenScope);
  return false;
}
