import { Injectable } from '@nestjs/common';
import type { Readable } from 'node:stream';
import {
  AppConfig,
  CachedDocument,
  DocumentCache,
  IngestService,
  OWNER_WIDE_SCOPE,
  PackageBlobEntity,
  PackageFileEntity,
  PackageQueryService,
  PackageService,
  PackageType,
  RegistryError,
  StagedBlob,
  UserEntity,
  VersionDescriptor,
} from '@wharf/packages-core';
import {
  buildCatalog,
  buildCookbook,
  buildList,
  buildUniverse,
  buildVersion,
  CatalogEntry,
  CookbookVersion,
  ListQuery,
} from './chef.documents';
import {
  ChefMetadata,
  compareCookbookVersions,
  Cookbook,
  cookbookFileName,
  readCookbook,
} from './chef.metadata';

const TYPE = PackageType.Chef;
const JSON_TYPE = 'application/json';

/** The Chef format's rules (docs/protocols/chef.md §3–4): share, unshare, the Supermarket documents. */
@Injectable()
export class ChefService {
  constructor(
    private readonly config: AppConfig,
    private readonly ingest: IngestService,
    private readonly packages: PackageService,
    private readonly query: PackageQueryService,
    private readonly documents: DocumentCache,
  ) {}

  /** `{base}/api/v1`, the root every served URL hangs from. */
  api(owner: UserEntity): string {
    return `${this.query.packageBaseUrl(owner, TYPE)}/api/v1`;
  }

  /**
   * `knife supermarket share`: the tarball streams into storage, its metadata.json is
   * read there, and only then does the version exist. A version Chef reads as one
   * already shared (`1.0` and `1.0.0`) is a 409.
   */
  async upload(
    owner: UserEntity,
    creatorId: number,
    tarball: Readable,
    declaredSize?: number,
  ): Promise<Cookbook> {
    const { staged, checked: cookbook } = await this.ingest.stageChecked(
      tarball,
      { limit: this.config.sizeLimit(TYPE), declaredSize },
      (s) => this.inspect(owner, s),
    );
    await this.packages.createVersionWithFile(
      { ownerId: owner.id, type: TYPE, name: cookbook.name, semverCompatible: true },
      { version: cookbook.version, creatorId, metadata: cookbook.metadata },
      { name: cookbookFileName(cookbook.version), blob: staged, isLead: true },
    );
    return cookbook;
  }

  private async inspect(owner: UserEntity, staged: StagedBlob): Promise<Cookbook> {
    if (!staged.size) throw RegistryError.invalid('the tarball part is empty');
    const cookbook = await readCookbook(await this.ingest.open(staged));
    const pkg = await this.query.findPackage(owner.id, TYPE, cookbook.name);
    for (const existing of pkg ? await this.query.listVersions(pkg.id) : [])
      if (compareCookbookVersions(existing.version, cookbook.version) === 0)
        throw RegistryError.conflict(
          `Version already exists: ${cookbook.name} ${existing.version}` +
            (existing.version === cookbook.version ? '' : ` (the same as ${cookbook.version})`),
        );
    return cookbook;
  }

  /** `knife supermarket unshare {name}/versions/{version}`; 404 when there is no such version. */
  async deleteVersion(owner: UserEntity, name: string, version: string): Promise<void> {
    const found = await this.query.findVersionByName(owner.id, TYPE, name, version);
    if (!found) throw RegistryError.notFound(`cookbook ${name} version ${version} not found`);
    await this.packages.deleteVersion(found.version.id);
  }

  /** `knife supermarket unshare {name}`: every version; 404 when there is none. */
  async deleteCookbook(owner: UserEntity, name: string): Promise<void> {
    const pkg = await this.query.findPackage(owner.id, TYPE, name);
    if (!pkg) throw RegistryError.notFound(`cookbook ${name} not found`);
    await this.packages.deletePackage(pkg.id);
  }

