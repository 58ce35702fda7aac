import { Injectable } from '@nestjs/common';
import { PackageAccessService, Principal } from '@wharf/auth';
import { PackageCatalogQuery, PackageType } from '@wharf/packages-core';
import { policySubject } from './container-token.service';

const BATCH = 200;

/** `GET /v2/_catalog`: every image the caller may see, `owner/image`, ascending. */
@Injectable()
export class ContainerCatalogService {
  constructor(
    private readonly catalog: PackageCatalogQuery,
    private readonly access: PackageAccessService,
  ) {}

  /** Up to `n` names after `last`, and whether more exist. */
  async list(
    principal: Principal | undefined,
    n: number,
    last: string | undefined,
  ): Promise<{ names: string[]; more: boolean }> {
    const subject = policySubject(principal);
    const visible = new Map<number, boolean>();
    const names: string[] = [];
    let after: [string, string] | undefined = last ? splitName(last) : undefined;
    for (;;) {
      const batch = await this.catalog.listAcrossOwners(PackageType.Container, after, BATCH);
      for (const { owner, package: pkg } of batch) {
        if (!visible.has(owner.id))
          visible.set(owner.id, await this.access.canRead(subject, owner));
        if (!visible.get(owner.id)) continue;
        if (names.length === n) return { names, more: true };
        names.push(`${owner.lowerName}/${pkg.lowerName}`);
      }
      if (batch.length < BATCH) return { names, more: false };
      const tail = batch[batch.length - 1];
      after = [tail.owner.lowerName, tail.package.lowerName];
    }
  }
}

function splitName(name: string): [string, string] {
  const slash = name.indexOf('/');
  return slash < 0
    ? [name.toLowerCase(), '']
    : [name.slice(0, slash).toLowerCase(), name.slice(slash + 1).toLowerCase()];
}
