import { Injectable } from '@nestjs/common';
import type { Readable } from 'node:stream';
import {
  AppConfig,
  CachedDocument,
  checkName,
  DocumentCache,
  IngestService,
  known,
  OWNER_WIDE_SCOPE,
  PackageBlobEntity,
  PackageFileEntity,
  PackageQueryService,
  PackageService,
  PackageType,
  readBounded,
  RegistryError,
  StagedBlob,
  UserEntity,
  VersionDescriptor,
} from '@wharf/packages-core';
import {
  DEFAULT_ARCHIVE_LIMITS,
  detectArchiveKind,
  readTarComposerJson,
  readZipComposerJson,
} from './composer-archive';
import {
  buildListJson,
  buildP2Json,
  buildPackagesJson,
  buildSearchJson,
  CatalogEntry,
  ComposerVersion,
  SearchQuery,
} from './composer.documents';
import {
  ArchiveKind,
  archiveFileName,
  checkPackageName,
  ComposerManifest,
  ComposerVersionMetadata,
  distType,
  FILE_NAME,
  parseComposerJson,
  PROJECT_NAME,
  TYPE_PROPERTY,
  VENDOR_NAME,
  VERSION,
} from './composer.metadata';
import { normalizeComposerVersion } from './composer-version';

const JSON_TYPE = 'application/json';
// Enough bytes to tell zip, gzip, bzip2 and a plain tar (`ustar` at offset 257) apart.
const HEAD_BYTES = 512;

/** The Composer format's rules (docs/protocols/composer.md §3–4). */
@Injectable()
export class ComposerService {
  constructor(
    private readonly config: AppConfig,
    private readonly ingest: IngestService,
    private readonly packages: PackageService,
    private readonly query: PackageQueryService,
    private readonly documents: DocumentCache,
  ) {}

  baseUrl(owner: UserEntity): string {
    return this.query.packageBaseUrl(owner, PackageType.Composer);
  }

  /**
   * `PUT {base}?version=`: the archive streams into storage, its composer.json is read
   * and validated there, and only then does the version exist. A version that is
   * already there, under any spelling Composer reads as the same (`v1.0`, `1.0.0`), is
   * a 409.
   */
  async upload(
    owner: UserEntity,
    creatorId: number,
    body: Readable,
    declaredSize: number | undefined,
    queryVersion: string | undefined,
  ): Promise<ComposerManifest> {
    const { staged, checked } = await this.ingest.stageChecked(
      body,
      { limit: this.config.sizeLimit(PackageType.Composer), declaredSize },
      (s) => this.inspect(owner, s, queryVersion),
    );
    const { manifest, kind } = checked;
    await this.packages.createVersionWithFile(
      { ownerId: owner.id, type: PackageType.Composer, name: manifest.name },
      {
        version: manifest.version,
        creatorId,
        metadata: manifest.metadata,
        properties: { [TYPE_PROPERTY]: manifest.metadata.type },
      },
      {
        name: archiveFileName(manifest.name, manifest.version, kind),
        blob: staged,
        isLead: true,
      },
    );
    return manifest;
  }

  private async inspect(
    owner: UserEntity,
    staged: StagedBlob,
    queryVersion: string | undefined,
  ): Promise<{ manifest: ComposerManifest; kind: ArchiveKind }> {
    if (!staged.size) throw RegistryError.invalid('the upload is empty: send a zip or tar archive');
    const head = await readBounded(
      await this.ingest.open(staged, { start: 0, end: Math.min(HEAD_BYTES, staged.size) - 1 }),
      HEAD_BYTES,
    );
    const kind = detectArchiveKind(head);
    const composerJson =
      kind === 'zip'
        ? await readZipComposerJson(
            (start, end) => this.ingest.open(staged, { start, end }),
            staged.size,
          )
        : await readTarComposerJson(await this.ingest.open(staged), DEFAULT_ARCHIVE_LIMITS);
    const manifest = parseComposerJson(composerJson, queryVersion);
    await this.refuseSameVersion(owner, manifest);
    return { manifest, kind };
  }

  /** 409 for a version Composer would read as one already published under another spelling. */
  private async refuseSameVersion(owner: UserEntity, manifest: ComposerManifest): Promise<void> {
    const pkg = await this.query.findPackage(owner.id, PackageType.Composer, manifest.name);
    if (!pkg) return;
    const normalized = manifest.metadata.version_normalized;
    for (const existing of await this.query.listVersions(pkg.id)) {
      if (sameNormalized(existing.version, normalized))
        throw RegistryError.conflict(
          `version ${manifest.version} of ${manifest.name} already exists` +
            (existing.lowerVersion === manifest.version.toLowerCase()
              ? ''
              : ` as ${existing.version} (Composer reads both as ${normalized})`),
        );
    }
  }

  /** `packages.json`: the same for every request to an owner, built once per process. */
  packagesJson(owner: UserEntity): Promise<CachedDocument> {
    return this.documents.get(
      {
        ownerId: owner.id,
        type: PackageType.Composer,
        scope: OWNER_WIDE_SCOPE,
        variant: 'packages.json',
      },
      async () => ({ body: buildPackagesJson(this.baseUrl(owner)), contentType: JSON_TYPE }),
    );
  }

