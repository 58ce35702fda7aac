import { Injectable } from '@nestjs/common';
import type { Readable } from 'node:stream';
import semver from 'semver';
import {
  AppConfig,
  CachedDocument,
  DocumentCache,
  GeneratedDocument,
  IngestService,
  PackageBlobEntity,
  PackageEntity,
  PackageFileEntity,
  PackageQueryService,
  PackageService,
  PackageType,
  PropertyRefType,
  RegistryError,
  UserEntity,
  Visibility,
} from '@wharf/packages-core';
import {
  buildConfig,
  buildIndexFile,
  buildOwners,
  buildSearch,
  IndexedVersion,
  SearchHit,
} from './cargo.documents';
import {
  assertManifestAgrees,
  CargoVersionMetadata,
  crateNameKey,
  MAX_METADATA_BYTES,
  NAME_KEY,
  parsePublishMetadata,
  readCrateManifest,
  versionWithoutBuild,
  YANKED,
} from './cargo.metadata';
import { openPublishBody } from './publish-body';

const INDEX_TYPE = 'text/plain; charset=utf-8';
const JSON_TYPE = 'application/json; charset=utf-8';
/** cargo search's `--limit` goes up to 100, as on crates.io. */
const MAX_PER_PAGE = 100;

/** The cargo format's rules (docs/protocols/cargo.md §3–4). */
@Injectable()
export class CargoService {
  constructor(
    private readonly config: AppConfig,
    private readonly ingest: IngestService,
    private readonly packages: PackageService,
    private readonly query: PackageQueryService,
    private readonly documents: DocumentCache,
  ) {}

  baseUrl(owner: UserEntity): string {
    return this.query.packageBaseUrl(owner, PackageType.Cargo);
  }

  /** `config.json`: cargo sends its token on every request when `auth-required` is true. */
  registryConfig(owner: UserEntity): GeneratedDocument {
    const authRequired = this.config.requireSignin || owner.visibility !== Visibility.Public;
    return {
      body: JSON.stringify(buildConfig(this.baseUrl(owner), authRequired)),
      contentType: JSON_TYPE,
    };
  }

  /**
   * `PUT /api/v1/crates/new`: the metadata is read and checked first, then the .crate
   * streams into storage and its Cargo.toml must agree; only then is the version written.
   */
  async publish(
    owner: UserEntity,
    creatorId: number,
    body: Readable,
    declaredSize?: number,
  ): Promise<CargoVersionMetadata> {
    const frame = await openPublishBody(body, { declaredSize, maxMetadata: MAX_METADATA_BYTES });
    const meta = parsePublishMetadata(frame.metadata);
    await this.assertPublishable(owner, meta);
    const { staged } = await this.ingest.stageChecked(
      frame.crate,
      { limit: this.config.sizeLimit(PackageType.Cargo), declaredSize: frame.crateLength },
      async (s) =>
        assertManifestAgrees(await readCrateManifest(await this.ingest.open(s), meta), meta),
    );
    await this.packages.createVersionWithFile(
      { ownerId: owner.id, type: PackageType.Cargo, name: meta.name, semverCompatible: true },
      {
        version: meta.vers,
        creatorId,
        metadata: meta,
        properties: { [YANKED]: 'false', [NAME_KEY]: crateNameKey(meta.name) },
      },
      { name: `${meta.name}-${meta.vers}.crate`.toLowerCase(), blob: staged, isLead: true },
    );
    return meta;
  }

  /**
   * crates.io's rules a first look can check before anything is stored: one crate per name
   * whatever its case and `-`/`_` spelling, always published under its first spelling, and
   * one version per SemVer precedence (`1.0.0+a` and `1.0.0+b` are the same to cargo).
   * The exact same version twice is the database's 409.
   */
  private async assertPublishable(owner: UserEntity, meta: CargoVersionMetadata): Promise<void> {
    const pkg = await this.query.findPackage(owner.id, PackageType.Cargo, meta.name);
    if (!pkg) {
      const { items } = await this.query.searchVersions({
        ownerId: owner.id,
        type: PackageType.Cargo,
        properties: { [NAME_KEY]: crateNameKey(meta.name) },
        includeInternal: true,
        limit: 1,
      });
      if (items.length)
        throw RegistryError.conflict(
          `crate ${meta.name} conflicts with the existing crate ${items[0].package.name} (crate names are compared ignoring case and "-" versus "_")`,
        );
      return;
    }
    if (pkg.name !== meta.name)
      throw RegistryError.conflict(
        `this crate is named ${pkg.name}; publish it under that name, not ${meta.name}`,
      );
    const core = versionWithoutBuild(meta.vers);
    const twin = (await this.query.listVersions(pkg.id, true)).find(
      (v) => versionWithoutBuild(v.version) === core && v.lowerVersion !== meta.vers.toLowerCase(),
    );
    if (twin)
      throw RegistryError.conflict(
        `version ${meta.vers} of ${pkg.name} differs from the existing ${twin.version} only in build metadata`,
      );
  }

