import { Global, Module } from '@nestjs/common';
import { PackageAccessGuard } from './access/package-access.guard';
import { PackageAccessService } from './access/package-access.service';
import { SignedInGuard } from './access/signed-in.guard';
import { AdminBootstrapService } from './bootstrap/admin-bootstrap.service';
import { AuthenticationService } from './credentials/authentication.service';
import { ChefKeyService } from './keys/chef-key.service';
import { CredentialCache } from './credentials/credential-cache';
import { CredentialResolverRegistry } from './credentials/credential-resolver';
import { OwnerCache } from './owners/owner-cache';
import { OrganizationService } from './owners/organization.service';
import { UserService } from './owners/user.service';
import { PasswordHasher } from './passwords/password-hasher';
import { LoginRateLimiter } from './rate-limit/login-rate-limiter';
import { AccessTokenService } from './tokens/access-token.service';

const EXPORTED = [
  PasswordHasher,
  AccessTokenService,
  UserService,
  OrganizationService,
  LoginRateLimiter,
  CredentialResolverRegistry,
  AuthenticationService,
  PackageAccessService,
  PackageAccessGuard,
  SignedInGuard,
  CredentialCache,
  OwnerCache,
  ChefKeyService,
];

/**
 * Identity and access: accounts, organizations, tokens, credential forms and the guards.
 * Global, so every format module can put `@PackageAccess()` on its routes and register
 * its own credential form without importing this module.
 */
@Global()
@Module({
  providers: [
    ...EXPORTED.filter((p) => p !== CredentialCache && p !== OwnerCache),
    // Factories: their constructors take options (for tests), which Nest would try to inject.
    { provide: CredentialCache, useFactory: () => new CredentialCache() },
    { provide: OwnerCache, useFactory: () => new OwnerCache() },
    AdminBootstrapService,
  ],
  exports: EXPORTED,
})
export class AuthModule {}
