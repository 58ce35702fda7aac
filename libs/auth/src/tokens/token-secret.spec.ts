import { createHash } from 'node:crypto';
import { decodeScopes, encodeScopes, parseScopes, scopeCovers, TokenScope } from './token-scopes';
import { generateToken, hashToken, looksLikeToken } from './token-secret';

describe('access token secrets', () => {
  it('are 160 random bits as 40 lower-case hex characters, never repeated', () => {
    const tokens = new Set(Array.from({ length: 1000 }, generateToken));
    expect(tokens.size).toBe(1000);
    for (const t of tokens) expect(t).toMatch(/^[0-9a-f]{40}$/);
  });

  it('are stored as the hex sha256 of the token', () => {
    const token = generateToken();
    expect(hashToken(token)).toBe(createHash('sha256').update(token).digest('hex'));
    expect(hashToken(token)).toHaveLength(64);
    expect(hashToken(token)).not.toContain(token);
  });

  it('are recognised only in their exact shape', () => {
    expect(looksLikeToken(generateToken())).toBe(true);
    expect(looksLikeToken('A'.repeat(40))).toBe(false);
    expect(looksLikeToken('a'.repeat(39))).toBe(false);
    expect(looksLikeToken('password123')).toBe(false);
  });
});

describe('token scopes', () => {
  it('accept the canonical names and Forgejo\'s "all", and name an unknown one', () => {
    expect(parseScopes(['write:package', 'read:package'])).toEqual({
      scopes: [TokenScope.ReadPackage, TokenScope.WritePackage],
    });
    const all = parseScopes(['all']);
    expect('scopes' in all && all.scopes).toHaveLength(18);
    expect('scopes' in all && all.scopes).toContain(TokenScope.ReadUser);
    expect('scopes' in all && all.scopes).not.toContain(TokenScope.Admin);
    // every name Forgejo documents is accepted, even those naming nothing Wharf has
    for (const category of [
      'activitypub',
      'admin',
      'issue',
      'misc',
      'notification',
      'organization',
      'package',
      'repository',
      'user',
    ])
      for (const access of ['read', 'write'])
        expect(parseScopes([`${access}:${category}`])).toEqual({
          scopes: [`${access}:${category}`],
        });
    expect(parseScopes(['admin'])).toEqual({ scopes: [TokenScope.Admin] });
    expect(parseScopes(['read:package', 'delete:repository'])).toEqual({
      unknown: 'delete:repository',
    });
  });

  it('nest: write covers read, admin covers everything, read covers only read', () => {
    const read = new Set([TokenScope.ReadPackage]);
    const write = new Set([TokenScope.WritePackage]);
    const admin = new Set([TokenScope.Admin]);
    expect(scopeCovers(read, TokenScope.ReadPackage)).toBe(true);
    expect(scopeCovers(read, TokenScope.WritePackage)).toBe(false);
    expect(scopeCovers(write, TokenScope.ReadPackage)).toBe(true);
    expect(scopeCovers(write, TokenScope.Admin)).toBe(false);
    expect(scopeCovers(admin, TokenScope.WritePackage)).toBe(true);
    expect(scopeCovers(admin, TokenScope.WriteOrganization)).toBe(true);
    // categories are separate: a package token manages no organization, and the reverse
    expect(scopeCovers(write, TokenScope.ReadOrganization)).toBe(false);
    expect(scopeCovers(new Set([TokenScope.WriteOrganization]), TokenScope.ReadOrganization)).toBe(
      true,
    );
    expect(scopeCovers(new Set([TokenScope.WriteRepository]), TokenScope.ReadPackage)).toBe(false);
  });

  it('decode stored scopes, ignoring names this version does not know', () => {
    expect(decodeScopes('read:package,future:thing')).toEqual(new Set([TokenScope.ReadPackage]));
    expect(decodeScopes('')).toEqual(new Set());
  });

  it('store every Forgejo scope as "all" (short enough for the column) and read it back', () => {
    const all = parseScopes(['all']);
    if (!('scopes' in all)) throw new Error('all refused');
    expect(encodeScopes(all.scopes)).toBe('all');
    expect(encodeScopes([...all.scopes, TokenScope.Admin])).toBe('all,admin');
    expect(decodeScopes('all')).toEqual(new Set(all.scopes));
    expect(encodeScopes([TokenScope.WritePackage, TokenScope.ReadPackage])).toBe(
      'read:package,write:package',
    );
  });
});
