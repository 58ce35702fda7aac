import { Injectable } from '@nestjs/common';
import type { Request } from 'express';
import { Principal } from '../principal';

/**
 * One credential form. The built-in ones are HTTP Basic, `Authorization: Bearer`, `token`,
 * the bare token and NuGet's `X-NuGet-ApiKey`; format modules register their own
 * (container JWTs) in `onModuleInit`.
 *
 * `resolve` returns:
 * - `undefined` when the request carries no credential of this form (the next one is tried);
 * - a {@link Principal} when it carries a valid one;
 * - throws a `RegistryError` (Unauthorized) when it carries one that is not valid —
 *   invalid credentials never fall back to anonymous access.
 */
export interface CredentialResolver {
  readonly name: string;
  resolve(req: Request): Promise<Principal | undefined>;
}

/**
 * The ordered list of credential forms. Built-ins come first; a resolver registered with
 * `first: true` runs before them (e.g. one that must claim a header a built-in would
 * also accept). Registration happens at module init, so the list is the same on every replica.
 */
@Injectable()
export class CredentialResolverRegistry {
  private readonly resolvers: CredentialResolver[] = [];

  register(resolver: CredentialResolver, options: { first?: boolean } = {}): void {
    if (this.resolvers.some((r) => r.name === resolver.name)) {
      throw new Error(`a credential resolver named ${resolver.name} is already registered`);
    }
    if (options.first) this.resolvers.unshift(resolver);
    else this.resolvers.push(resolver);
  }

  list(): readonly CredentialResolver[] {
    return this.resolvers;
  }
}
