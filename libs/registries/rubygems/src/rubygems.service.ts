import { Injectable } from '@nestjs/common';
import type { Readable } from 'node:stream';
import {
  AppConfig,
  CachedDocument,
  DocumentCache,
  FileDescriptor,
  IngestService,
  OWNER_WIDE_SCOPE,
  PackageQueryService,
  PackageService,
  PackageType,
  RegistryError,
  UserEntity,
  VersionDescriptor,
} from '@wharf/packages-core';
import { buildInfo, buildNames, buildVersions, compactIndexEtag } from './rubygems.compact-index';
import {
  buildDependencies,
  buildQuickSpec,
  buildSpecsList,
  IndexedGem,
  SpecsList,
} from './rubygems.documents';
import { gemFileName, GemMetadata, readGem, RUBY_PLATFORM, versionKey } from './rubygems.metadata';

const TYPE = PackageType.Rubygems;
const MARSHAL_TYPE = 'application/octet-stream';
const TEXT_TYPE = 'text/plain; charset=utf-8';
/** rubygems.org answers at most this many gems per `/api/v1/dependencies` call. */
export const MAX_DEPENDENCY_GEMS = 200;

/** The RubyGems format's rules (docs/protocols/rubygems.md §3–4): push, yank, the two indexes. */
@Injectable()
export class RubygemsService {
  constructor(
    private readonly config: AppConfig,
    private readonly ingest: IngestService,
    private readonly packages: PackageService,
    private readonly query: PackageQueryService,
    private readonly documents: DocumentCache,
  ) {}

  /**
   * `gem push`: the .gem streams into storage, its gemspec is read from the staged bytes
   * (safely, §3) and the gem becomes the lead file of a version keyed by version and
   * platform. The same version and platform twice is a 409, as on rubygems.org.
   */
  async push(
    owner: UserEntity,
    creatorId: number,
    body: Readable,
    declaredSize?: number,
  ): Promise<GemMetadata> {
    const { staged, checked: metadata } = await this.ingest.stageChecked(
      body,
      { limit: this.config.sizeLimit(TYPE), declaredSize },
      async (s) => readGem(await this.ingest.open(s)),
    );
    await this.packages.createVersionWithFile(
      { ownerId: owner.id, type: TYPE, name: metadata.name },
      { version: versionKey(metadata.version, metadata.platform), creatorId, metadata },
      { name: gemFileName(metadata), blob: staged, isLead: true },
    );
    return metadata;
  }

  /** `gem yank`: removes the version (of that platform) and its file; 404 when there is none. */
  async yank(owner: UserEntity, name: string, version: string, platform?: string): Promise<void> {
    const key = versionKey(version, platform || RUBY_PLATFORM);
    const found = await this.query.findVersionByName(owner.id, TYPE, name, key);
    if (!found) throw RegistryError.notFound(`gem ${name} version ${key} not found`);
    await this.packages.deleteVersion(found.version.id);
  }

  /** specs.4.8.gz, latest_specs.4.8.gz or prerelease_specs.4.8.gz, from the document cache. */
  specs(owner: UserEntity, list: SpecsList): Promise<CachedDocument> {
    return this.documents.get(
      { ownerId: owner.id, type: TYPE, scope: OWNER_WIDE_SCOPE, variant: list },
      async () => ({
        body: buildSpecsList(await this.indexedGems(owner), list),
        contentType: MARSHAL_TYPE,
      }),
    );
  }

  /** The compact index's `/versions`, owner-wide. */
  versions(owner: UserEntity): Promise<CachedDocument> {
    return this.documents.get(
      { ownerId: owner.id, type: TYPE, scope: OWNER_WIDE_SCOPE, variant: 'versions' },
      async () => textDocument(buildVersions(await this.indexedGems(owner))),
    );
  }

  /** The compact index's `/names`, owner-wide. */
  names(owner: UserEntity): Promise<CachedDocument> {
    return this.documents.get(
      { ownerId: owner.id, type: TYPE, scope: OWNER_WIDE_SCOPE, variant: 'names' },
      async () =>
        textDocument(
          buildNames((await this.query.listPackages(owner.id, TYPE)).map((p) => p.name)),
        ),
    );
  }

