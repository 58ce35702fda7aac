import { Injectable } from '@nestjs/common';
import { PackageAccessService, Principal, UserService } from '@wharf/auth';
import {
  isPackageType,
  PackageEntity,
  PackageListing,
  PackageListingQuery,
  PackageQueryService,
  PackageService,
  PackageType,
  PackageVersionEntity,
  RegistryError,
  RegistryErrorCode,
  UserEntity,
  VersionDescriptor,
} from '@wharf/packages-core';

export const PAGE_SIZE = 50;

export interface ListRequest {
  type?: string;
  q?: string;
  page?: string;
}

export interface ListPage {
  items: PackageListing[];
  total: number;
  page: number;
  pages: number;
  type?: PackageType;
  q?: string;
}

export interface PackagePage {
  owner: UserEntity;
  package: PackageEntity;
  /** newest first */
  versions: PackageVersionEntity[];
  selected: VersionDescriptor;
  canWrite: boolean;
}

/**
 * Reads for the package pages. Every decision about what a viewer may see or change is
 * {@link PackageAccessService}'s; a package the viewer may not read is a 404, as if absent.
 */
@Injectable()
export class PackagePagesService {
  constructor(
    private readonly users: UserService,
    private readonly access: PackageAccessService,
    private readonly query: PackageQueryService,
    private readonly listing: PackageListingQuery,
    private readonly packages: PackageService,
  ) {}

  /** Packages of every owner the viewer may read (an admin reads all). */
  async explore(principal: Principal | undefined, req: ListRequest): Promise<ListPage> {
    const ownerIds = principal?.user.isAdmin
      ? undefined
      : (await this.access.readableOwners(principal, await this.listing.ownersWithPackages())).map(
          (o) => o.id,
        );
    return this.page(ownerIds, req);
  }

  async ownerPackages(
    principal: Principal | undefined,
    ownerName: string,
    req: ListRequest,
  ): Promise<ListPage & { owner: UserEntity }> {
    const owner = await this.readableOwner(principal, ownerName);
    return { owner, ...(await this.page([owner.id], req)) };
  }

  /** A package with its versions and one version (the newest when none is named) fully loaded. */
  async packagePage(
    principal: Principal | undefined,
    ownerName: string,
    type: string,
    name: string,
    version?: string,
  ): Promise<PackagePage> {
    const owner = await this.readableOwner(principal, ownerName);
    const pkg = isPackageType(type) ? await this.query.findPackage(owner.id, type, name) : null;
    if (!pkg || pkg.isInternal) throw RegistryError.notFound('package does not exist');
    const versions = (await this.query.listVersions(pkg.id)).reverse();
    const wanted =
      version === undefined
        ? versions[0]
        : versions.find((v) => v.lowerVersion === version.toLowerCase());
    const selected = wanted && (await this.query.loadDescriptor(wanted.id));
    if (!selected) throw RegistryError.notFound('version does not exist');
    const canWrite = (await this.access.decide(principal, owner, 'write')).decision.allowed;
    return { owner, package: pkg, versions, selected, canWrite };
  }

  /** Deletes a version (returns how many are left) when the viewer may write the owner's packages (owners, admins, org writers). */
  async deleteVersion(
    principal: Principal,
    ownerName: string,
    type: string,
    name: string,
    version: string,
  ): Promise<{ remaining: number }> {
    const page = await this.packagePage(principal, ownerName, type, name, version);
    if (!page.canWrite)
      throw new RegistryError(
        RegistryErrorCode.Forbidden,
        `you may read but not delete the packages of ${page.owner.name}`,
      );
    await this.packages.deleteVersion(page.selected.version.id);
    return { remaining: page.versions.length - 1 };
  }

  /** The owner when the viewer may read its packages; a 404 otherwise (whether or not it exists). */
  async readableOwner(principal: Principal | undefined, name: string): Promise<UserEntity> {
    const owner = await this.users.lookupOwner(name);
    if (!owner || !(await this.access.canRead(principal, owner)))
      throw RegistryError.notFound('owner does not exist');
    return owner;
  }

  private async page(ownerIds: number[] | undefined, req: ListRequest): Promise<ListPage> {
    const type = req.type && isPackageType(req.type) ? req.type : undefined;
    const q = req.q?.trim().slice(0, 200) || undefined;
    const page = Math.max(1, Math.min(Number.parseInt(req.page ?? '1', 10) || 1, 100000));
    const { items, total } = await this.listing.list({
      ownerIds,
      type,
      query: q,
      offset: (page - 1) * PAGE_SIZE,
      limit: PAGE_SIZE,
    });
    return { items, total, page, pages: Math.max(1, Math.ceil(total / PAGE_SIZE)), type, q };
  }
}
