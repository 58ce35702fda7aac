import { Injectable } from '@nestjs/common';
import type { Readable } from 'node:stream';
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
  UserEntity,
  VersionDescriptor,
} from '@wharf/packages-core';
import { buildPackageDocument, PUB_JSON, PubVersionEntry, versionObject } from './pub.documents';
import {
  archiveFileName,
  checkPackageName,
  PUB_ARCHIVE,
  PUB_VERSION,
  PubMetadata,
  readPubspec,
} from './pub.metadata';

const TYPE = PackageType.Pub;

/** The pub format's rules (docs/protocols/pub.md §3–4). */
@Injectable()
export class PubService {
  constructor(
    private readonly config: AppConfig,
    private readonly ingest: IngestService,
    private readonly packages: PackageService,
    private readonly query: PackageQueryService,
    private readonly documents: DocumentCache,
  ) {}

  /** The hosted URL `dart pub` is given: `{base}/api/packages/{owner}/pub`. */
  hostedUrl(owner: UserEntity): string {
    return this.query.packageBaseUrl(owner, TYPE);
  }

  /**
   * The archive of `POST api/packages/versions/new/upload`: it streams into storage, is
   * read there (every entry checked, pubspec.yaml at the root parsed), and only then
   * becomes the version's one file. The same version again is a 409.
   */
  async upload(
    owner: UserEntity,
    creatorId: number,
    body: Readable,
    declaredSize: number | undefined,
  ): Promise<{ name: string; version: string }> {
    const { staged, checked } = await this.ingest.stageChecked(
      body,
      { limit: this.config.sizeLimit(TYPE), declaredSize },
      async (s) => {
        if (!s.size) throw RegistryError.invalid('the upload is empty: send the package .tar.gz');
        return readPubspec(await this.ingest.open(s));
      },
    );
    await this.packages.createVersionWithFile(
      { ownerId: owner.id, type: TYPE, name: checked.name, semverCompatible: true },
      {
        version: checked.version,
        creatorId,
        metadata: { pubspec: checked.pubspec } satisfies PubMetadata,
      },
      { name: archiveFileName(checked.version), blob: staged, isLead: true },
    );
    return { name: checked.name, version: checked.version };
  }

  /** The finalize step: the version the upload created must exist (404 otherwise). */
  async finalize(owner: UserEntity, name: string, version: string): Promise<string> {
    const found = await this.findVersion(owner, name, version);
    return `${found.package.name} ${found.version.version} published`;
  }

  /** `GET api/packages/{name}`: every version, from the document cache scoped to the package. */
  async packageDocument(owner: UserEntity, name: string): Promise<CachedDocument> {
    checkPackageName(name);
    const pkg = await this.query.findPackage(owner.id, TYPE, name);
    if (!pkg) throw RegistryError.notFound(`package "${name}" not found`);
    return this.documents.get(
      { ownerId: owner.id, type: TYPE, scope: pkg.lowerName, variant: 'versions' },
      async () => {
        const descriptors = await this.query.loadDescriptors<PubMetadata>({
          ownerId: owner.id,
          type: TYPE,
          packageId: pkg.id,
        });
        const entries = descriptors.flatMap((d) => this.entry(owner, d));
        if (!entries.length) throw RegistryError.notFound(`package "${name}" not found`);
        return { body: buildPackageDocument(pkg.name, entries), contentType: PUB_JSON };
      },
    );
  }

  /** `GET api/packages/{name}/{version}`: one version object. */
  async versionDocument(owner: UserEntity, name: string, version: string): Promise<string> {
    const found = await this.findVersion(owner, name, version);
    const [descriptor] = await this.query.loadDescriptors<PubMetadata>([found.version.id]);
    const [entry] = descriptor ? this.entry(owner, descriptor) : [];
    if (!entry) throw RegistryError.notFound(`version ${version} of "${name}" not found`);
    return JSON.stringify(versionObject(entry));
  }

  /** The archive of `files/{version}.tar.gz`. */
  async findArchive(
    owner: UserEntity,
    name: string,
    file: string,
  ): Promise<{ file: PackageFileEntity; blob: PackageBlobEntity }> {
    checkPackageName(name);
    checkName(file, PUB_ARCHIVE);
    const version = file.slice(0, -'.tar.gz'.length);
    const found = await this.query.findFileByPath(
      owner.id,
      TYPE,
      name,
      version,
      archiveFileName(version),
    );
    if (!found) throw RegistryError.notFound(`archive ${file} of "${name}" not found`);
    return found;
  }

  private async findVersion(owner: UserEntity, name: string, version: string) {
    checkPackageName(name);
    checkName(version, PUB_VERSION);
    const found = await this.query.findVersionByName(owner.id, TYPE, name, version);
    if (!found) throw RegistryError.notFound(`version ${version} of "${name}" not found`);
    return found;
  }

  private entry(owner: UserEntity, d: VersionDescriptor<PubMetadata>): PubVersionEntry[] {
    const file = d.files.find((f) => f.file.isLead) ?? d.files[0];
    if (!file) return [];
    const base = `${this.hostedUrl(owner)}/api/packages/${encodeURIComponent(d.package.name)}`;
    return [
      {
        version: d.version.version,
        archiveUrl: `${base}/files/${encodeURIComponent(file.file.name)}`,
        archiveSha256: file.blob.hashSha256,
        pubspec: d.metadata?.pubspec ?? {},
        publishedUnix: d.version.createdUnix,
      },
    ];
  }
}
