import { Injectable } from '@nestjs/common';
import type { Readable } from 'node:stream';
import {
  AppConfig,
  CachedDocument,
  DocumentCache,
  GeneratedDocument,
  IngestService,
  InvalidArtifactError,
  PackageBlobEntity,
  PackageEntity,
  PackageFileEntity,
  PackageQueryService,
  PackageService,
  PackageType,
  PackageVersionEntity,
  PropertyRefType,
  RegistryError,
  StagedBlob,
  UserEntity,
} from '@wharf/packages-core';
import { readModuleZip } from './go-module-zip';
import { buildVersionInfo, buildVersionList } from './go.documents';
import {
  checkMajorVersion,
  checkModulePath,
  checkModuleVersion,
  GO_MOD_PROPERTY,
  goModModulePath,
  latestVersion,
  MAX_MODULE_ZIP,
  synthesizedGoMod,
} from './go.metadata';

const TEXT = 'text/plain; charset=utf-8';
const JSON_TYPE = 'application/json';

/** What a checked upload holds. */
interface CheckedModule {
  path: string;
  version: string;
  goMod: string;
}

/** The Go format's rules (docs/protocols/go.md §3–4). */
@Injectable()
export class GoService {
  constructor(
    private readonly config: AppConfig,
    private readonly ingest: IngestService,
    private readonly packages: PackageService,
    private readonly query: PackageQueryService,
    private readonly documents: DocumentCache,
  ) {}

  /**
   * `PUT /upload`: the zip streams into storage, its layout and go.mod are checked there,
   * and only then does the version exist, with the go.mod text as a version property.
   * `expectedPath` (`?module=`) must then be the module the zip holds.
   */
  async upload(
    owner: UserEntity,
    creatorId: number,
    body: Readable,
    declaredSize: number | undefined,
    expectedPath: string | undefined,
  ): Promise<CheckedModule> {
    const configured = this.config.sizeLimit(PackageType.Go);
    const { staged, checked } = await this.ingest.stageChecked(
      body,
      { limit: Math.min(configured ?? MAX_MODULE_ZIP, MAX_MODULE_ZIP), declaredSize },
      (s) => this.inspect(owner, s, expectedPath),
    );
    await this.packages.createVersionWithFile(
      { ownerId: owner.id, type: PackageType.Go, name: checked.path },
      {
        version: checked.version,
        creatorId,
        properties: { [GO_MOD_PROPERTY]: checked.goMod },
      },
      { name: `${checked.version}.zip`, blob: staged, isLead: true },
    );
    return checked;
  }

  private async inspect(
    owner: UserEntity,
    staged: StagedBlob,
    expectedPath: string | undefined,
  ): Promise<CheckedModule> {
    if (!staged.size) throw RegistryError.invalid('the upload is empty: send a module zip');
    const zip = await readModuleZip(
      (start, end) => this.ingest.open(staged, { start, end }),
      staged.size,
    );
    const path = checkModulePath(zip.path);
    const version = checkModuleVersion(zip.version);
    checkMajorVersion(path, version);
    if (expectedPath !== undefined && expectedPath !== path)
      throw new InvalidArtifactError(
        `the zip holds module ${path}, not ${expectedPath} (?module=): its entries are under ${path}@${version}/`,
      );
    if (zip.goMod) {
      const declared = goModModulePath(zip.goMod);
      if (declared !== path)
        throw new InvalidArtifactError(
          `go.mod declares module ${declared}, but the zip's entries are under ${path}@${version}/: the two must be the same module path`,
        );
      // The go command refuses such a version: a go.mod means semantic import versioning applies.
      if (version.endsWith('+incompatible'))
        throw new InvalidArtifactError(
          `${version} is +incompatible but the module has a go.mod: publish it under ${path}/v${/^v([0-9]+)/.exec(version)![1]} instead`,
        );
    }
    await this.refuseOtherCase(owner, path);
    return { path, version, goMod: zip.goMod?.toString('utf8') ?? synthesizedGoMod(path) };
  }

