import { Injectable } from '@nestjs/common';
import type { Readable } from 'node:stream';
import {
  AppConfig,
  CachedDocument,
  checkName,
  DocumentCache,
  IngestService,
  known,
  PackageBlobEntity,
  PackageFileEntity,
  PackageQueryService,
  PackageService,
  PackageType,
  readBounded,
  RegistryError,
  StagedBlob,
  UserEntity,
} from '@wharf/packages-core';
import { BoxContents, detectBoxKind, readTarBox, readZipBox } from './vagrant-box';
import { buildBoxCatalog, CatalogVersion } from './vagrant.documents';
import {
  BOX_NAME,
  BOX_PROVIDER,
  BOX_SUFFIX,
  BOX_VERSION,
  BoxMetadata,
  PROVIDER_PROPERTY,
  RESERVED_BOX_NAMES,
  sameBoxVersion,
} from './vagrant.metadata';

const TYPE = PackageType.Vagrant;
const JSON_TYPE = 'application/json';
// Enough bytes to tell zip, the compressions and a plain tar (`ustar` at 257) apart.
const HEAD_BYTES = 512;

/** A box file's coordinates, as the upload and download paths carry them. */
export interface BoxCoordinates {
  name: string;
  version: string;
  /** `{provider}.box` */
  file: string;
}

/** The Vagrant format's rules (docs/protocols/vagrant.md §3–4). */
@Injectable()
export class VagrantService {
  constructor(
    private readonly config: AppConfig,
    private readonly ingest: IngestService,
    private readonly packages: PackageService,
    private readonly query: PackageQueryService,
    private readonly documents: DocumentCache,
  ) {}

  /**
   * `PUT /{name}/{version}/{provider}.box`: the box streams into storage, is read there
   * (every entry checked, info.json and metadata.json read), and only then becomes a
   * file of the version, one per provider. The same provider twice is a 409, as is a
   * version Vagrant reads as an existing one spelled otherwise (`1.0` next to `1.0.0`).
   */
  async upload(
    owner: UserEntity,
    creatorId: number,
    coordinates: BoxCoordinates,
    body: Readable,
    declaredSize: number | undefined,
  ): Promise<void> {
    const { name, version, provider } = checkCoordinates(coordinates);
    if (RESERVED_BOX_NAMES.has(name.toLowerCase()))
      throw RegistryError.invalid(`invalid box name: "${name}" is one of the format's own paths`);
    await this.refuseOtherSpelling(owner, name, version);
    const { staged, checked } = await this.ingest.stageChecked(
      body,
      { limit: this.config.sizeLimit(TYPE), declaredSize },
      (s) => this.inspect(s, provider),
    );
    await this.packages.createOrAddFile(
      { ownerId: owner.id, type: TYPE, name, semverCompatible: true },
      { version, creatorId, metadata: checked.metadata satisfies BoxMetadata },
      {
        name: `${provider}${BOX_SUFFIX}`,
        blob: staged,
        isLead: true,
        properties: { [PROVIDER_PROPERTY]: provider },
      },
    );
  }

  private async inspect(staged: StagedBlob, provider: string): Promise<BoxContents> {
    if (!staged.size) throw RegistryError.invalid('the upload is empty: send the .box file');
    const head = await readBounded(
      await this.ingest.open(staged, { start: 0, end: Math.min(HEAD_BYTES, staged.size) - 1 }),
      HEAD_BYTES,
    );
    return detectBoxKind(head) === 'zip'
      ? readZipBox((start, end) => this.ingest.open(staged, { start, end }), staged.size, provider)
      : readTarBox(await this.ingest.open(staged), staged.size, provider);
  }

  private async refuseOtherSpelling(owner: UserEntity, name: string, version: string) {
    const pkg = await this.query.findPackage(owner.id, TYPE, name);
    if (!pkg) return;
    for (const existing of await this.query.listVersions(pkg.id)) {
      if (
        existing.lowerVersion !== version.toLowerCase() &&
        sameBoxVersion(existing.version, version)
      )
        throw RegistryError.conflict(
          `version ${version} of ${pkg.name} already exists as ${existing.version} (Vagrant reads both as one version)`,
        );
    }
  }