  /** The tarball of a version, for serveFile. */
  async tarball(
    owner: UserEntity,
    name: string,
    version: string,
  ): Promise<{ file: PackageFileEntity; blob: PackageBlobEntity }> {
    const found = await this.query.findFileByPath(
      owner.id,
      TYPE,
      name,
      version,
      cookbookFileName(version),
    );
    if (!found) throw RegistryError.notFound(`cookbook ${name} version ${version} not found`);
    return found;
  }

  /** `/universe`, owner-wide. */
  universe(owner: UserEntity): Promise<CachedDocument> {
    return this.documents.get(
      { ownerId: owner.id, type: TYPE, scope: OWNER_WIDE_SCOPE, variant: 'universe' },
      async () => ({
        body: buildUniverse(this.api(owner), await this.versions(owner)),
        contentType: JSON_TYPE,
      }),
    );
  }

  /** `/search` or `/cookbooks` for one query, from the owner's catalog (itself cached). */
  list(owner: UserEntity, query: ListQuery): Promise<CachedDocument> {
    return this.documents.get(
      {
        ownerId: owner.id,
        type: TYPE,
        scope: OWNER_WIDE_SCOPE,
        variant: `list:${JSON.stringify(query)}`,
      },
      async () => {
        const catalog = JSON.parse((await this.catalog(owner)).body.toString()) as CatalogEntry[];
        return { body: buildList(this.api(owner), catalog, query), contentType: JSON_TYPE };
      },
    );
  }

  /** `/cookbooks/{name}`, scoped to the cookbook; 404 for an unknown one. */
  async cookbook(owner: UserEntity, name: string): Promise<CachedDocument> {
    const pkg = await this.query.findPackage(owner.id, TYPE, name);
    if (!pkg) throw RegistryError.notFound(`cookbook ${name} not found`);
    return this.documents.get(
      { ownerId: owner.id, type: TYPE, scope: pkg.lowerName, variant: 'cookbook' },
      async () => {
        const versions = await this.versions(owner, pkg.id);
        if (!versions.length) throw RegistryError.notFound(`cookbook ${name} not found`);
        return { body: buildCookbook(this.api(owner), versions), contentType: JSON_TYPE };
      },
    );
  }

  /** `/cookbooks/{name}/versions/{version}`, scoped to the cookbook. */
  async version(owner: UserEntity, name: string, version: string): Promise<CachedDocument> {
    const found = await this.query.findVersionByName(owner.id, TYPE, name, version);
    if (!found) throw RegistryError.notFound(`cookbook ${name} version ${version} not found`);
    return this.documents.get(
      {
        ownerId: owner.id,
        type: TYPE,
        scope: found.package.lowerName,
        variant: `version:${found.version.lowerVersion}`,
      },
      async () => {
        const [d] = await this.query.loadDescriptors<ChefMetadata>([found.version.id]);
        const described = d && describe(d);
        if (!described)
          throw RegistryError.notFound(`cookbook ${name} version ${version} not found`);
        return { body: buildVersion(this.api(owner), described), contentType: JSON_TYPE };
      },
    );
  }

  /** Each cookbook's newest version's maintainer and description, by name; one read-model load. */
  private catalog(owner: UserEntity): Promise<CachedDocument> {
    return this.documents.get(
      { ownerId: owner.id, type: TYPE, scope: OWNER_WIDE_SCOPE, variant: 'catalog' },
      async () => ({
        body: JSON.stringify(buildCatalog(await this.versions(owner))),
        contentType: JSON_TYPE,
      }),
    );
  }

  /** The owner's versions (or one cookbook's), from the batched read model. */
  private async versions(owner: UserEntity, packageId?: number): Promise<CookbookVersion[]> {
    const descriptors = await this.query.loadDescriptors<ChefMetadata>({
      ownerId: owner.id,
      type: TYPE,
      packageId,
    });
    return descriptors.flatMap((d) => describe(d) ?? []);
  }
}

function describe(d: VersionDescriptor<ChefMetadata>): CookbookVersion | undefined {
  const lead = d.files.find((f) => f.file.isLead) ?? d.files[0];
  if (!lead) return undefined;
  return {
    name: d.package.name,
    version: d.version.version,
    metadata: d.metadata ?? {},
    createdUnix: d.version.createdUnix,
    size: lead.blob.size,
  };
}