  /** `p2/{vendor}/{project}.json` or `~dev.json`, scoped to the package; 404 for an unknown package. */
  p2(owner: UserEntity, vendor: string, project: string, dev: boolean): Promise<CachedDocument> {
    const name = `${checkName(vendor, VENDOR_NAME)}/${checkName(project, PROJECT_NAME)}`;
    return this.documents.get(
      {
        ownerId: owner.id,
        type: PackageType.Composer,
        scope: name.toLowerCase(),
        variant: dev ? 'p2~dev' : 'p2',
      },
      async () => {
        const pkg = await this.query.findPackage(owner.id, PackageType.Composer, name);
        if (!pkg) throw RegistryError.notFound(`package ${name} not found`);
        const descriptors = await this.query.loadDescriptors<ComposerVersionMetadata>({
          ownerId: owner.id,
          type: PackageType.Composer,
          packageId: pkg.id,
        });
        await this.query.completeDescriptorDigests(descriptors);
        const versions = descriptors.flatMap((d) => this.describe(owner, d));
        return { body: buildP2Json(pkg.name, versions, dev), contentType: JSON_TYPE };
      },
    );
  }

  /** `list.json`: every package name of the owner. */
  list(owner: UserEntity): Promise<CachedDocument> {
    return this.documents.get(
      { ownerId: owner.id, type: PackageType.Composer, scope: OWNER_WIDE_SCOPE, variant: 'list' },
      async () => {
        const packages = await this.query.listPackages(owner.id, PackageType.Composer);
        return { body: buildListJson(packages.map((p) => p.name)), contentType: JSON_TYPE };
      },
    );
  }

  /** `search.json` for one query, from the owner's catalog (itself a cached document). */
  search(owner: UserEntity, query: SearchQuery): Promise<CachedDocument> {
    return this.documents.get(
      {
        ownerId: owner.id,
        type: PackageType.Composer,
        scope: OWNER_WIDE_SCOPE,
        variant: `search:${JSON.stringify(query)}`,
      },
      async () => {
        const catalog = JSON.parse((await this.catalog(owner)).body.toString()) as CatalogEntry[];
        return {
          body: buildSearchJson(catalog, query, this.baseUrl(owner)),
          contentType: JSON_TYPE,
        };
      },
    );
  }

  /**
   * Each package with its newest version's description, type and download count, by
   * name; one read-model load for the owner. Download counts are as of the last write
   * (a download bumps no document generation).
   */
  private catalog(owner: UserEntity): Promise<CachedDocument> {
    return this.documents.get(
      {
        ownerId: owner.id,
        type: PackageType.Composer,
        scope: OWNER_WIDE_SCOPE,
        variant: 'catalog',
      },
      async () => {
        const newest = new Map<number, VersionDescriptor<ComposerVersionMetadata>>();
        const descriptors = await this.query.loadDescriptors<ComposerVersionMetadata>({
          ownerId: owner.id,
          type: PackageType.Composer,
        });
        // Oldest first: the last one seen for a package is its newest.
        for (const d of descriptors) newest.set(d.package.id, d);
        const entries: CatalogEntry[] = [...newest.values()]
          .map((d) => ({
            name: d.package.name,
            description: d.metadata?.description ?? '',
            type: d.versionProperties[TYPE_PROPERTY]?.[0] ?? d.metadata?.type ?? 'library',
            downloads: d.version.downloadCount,
          }))
          .sort((a, b) => a.name.localeCompare(b.name));
        return { body: JSON.stringify(entries), contentType: JSON_TYPE };
      },
    );
  }

  /** The archive of `/files/{vendor%2Fproject}/{version}/{file}`, for serveFile. */
  async findArchive(
    owner: UserEntity,
    name: string,
    version: string,
    filename: string,
  ): Promise<{ file: PackageFileEntity; blob: PackageBlobEntity }> {
    checkPackageName(name);
    checkName(version, VERSION);
    checkName(filename, FILE_NAME);
    const found = await this.query.findVersionByName(owner.id, PackageType.Composer, name, version);
    const archive = found && (await this.query.findFileWithBlob(found.version.id, filename));
    if (!archive) throw RegistryError.notFound(`file ${filename} of ${name} ${version} not found`);
    return archive;
  }

  private describe(
    owner: UserEntity,
    d: VersionDescriptor<ComposerVersionMetadata>,
  ): ComposerVersion[] {
    const lead = d.files.find((f) => f.file.isLead) ?? d.files[0];
    if (!lead || !d.metadata) return [];
    const segment = encodeURIComponent;
    return [
      {
        name: d.package.name,
        version: d.version.version,
        createdUnix: d.version.createdUnix,
        metadata: d.metadata,
        dist: {
          type: distType(kindOf(lead.file.name)),
          url: `${this.baseUrl(owner)}/files/${segment(d.package.lowerName)}/${segment(d.version.lowerVersion)}/${segment(lead.file.lowerName)}`,
          shasum: known(lead.blob).hashSha1,
        },
      },
    ];
  }
}

function kindOf(filename: string): ArchiveKind {
  return filename.endsWith('.zip') ? 'zip' : 'tar';
}

function sameNormalized(version: string, normalized: string): boolean {
  try {
    return normalizeComposerVersion(version) === normalized;
  } catch {
    return false;
  }
}