  /**
   * The box catalog (`GET /{name}`), from the document cache scoped to the box: its cost
   * does not grow with the owner's other boxes. 404 for an unknown box.
   */
  async catalog(owner: UserEntity, name: string): Promise<CachedDocument> {
    checkName(name, BOX_NAME);
    const pkg = await this.query.findPackage(owner.id, TYPE, name);
    if (!pkg) throw RegistryError.notFound(`box ${name} not found`);
    return this.documents.get(
      { ownerId: owner.id, type: TYPE, scope: pkg.lowerName, variant: 'catalog' },
      async () => {
        const descriptors = await this.query.loadDescriptors<BoxMetadata>({
          ownerId: owner.id,
          type: TYPE,
          packageId: pkg.id,
        });
        await this.query.completeDescriptorDigests(descriptors);
        const base = `${this.query.packageBaseUrl(owner, TYPE)}/${encodeURIComponent(pkg.name)}`;
        const versions: CatalogVersion[] = descriptors
          .filter((d) => d.files.length)
          .map((d) => ({
            version: d.version.version,
            description: d.metadata?.description,
            providers: d.files.map((f) => ({
              name:
                f.properties[PROVIDER_PROPERTY]?.[0] ?? f.file.name.slice(0, -BOX_SUFFIX.length),
              url: `${base}/${encodeURIComponent(d.version.version)}/${encodeURIComponent(f.file.name)}`,
              sha512: known(f.blob).hashSha512,
            })),
          }));
        if (!versions.length) throw RegistryError.notFound(`box ${name} not found`);
        return { body: buildBoxCatalog(pkg.name, versions), contentType: JSON_TYPE };
      },
    );
  }

  /** The box file of `/{name}/{version}/{provider}.box`, for download or delete. */
  async findBox(
    owner: UserEntity,
    coordinates: BoxCoordinates,
  ): Promise<{ file: PackageFileEntity; blob: PackageBlobEntity }> {
    const { name, version, provider } = checkCoordinates(coordinates);
    const box = await this.query.findFileByPath(
      owner.id,
      TYPE,
      name,
      version,
      `${provider}${BOX_SUFFIX}`,
    );
    if (!box)
      throw RegistryError.notFound(`box ${name} ${version} for provider ${provider} not found`);
    return box;
  }

  /** Deletes one provider's box; the version goes with its last box. */
  async deleteBox(owner: UserEntity, coordinates: BoxCoordinates): Promise<void> {
    const box = await this.findBox(owner, coordinates);
    await this.packages.deleteFile(box.file.id);
  }

  /** Deletes a version with every provider's box. */
  async deleteVersion(owner: UserEntity, name: string, version: string): Promise<void> {
    checkName(name, BOX_NAME);
    checkName(version, BOX_VERSION);
    const found = await this.query.findVersionByName(owner.id, TYPE, name, version);
    if (!found) throw RegistryError.notFound(`box ${name} version ${version} not found`);
    await this.packages.deleteVersion(found.version.id);
  }
}

/** Checks the three path coordinates; the file must be `{provider}.box`. */
function checkCoordinates(c: BoxCoordinates): { name: string; version: string; provider: string } {
  checkName(c.name, BOX_NAME);
  checkName(c.version, BOX_VERSION);
  if (!c.file.toLowerCase().endsWith(BOX_SUFFIX) || c.file.length === BOX_SUFFIX.length)
    throw RegistryError.invalid(
      `invalid box file name: expected {provider}${BOX_SUFFIX} (virtualbox${BOX_SUFFIX})`,
    );
  const provider = checkName(c.file.slice(0, -BOX_SUFFIX.length), BOX_PROVIDER);
  return { name: c.name, version: c.version, provider };
}
