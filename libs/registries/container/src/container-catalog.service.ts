import { Injectable } from '@nestjs/common';
import { OrganizationService, ownerVisibleTo, Principal } from '@wharf/auth';
import { AppConfig, OwnerKind, PackageType, UserEntity } from '@wharf/packages-core';
import { PackageCatalogQuery } from '@wharf/packages-core/packages/package-catalog.query';
import { isAnonymous } from './container-token.service';

const BATCH = 200;

/** `GET /v2/_catalog`: every image the caller may see, `owner/image`, ascending. */
@Injectable()
export class ContainerCatalogService {
  constructor(
    private readonly config: AppConfig,
    private readonly catalog: PackageCatalogQuery,
    private readonly orgs: OrganizationService,
  ) {}

  /** Up to `n` names after `last`, and whether more exist. */
  async list(
    principal: Principal | undefined,
    n: number,
    last: string | undefined,
  ): Promise<{ names: string[]; more: boolean }> {
    const user = isAnonymous(principal) ? undefined : principal!.user;
    const visible = new Map<number, boolean>();
    const names: string[] = [];
    let after: [string, string] | undefined = last ? splitName(last) : undefined;
    for (;;) {
      const batch = await this.catalog.listAcrossOwners(PackageType.Container, after, BATCH);
      for (const { owner, package: pkg } of batch) {
        if (!visible.has(owner.id)) visible.set(owner.id, await this.canSee(owner, user));
        if (!visible.get(owner.id)) continue;
        if (names.length === n) return { names, more: true };
        names.push(`${owner.lowerName}/${pkg.lowerName}`);
      }
      if (batch.length < BATCH) return { names, more: false };
      const tail = batch[batch.length - 1];
      after = [tail.owner.lowerName, tail.package.lowerName];
    }
  }

  private async canSee(owner: UserEntity, user: UserEntity | undefined): Promise<boolean> {
    if (user?.isAdmin || (user && user.id === owner.id)) return true;
    if (ownerVisibleTo(owner, user, this.config.requireSignin)) return true;
    return (
      !!user &&
      owner.kind === OwnerKind.Organization &&
      !!(await this.orgs.roleOf(owner.id, user.id))
    );
  }
}

function splitName(name: string): [string, string] {
  const slash = name.indexOf('/');
  return slash < 0
    ? [name.toLowerCase(), '']
    : [name.slice(0, slash).toLowerCase(), name.slice(slash + 1).toLowerCase()];
}
