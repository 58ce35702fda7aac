import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { AppConfig, OwnerKind, RegistryError, RegistryErrorCode } from '@wharf/packages-core';
import { UserService } from '../owners/user.service';

/**
 * REGISTRY_ADMIN_USERNAME / _PASSWORD: create that site admin at start if the name is
 * free. An existing account is left as it is — its password is never overwritten, so
 * the variables can stay set after the admin changed the password.
 */
@Injectable()
export class AdminBootstrapService implements OnApplicationBootstrap {
  private readonly log = new Logger('auth');

  constructor(
    private readonly config: AppConfig,
    private readonly users: UserService,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const admin = this.config.admin;
    if (!admin) return;
    const existing = await this.users.findOwner(admin.username);
    if (existing) {
      if (existing.kind !== OwnerKind.User)
        this.log.warn(
          `REGISTRY_ADMIN_USERNAME ${admin.username} is an organization; no admin created`,
        );
      return;
    }
    try {
      await this.users.create({
        username: admin.username,
        password: admin.password,
        email: admin.email,
        isAdmin: true,
      });
      this.log.log(`created site administrator ${admin.username}`);
    } catch (err) {
      // Another replica starting at the same moment created it first.
      if (err instanceof RegistryError && err.code === RegistryErrorCode.Conflict) return;
      throw err;
    }
  }
}
