import { Injectable } from '@nestjs/common';
import { AppConfig, OrgRole, OwnerKind, UserEntity } from '@wharf/packages-core';
import { OrganizationService } from '../owners/organization.service';
import { Principal } from '../principal';
import { AccessDecision, decidePackageAccess, PackageAccessMode } from './access-policy';

/** A decision and the organization role it rests on (kept on the request for the handler). */
export interface OwnerAccess {
  decision: AccessDecision;
  role?: OrgRole;
}

/**
 * The one place that applies the access policy to a request: looks up the caller's role
 * when the owner is an organization and decides with the site's sign-in rule. Every
 * guard and listing (the package guard, the container guard, the container catalog)
 * asks here, so the visibility rule is written once.
 */
@Injectable()
export class PackageAccessService {
  constructor(
    private readonly config: AppConfig,
    private readonly orgs: OrganizationService,
  ) {}

  /** May `principal` (undefined: anonymous) read or write the packages of `owner`? */
  async decide(
    principal: Principal | undefined,
    owner: UserEntity,
    mode: PackageAccessMode,
  ): Promise<OwnerAccess> {
    const role =
      principal && owner.kind === OwnerKind.Organization
        ? await this.orgs.lookupRole(owner.id, principal.user.id)
        : undefined;
    const decision = decidePackageAccess(
      principal,
      { owner, role, requireSignin: this.config.requireSignin },
      mode,
    );
    return { decision, role };
  }

  async canRead(principal: Principal | undefined, owner: UserEntity): Promise<boolean> {
    return (await this.decide(principal, owner, 'read')).decision.allowed;
  }

  /**
   * The owners among `owners` whose packages `principal` may read: the same decision as
   * {@link decide}, with the caller's organization roles fetched in one query (listings).
   */
  async readableOwners(
    principal: Principal | undefined,
    owners: UserEntity[],
  ): Promise<UserEntity[]> {
    const orgIds = owners.filter((o) => o.kind === OwnerKind.Organization).map((o) => o.id);
    const roles = principal ? await this.orgs.rolesOf(principal.user.id, orgIds) : new Map();
    return owners.filter(
      (owner) =>
        decidePackageAccess(
          principal,
          { owner, role: roles.get(owner.id), requireSignin: this.config.requireSignin },
          'read',
        ).allowed,
    );
  }
}