  /** Module paths are case-sensitive but names are stored case-insensitively: one spelling per owner. */
  private async refuseOtherCase(owner: UserEntity, path: string): Promise<void> {
    const pkg = await this.query.findPackage(owner.id, PackageType.Go, path);
    if (pkg && pkg.name !== path)
      throw RegistryError.conflict(
        `module ${pkg.name} already exists here; ${path} differs from it only in case`,
      );
  }

  /** `@v/list`, scoped to the module; 404 for a module never uploaded. */
  versionList(owner: UserEntity, path: string): Promise<CachedDocument> {
    return this.documents.get(this.key(owner, path, 'list'), async () => {
      const { versions } = await this.versions(owner, path);
      return { body: buildVersionList(versions.map((v) => v.version)), contentType: TEXT };
    });
  }

  /** `@latest`: the info of the version Go's `latest` query names, scoped to the module. */
  latest(owner: UserEntity, path: string): Promise<CachedDocument> {
    return this.documents.get(this.key(owner, path, 'latest'), async () => {
      const version = await this.resolve(owner, path, 'latest');
      return {
        body: buildVersionInfo(version.version, version.createdUnix),
        contentType: JSON_TYPE,
      };
    });
  }

  /** `@v/{version}.info`. */
  async info(owner: UserEntity, path: string, version: string): Promise<GeneratedDocument> {
    const found = await this.resolve(owner, path, version);
    return { body: buildVersionInfo(found.version, found.createdUnix), contentType: JSON_TYPE };
  }

  /** `@v/{version}.mod`: the go.mod stored at upload. */
  async goMod(owner: UserEntity, path: string, version: string): Promise<GeneratedDocument> {
    const found = await this.resolve(owner, path, version);
    const props = await this.query.getProperties(PropertyRefType.Version, [found.id]);
    const text = props.get(found.id)?.[GO_MOD_PROPERTY]?.[0] ?? synthesizedGoMod(path);
    return { body: text, contentType: TEXT };
  }

  /** `@v/{version}.zip`, for serveFile. */
  async findZip(
    owner: UserEntity,
    path: string,
    version: string,
  ): Promise<{ file: PackageFileEntity; blob: PackageBlobEntity }> {
    const found = await this.resolve(owner, path, version);
    const zip = await this.query.findFileWithBlob(found.id, `${found.version}.zip`);
    if (!zip) throw RegistryError.notFound(`not found: ${path}@${found.version} has no zip`);
    return zip;
  }

  private key(owner: UserEntity, path: string, variant: string) {
    // The scope is the package's (lower case, bumped by every write); the exact spelling is
    // part of the variant, since only that spelling is served.
    return {
      ownerId: owner.id,
      type: PackageType.Go,
      scope: path.toLowerCase(),
      variant: `${variant}:${path}`,
    };
  }

  /** The module's versions, oldest first, in one query after the package's. Exact case only: the go command escapes it. */
  private async versions(
    owner: UserEntity,
    path: string,
  ): Promise<{ pkg: PackageEntity; versions: PackageVersionEntity[] }> {
    const pkg = await this.query.findPackage(owner.id, PackageType.Go, path);
    if (!pkg || pkg.name !== path) throw RegistryError.notFound(`not found: module ${path}`);
    return { pkg, versions: await this.query.listVersions(pkg.id) };
  }

  /** A version by its exact name, or `latest` (Forgejo's `@v/latest.*`). */
  private async resolve(
    owner: UserEntity,
    path: string,
    version: string,
  ): Promise<PackageVersionEntity> {
    if (version === 'latest') {
      const { versions } = await this.versions(owner, path);
      const name = latestVersion(versions.map((v) => v.version));
      const found = versions.find((v) => v.version === name);
      if (!found) throw RegistryError.notFound(`not found: module ${path} has no versions`);
      return found;
    }
    const found = await this.query.findVersionByName(owner.id, PackageType.Go, path, version);
    if (!found || found.package.name !== path || found.version.version !== version)
      throw RegistryError.notFound(`not found: ${path}@${version}`);
    return found.version;
  }
}