  /** `/info/{name}`, scoped to the gem: its cost does not grow with the owner's other gems. 404 for an unknown gem. */
  async info(owner: UserEntity, name: string): Promise<CachedDocument> {
    const pkg = await this.query.findPackage(owner.id, TYPE, name);
    if (!pkg) throw RegistryError.notFound(`gem ${name} not found`);
    return this.documents.get(
      { ownerId: owner.id, type: TYPE, scope: pkg.lowerName, variant: 'info' },
      async () => {
        const gems = await this.indexedGems(owner, pkg.id);
        if (!gems.length) throw RegistryError.notFound(`gem ${name} not found`);
        return textDocument(buildInfo(gems));
      },
    );
  }

  /** quick/Marshal.4.8/{full_name}.gemspec.rz, scoped to the gem. */
  async quickSpec(owner: UserEntity, fullName: string): Promise<CachedDocument> {
    const { descriptor } = await this.findGem(owner, fullName);
    return this.documents.get(
      {
        ownerId: owner.id,
        type: TYPE,
        scope: descriptor.package.lowerName,
        variant: `quick:${fullName.toLowerCase()}`,
      },
      async () => ({ body: buildQuickSpec(descriptor.metadata!), contentType: MARSHAL_TYPE }),
    );
  }

  /** `/api/v1/dependencies?gems=a,b`: each named gem's versions with their runtime dependencies. */
  async dependencies(owner: UserEntity, names: string[]): Promise<Buffer> {
    if (names.length > MAX_DEPENDENCY_GEMS)
      throw RegistryError.invalid(`ask for at most ${MAX_DEPENDENCY_GEMS} gems at a time`);
    const found: GemMetadata[] = [];
    for (const name of new Set(names)) {
      const pkg = await this.query.findPackage(owner.id, TYPE, name);
      if (pkg) found.push(...(await this.indexedGems(owner, pkg.id)).map((g) => g.metadata));
    }
    return buildDependencies(found);
  }

  /** A gem file by full name (`/gems/{full_name}.gem`), for download. */
  async gemFile(owner: UserEntity, fullName: string): Promise<FileDescriptor> {
    return (await this.findGem(owner, fullName)).file;
  }

  /** The version whose lead file is `{full_name}.gem`, with that file. */
  private async findGem(
    owner: UserEntity,
    fullName: string,
  ): Promise<{ descriptor: VersionDescriptor<GemMetadata>; file: FileDescriptor }> {
    const filename = `${fullName}.gem`.toLowerCase();
    const match = (
      await this.query.searchFiles({ ownerId: owner.id, type: TYPE, name: filename })
    ).find((f) => f.file.lowerName === filename);
    const descriptor =
      match && (await this.query.loadDescriptor<GemMetadata>(match.file.versionId));
    if (!match || !descriptor?.metadata) throw RegistryError.notFound(`gem ${fullName} not found`);
    return { descriptor, file: match };
  }

  /** The owner's gems (or one gem's versions) for the indexes, from the batched read model. */
  private async indexedGems(owner: UserEntity, packageId?: number): Promise<IndexedGem[]> {
    const descriptors = await this.query.loadDescriptors<GemMetadata>({
      ownerId: owner.id,
      type: TYPE,
      packageId,
    });
    return descriptors.flatMap(({ version, metadata, files }) => {
      const lead = files.find((f) => f.file.isLead);
      if (!metadata || !lead || gemFileName(metadata) !== lead.file.lowerName) return [];
      return [{ metadata, sha256: lead.blob.hashSha256, createdUnix: version.createdUnix }];
    });
  }
}

/** A compact index file: Bundler checks the body against an ETag that is its quoted MD5. */
function textDocument(body: string): { body: string; contentType: string; etag: string } {
  return { body, contentType: TEXT_TYPE, etag: compactIndexEtag(body) };
}
