import { ADMIN, createOrg, createToken, createUser, PASSWORD } from '../clients/accounts';
import {
  KIT_MEMBERS,
  KIT_ORG_CREATOR,
  KIT_OWNERS,
  KIT_USERS,
  KitCaller,
  KitOwner,
} from './access-model';
import { basicAuth } from './http';

/** Credentials of the kit's callers, as request headers. */
export interface KitAccounts {
  /** Headers for `caller` acting on `owner` (`owner itself` signs in as that owner). */
  headers(caller: KitCaller, owner: KitOwner): Record<string, string>;
  /** The site admin, who may publish anywhere: used to seed each owner. */
  admin: Record<string, string>;
}

/**
 * Creates the owners and callers of the permission matrix through the management API,
 * in an app started with the site admin of `ADMIN_ENV`. Members sign in with access
 * tokens (Basic, token as password: every format accepts it, the container registry
 * included) and the owners and the site admin with passwords, so both paths are used.
 * `anonymous` is the credential anonymous clients of the protocol send, if any (the
 * container registry's anonymous token); bare requests carry nothing.
 */
export async function createKitAccounts(
  url: string,
  anonymous?: Record<string, string>,
): Promise<KitAccounts> {
  for (const owner of KIT_OWNERS.filter((o) => o.kind === 'user'))
    await createUser(url, owner.name, owner.visibility);
  for (const user of KIT_USERS) await createUser(url, user);
  for (const org of KIT_OWNERS.filter((o) => o.kind === 'organization'))
    await createOrg(url, KIT_ORG_CREATOR, org.name, org.visibility, KIT_MEMBERS);

  const tokens = new Map<string, string>();
  for (const user of KIT_USERS) {
    tokens.set(`${user}:write`, await createToken(url, user, ['write:package']));
    tokens.set(`${user}:read`, await createToken(url, user, ['read:package']));
  }
  // Token-shaped (40 hex) so it is looked up, not counted as a failed password: the
  // matrix sends it a dozen times, past the login rate limit.
  const unknownToken = '0'.repeat(40);

  return {
    admin: basicAuth(ADMIN.username, ADMIN.password),
    headers(caller, owner) {
      if (caller.bare) return {};
      if (caller.badCredentials) return { Authorization: `Bearer ${unknownToken}` };
      if (caller.siteAdmin) return basicAuth(ADMIN.username, ADMIN.password);
      if (caller.self) return basicAuth(owner.name, PASSWORD);
      if (!caller.user) return anonymous ?? {};
      const token = tokens.get(`${caller.user}:${caller.scope ?? 'write'}`);
      if (!token) throw new Error(`no token for ${caller.user}`);
      return basicAuth(caller.user, token);
    },
  };
}
