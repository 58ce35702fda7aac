import { Injectable, OnModuleInit } from '@nestjs/common';
import type { Request } from 'express';
import {
  ChefKeyService,
  CredentialResolverRegistry,
  invalidCredentials,
  Principal,
  UserService,
} from '@wharf/auth';
import { checkTimestamp, readChefSignature, verifyChefSignature } from './chef-signature';

/** How a principal signed in through a Chef signature (Principal.via). */
export const CHEF_SIGNED = 'chef-signed';

// Only the Chef registry's routes: a Chef key signs cookbook requests, never the
// management API (it must not mint tokens or keys) nor another format's.
const CHEF_PATH = /^\/api\/packages\/[^/]+\/chef(?:\/|$)/;

/**
 * Chef's signed requests as a credential form (docs/protocols/chef.md §5): a request with
 * `X-Ops-Userid` on a Chef route signs in as that user when its signature verifies with
 * the user's registered public key; anything wrong with it is a 401, never anonymous.
 * Basic and tokens keep working on the same routes (they are tried first).
 */
@Injectable()
export class ChefSignedRequestResolver implements OnModuleInit {
  constructor(
    private readonly registry: CredentialResolverRegistry,
    private readonly users: UserService,
    private readonly keys: ChefKeyService,
  ) {}

  onModuleInit(): void {
    this.registry.register({ name: CHEF_SIGNED, resolve: (req) => this.resolve(req) });
  }

  async resolve(req: Request): Promise<Principal | undefined> {
    const path = (req.originalUrl ?? req.url).split('?')[0];
    if (!CHEF_PATH.test(path)) return undefined;
    const sig = readChefSignature(req.headers);
    if (!sig) return undefined;
    checkTimestamp(sig.timestamp, Date.now());
    const user = await this.users.findUser(sig.userId);
    if (!user) throw invalidCredentials(`invalid Chef signature: no user ${sig.userId}`);
    const key = await this.keys.publicKey(user.id);
    if (!key)
      throw invalidCredentials(
        `invalid Chef signature: ${user.name} has no Chef key (register one with PUT /api/v1/user/chef/key)`,
      );
    if (!verifyChefSignature(sig, req.method, path, key))
      throw invalidCredentials(
        "invalid Chef signature: it does not match this request and the user's key",
      );
    return { user, via: CHEF_SIGNED };
  }
}