  /** The sparse index file of one crate, from the document cache; 404 for an unknown crate. */
  indexFile(owner: UserEntity, name: string): Promise<CachedDocument> {
    return this.documents.get(
      { ownerId: owner.id, type: PackageType.Cargo, scope: name.toLowerCase() },
      async () => ({
        body: buildIndexFile(await this.indexedVersions(owner, name)),
        contentType: INDEX_TYPE,
      }),
    );
  }

  /** Every version of a crate with checksum and yank state, in a fixed number of queries. */
  private async indexedVersions(owner: UserEntity, name: string): Promise<IndexedVersion[]> {
    const pkg = await this.requireCrate(owner, name);
    // By ids from the (package_id, version) index: on SQLite, loadDescriptors' filter form and
    // listVersions' default (`is_internal = false`) are planned through the is_internal index
    // and scan every version of every package, so the cost would grow with the owner's crates.
    const ids = (await this.query.listVersions(pkg.id, true))
      .filter((v) => !v.isInternal)
      .map((v) => v.id);
    const descriptors = await this.query.loadDescriptors<CargoVersionMetadata>(ids);
    const versions = descriptors.flatMap(({ metadata, files, versionProperties }) => {
      const lead = files.find((f) => f.file.isLead);
      if (!metadata || !lead) return [];
      return [
        {
          metadata,
          cksum: lead.blob.hashSha256,
          yanked: versionProperties[YANKED]?.[0] === 'true',
        },
      ];
    });
    // Cargo treats 404 as "no such crate"; an empty index file would be read as one with no versions.
    if (!versions.length) throw RegistryError.notFound(`crate ${name} not found`);
    return versions;
  }

  /** The .crate of a version, for download (yanked versions stay downloadable for lockfiles). */
  async findCrate(
    owner: UserEntity,
    name: string,
    version: string,
  ): Promise<{ file: PackageFileEntity; blob: PackageBlobEntity }> {
    const found = await this.requireVersion(owner, name, version);
    const files = await this.query.listFiles(found.version.id);
    const lead = files.find((f) => f.file.isLead);
    if (!lead) throw RegistryError.notFound(`crate ${name} ${version} has no file`);
    return lead;
  }

  /** `cargo yank` (true) and `cargo yank --undo` (false): the index line's `yanked` follows at once. */
  async setYanked(owner: UserEntity, name: string, version: string, yanked: boolean) {
    const found = await this.requireVersion(owner, name, version);
    await this.packages.setProperty(PropertyRefType.Version, found.version.id, YANKED, [
      String(yanked),
    ]);
  }

  /** `cargo search`: crates whose name contains `q`, by name; max_version is the highest unyanked version. */
  async search(owner: UserEntity, q: string, page: number, perPage: number) {
    const needle = crateNameKey(q.trim());
    const matches = (await this.query.listPackages(owner.id, PackageType.Cargo)).filter((p) =>
      crateNameKey(p.name).includes(needle),
    );
    const size = Math.min(Math.max(perPage, 1), MAX_PER_PAGE);
    const start = (Math.max(page, 1) - 1) * size;
    const hits: SearchHit[] = [];
    for (const pkg of matches.slice(start, start + size)) hits.push(await this.searchHit(pkg));
    return buildSearch(hits, matches.length);
  }

  private async searchHit(pkg: PackageEntity): Promise<SearchHit> {
    // Through the (package_id, version) index, as in indexedVersions.
    const versions = (await this.query.listVersions(pkg.id, true)).filter((v) => !v.isInternal);
    const props = await this.query.getProperties(
      PropertyRefType.Version,
      versions.map((v) => v.id),
    );
    const live = versions.filter((v) => props.get(v.id)?.[YANKED]?.[0] !== 'true');
    const pool = live.length ? live : versions;
    const best = pool.reduce<(typeof pool)[number] | undefined>(
      (a, b) => (!a || semver.gt(b.version, a.version) ? b : a),
      undefined,
    );
    const meta = best?.metadataJson
      ? (JSON.parse(best.metadataJson) as CargoVersionMetadata)
      : null;
    return {
      name: pkg.name,
      max_version: best?.version ?? '0.0.0',
      description: meta?.description ?? '',
    };
  }

  /** `cargo owner --list`: the crate's owner (a user or an organization). */
  async owners(owner: UserEntity, name: string) {
    await this.requireCrate(owner, name);
    return buildOwners(owner);
  }

  private async requireCrate(owner: UserEntity, name: string): Promise<PackageEntity> {
    const pkg = await this.query.findPackage(owner.id, PackageType.Cargo, name);
    if (!pkg) throw RegistryError.notFound(`crate ${name} not found`);
    return pkg;
  }

  private async requireVersion(owner: UserEntity, name: string, version: string) {
    const found = await this.query.findVersionByName(owner.id, PackageType.Cargo, name, version);
    if (!found) throw RegistryError.notFound(`crate ${name} version ${version} not found`);
    return found;
  }
}
