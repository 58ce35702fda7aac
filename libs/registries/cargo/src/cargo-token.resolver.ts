import { Injectable, OnModuleInit } from '@nestjs/common';
import type { Request } from 'express';
import {
  AuthenticationService,
  CredentialResolverRegistry,
  looksLikeToken,
  Principal,
} from '@wharf/auth';

export const CARGO_TOKEN = 'cargo-token';

// Only cargo's routes take a bare token: elsewhere a scheme-less Authorization stays unknown.
const CARGO_ROUTES = /^\/api\/packages\/[^/]+\/cargo(?:\/|$)/;

/**
 * cargo's credential form (docs/protocols/cargo.md §5): the token from `credentials.toml`
 * arrives verbatim in `Authorization`, without a scheme. `Bearer <token>` and HTTP Basic
 * (password, or a token as password) are the built-in forms and work as they are.
 */
@Injectable()
export class CargoTokenResolver implements OnModuleInit {
  constructor(
    private readonly resolvers: CredentialResolverRegistry,
    private readonly auth: AuthenticationService,
  ) {}

  onModuleInit(): void {
    this.resolvers.register({ name: CARGO_TOKEN, resolve: (req) => this.resolve(req) });
  }

  /** A bare access token on a cargo route; anything else is left to the other forms. */
  private async resolve(req: Request): Promise<Principal | undefined> {
    const header = req.headers.authorization?.trim();
    if (!header || !looksLikeToken(header) || !CARGO_ROUTES.test(req.path)) return undefined;
    return this.auth.verifyToken(header);
  }
}
