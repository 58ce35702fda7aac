import { Injectable } from '@nestjs/common';
import type { Request } from 'express';
import {
  AppConfig,
  CachedDocument,
  checkName,
  DocumentCache,
  IngestService,
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
import { readSourceArchive } from './swift-archive';
import { readPublishForm } from './swift-form';
import {
  buildIdentifiers,
  buildReleaseMetadata,
  buildReleases,
  manifestFileName,
  manifestLinks,
} from './swift.documents';
import {
  latestVersion,
  NAME_PROPERTY,
  parsePublishMetadata,
  REPOSITORY_URL_PROPERTY,
  SCOPE_PROPERTY,
  SWIFT_NAME,
  SWIFT_SCOPE,
  SWIFT_TOOLS_VERSION,
  SWIFT_VERSION,
  SwiftManifest,
  SwiftMetadata,
  trimSwiftVersion,
} from './swift.metadata';

const TYPE = PackageType.Swift;
const JSON_TYPE = 'application/json';

/** `/{scope}/{name}[/{version}]` as the routes carry them. */
export interface SwiftCoordinates {
  scope: string;
  name: string;
  version?: string;
}

/** A manifest to serve, or where to send the client instead (303). */
export type ManifestAnswer =
  | { kind: 'manifest'; fileName: string; content: string; link?: string }
  | { kind: 'redirect'; location: string };

/** The Swift registry's rules (docs/protocols/swift.md §3–4). */
@Injectable()
export class SwiftService {
  constructor(
    private readonly config: AppConfig,
    private readonly ingest: IngestService,
    private readonly packages: PackageService,
    private readonly query: PackageQueryService,
    private readonly documents: DocumentCache,
  ) {}

  /**
   * `PUT /{scope}/{name}/{version}`: the archive streams into storage, its manifests are
   * read there, and only then it becomes the version's one file. Same version → 409.
   */
  async publish(
    owner: UserEntity,
    creatorId: number,
    c: SwiftCoordinates,
    req: Request,
  ): Promise<void> {
    const { scope, name, version } = checkCoordinates(c, true);
    const limit = this.config.sizeLimit(TYPE);
    const form = await readPublishForm(
      req,
      (archive) => this.ingest.ingest(archive, { limit }),
      (staged) => this.ingest.discard(staged),
    );
    if (!form.archive) throw RegistryError.invalid('the form has no source-archive part');
    await this.ingest.checkStaged(form.archive, async (staged) => {
      const fields = form.metadata ? parsePublishMetadata(form.metadata) : {};
      const manifests = await this.readManifests(staged);
      const metadata: SwiftMetadata = { ...fields, manifests };
      await this.packages.createVersionWithFile(
        {
          ownerId: owner.id,
          type: TYPE,
          name: `${scope}.${name}`,
          semverCompatible: true,
          properties: { [SCOPE_PROPERTY]: scope, [NAME_PROPERTY]: name },
        },
        {
          version: version!,
          creatorId,
          metadata,
          properties: { [REPOSITORY_URL_PROPERTY]: fields.repositoryURLs ?? [] },
        },
        { name: `${name}-${version}.zip`, blob: staged, isLead: true },
      );
    });
  }

  private async readManifests(staged: StagedBlob): Promise<SwiftManifest[]> {
    if (!staged.size) throw RegistryError.invalid('the source archive is empty');
    return readSourceArchive((start, end) => this.ingest.open(staged, { start, end }), staged.size);
  }

  /** `GET /{scope}/{name}`: the releases document (cached per package) and the latest version. */
  async releases(
    owner: UserEntity,
    c: SwiftCoordinates,
  ): Promise<{ document: CachedDocument; latestUrl?: string }> {
    const { scope, name } = checkCoordinates(c, false);
    const pkg = await this.query.findPackage(owner.id, TYPE, `${scope}.${name}`);
    if (!pkg) throw RegistryError.notFound(`package ${scope}.${name} not found`);
    const document = await this.documents.get(
      { ownerId: owner.id, type: TYPE, scope: pkg.lowerName, variant: 'releases' },
      async () => {
        const descriptors = await this.query.loadDescriptors({
          ownerId: owner.id,
          type: TYPE,
          packageId: pkg.id,
        });
        const releases = descriptors.map((d) => ({
          version: d.version.version,
          url: this.releaseUrl(owner, d),
        }));
        if (!releases.length) throw RegistryError.notFound(`package ${scope}.${name} not found`);
        return { body: buildReleases(releases), contentType: JSON_TYPE };
      },
    );
    const parsed = JSON.parse(document.body.toString()) as {
      releases: Record<string, { url: string }>;
    };
    const latest = latestVersion(Object.keys(parsed.releases));
    return { document, latestUrl: latest && parsed.releases[latest].url };
  }

  /** `GET /{scope}/{name}/{version}`: the release metadata with the archive's checksum. */
  async release(owner: UserEntity, c: SwiftCoordinates): Promise<string> {
    const d = await this.descriptor(owner, c);
    const file = d.files.find((f) => f.file.isLead) ?? d.files[0];
    if (!file) throw RegistryError.notFound(`release ${c.scope}.${c.name} ${c.version} not found`);
    return buildReleaseMetadata({
      scope: d.packageProperties[SCOPE_PROPERTY]?.[0] ?? c.scope,
      name: d.packageProperties[NAME_PROPERTY]?.[0] ?? c.name,
      version: d.version.version,
      checksum: file.blob.hashSha256,
      publishedAt: new Date(d.version.createdUnix * 1000),
      metadata: d.metadata ?? { manifests: [] },
    });
  }

  /** `GET …/{version}/Package.swift[?swift-version=]` (SE-0292 §4.3). */
  async manifest(
    owner: UserEntity,
    c: SwiftCoordinates,
    swiftVersion: string | undefined,
    manifestUrl: string,
  ): Promise<ManifestAnswer> {
    const d = await this.descriptor(owner, c);
    const manifests = d.metadata?.manifests ?? [];
    if (swiftVersion !== undefined) {
      const key = trimSwiftVersion(checkName(swiftVersion, SWIFT_TOOLS_VERSION));
      const found = manifests.find((m) => m.key === key);
      if (!found) return { kind: 'redirect', location: manifestUrl };
      return { kind: 'manifest', fileName: manifestFileName(key), content: found.content };
    }
    const root = manifests.find((m) => m.key === '');
    if (!root) throw RegistryError.notFound('the release has no Package.swift');
    return {
      kind: 'manifest',
      fileName: 'Package.swift',
      content: root.content,
      link: manifestLinks(manifestUrl, manifests),
    };
  }

  /** `GET …/{version}.zip`: the stored source archive. */
  async archive(
    owner: UserEntity,
    c: SwiftCoordinates,
  ): Promise<{ file: PackageFileEntity; blob: PackageBlobEntity }> {
    const { scope, name, version } = checkCoordinates(c, true);
    const found = await this.query.findVersionByName(owner.id, TYPE, `${scope}.${name}`, version!);
    const files = found ? await this.query.listFiles(found.version.id) : [];
    const lead = files.find((f) => f.file.isLead) ?? files[0];
    if (!lead) throw RegistryError.notFound(`release ${scope}.${name} ${version} not found`);
    return lead;
  }

  /** `GET /identifiers?url=`: the packages whose metadata lists that repository URL. */
  async identifiers(owner: UserEntity, url: string | undefined): Promise<string> {
    if (!url) throw RegistryError.invalid('the url query parameter is required');
    if (url.length > 2048) throw RegistryError.invalid('the url is too long');
    const { items } = await this.query.searchVersions({
      ownerId: owner.id,
      type: TYPE,
      properties: { [REPOSITORY_URL_PROPERTY]: url },
      limit: 100,
    });
    const ids = [...new Set(items.map((i) => i.package.name))].sort();
    if (!ids.length) throw RegistryError.notFound(`no package has the repository URL ${url}`);
    return buildIdentifiers(ids);
  }

  private async descriptor(
    owner: UserEntity,
    c: SwiftCoordinates,
  ): Promise<VersionDescriptor<SwiftMetadata>> {
    const { scope, name, version } = checkCoordinates(c, true);
    const found = await this.query.findVersionByName(owner.id, TYPE, `${scope}.${name}`, version!);
    const d = found && (await this.query.loadDescriptor<SwiftMetadata>(found.version.id));
    if (!d) throw RegistryError.notFound(`release ${scope}.${name} ${version} not found`);
    return d;
  }

  private releaseUrl(owner: UserEntity, d: VersionDescriptor): string {
    const scope = d.packageProperties[SCOPE_PROPERTY]?.[0] ?? d.package.name.split('.')[0];
    const name = d.packageProperties[NAME_PROPERTY]?.[0] ?? d.package.name.split('.')[1];
    return `${this.query.packageBaseUrl(owner, TYPE)}/${scope}/${name}/${encodeURIComponent(d.version.version)}`;
  }
}

function checkCoordinates(c: SwiftCoordinates, withVersion: boolean): SwiftCoordinates {
  checkName(c.scope, SWIFT_SCOPE);
  checkName(c.name, SWIFT_NAME);
  if (withVersion) checkName(c.version ?? '', SWIFT_VERSION);
  return c;
}
