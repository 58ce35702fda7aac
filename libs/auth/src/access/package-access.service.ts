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
}
