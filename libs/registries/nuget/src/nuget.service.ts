import { Injectable } from '@nestjs/common';
import type { Readable } from 'node:stream';
import {
  AppConfig,
  CachedDocument,
  checkName,
  DocumentCache,
  GeneratedDocument,
  IngestService,
  known,
  OWNER_WIDE_SCOPE,
  PackageBlobEntity,
  PackageDownloadService,
  PackageFileEntity,
  PackageQueryService,
  PackageService,
  PackageType,
  RegistryError,
  StagedBlob,
  UserEntity,
  VersionDescriptor,
} from '@wharf/packages-core';
import { readNuspec, readNuspecBytes, readSymbolFile, readSymbolFiles } from './nuget-archive';
import {
  buildRegistrationIndex,
  buildRegistrationLeaf,
  buildSearchResult,
  buildServiceIndex,
  buildVersionList,
  NuGetLinks,
  NuGetVersionEntry,
  SearchQuery,
} from './nuget.documents';
import {
  FILE_NAME,
  NuGetMetadata,
  Nuspec,
  PACKAGE_ID,
  routeVersion,
  SYMBOL_ENTRY_PROPERTY,
  SYMBOL_ID_PROPERTY,
} from './nuget.metadata';
import { sortNuGetVersions } from './nuget-version';

const JSON_TYPE = 'application/json; charset=utf-8';

/** The NuGet format's rules (docs/protocols/nuget.md §3–4): pushes, deletes and the v3 documents. */
@Injectable()
export class NuGetService {
  constructor(
    private readonly config: AppConfig,
    private readonly ingest: IngestService,
    private readonly packages: PackageService,
    private readonly query: PackageQueryService,
    private readonly documents: DocumentCache,
    private readonly downloads: PackageDownloadService,
  ) {}

  links(owner: UserEntity): NuGetLinks {
    return new NuGetLinks(this.query.packageBaseUrl(owner, PackageType.Nuget));
  }

  /** `PUT {base}/`: a .nupkg; its .nuspec read in storage decides id and version; 409 when the version exists. */
  async push(
    owner: UserEntity,
    creatorId: number,
    body: Readable,
    declaredSize: number | undefined,
  ): Promise<NuGetMetadata> {
    const { staged, checked } = await this.ingest.stageChecked(
      body,
      { limit: this.config.sizeLimit(PackageType.Nuget), declaredSize },
      async (s) => {
        const { nuspec } = await readNuspec(this.openStaged(s), s.size);
        if (nuspec.isSymbolsPackage)
          throw RegistryError.invalid(
            'unexpected package type: this is a symbol package; push it to the SymbolPackagePublish resource ({base}/symbolpackage)',
          );
        return nuspec;
      },
    );
    const { id, version } = checked.metadata;
    await this.packages.createVersionWithFile(
      { ownerId: owner.id, type: PackageType.Nuget, name: id, semverCompatible: true },
      { version, creatorId, metadata: checked.metadata },
      { name: `${id}.${version}.nupkg`.toLowerCase(), blob: staged, isLead: true },
    );
    return checked.metadata;
  }

  /** `PUT {base}/symbolpackage`: a .snupkg of Portable PDBs for a version that exists (404 otherwise). */
  async pushSymbols(
    owner: UserEntity,
    creatorId: number,
    body: Readable,
    declaredSize: number | undefined,
  ): Promise<void> {
    const { staged, checked } = await this.ingest.stageChecked(
      body,
      { limit: this.config.sizeLimit(PackageType.Nuget), declaredSize },
      (s) => this.inspectSymbols(owner, s),
    );
    const { nuspec, symbols } = checked;
    const { id, version } = nuspec.metadata;
    await this.packages.addFileToVersion(
      { ownerId: owner.id, type: PackageType.Nuget, name: id, semverCompatible: true },
      { version, creatorId },
      {
        name: `${id}.${version}.snupkg`.toLowerCase(),
        blob: staged,
        properties: {
          [SYMBOL_ID_PROPERTY]: symbols.map((s) => s.id),
          [SYMBOL_ENTRY_PROPERTY]: symbols.map((s) => `${s.id} ${s.entry}`),
        },
      },
    );
  }

  private async inspectSymbols(owner: UserEntity, staged: StagedBlob) {
    const open = this.openStaged(staged);
    const { nuspec, entries } = await readNuspec(open, staged.size);
    if (!nuspec.isSymbolsPackage)
      throw RegistryError.invalid(
        'unexpected package type: a symbol package declares <packageType name="SymbolsPackage"/>',
      );
    await this.requireVersion(owner, nuspec);
    return { nuspec, symbols: await readSymbolFiles(open, staged.size, entries) };
  }

  private async requireVersion(owner: UserEntity, nuspec: Nuspec): Promise<void> {
    const { id, version } = nuspec.metadata;
    if (!(await this.query.findVersionByName(owner.id, PackageType.Nuget, id, version)))
      throw RegistryError.notFound(
        `package ${id} ${version} does not exist: push the .nupkg first`,
      );
  }

  private openStaged(staged: StagedBlob) {
    return (start: number, end: number) => this.ingest.open(staged, { start, end });
  }

  /** `DELETE {base}/{id}/{version}`: the version goes, with its files. */
  async delete(owner: UserEntity, id: string, version: string): Promise<void> {
    const found = await this.query.findVersionByName(
      owner.id,
      PackageType.Nuget,
      checkName(id, PACKAGE_ID),
      routeVersion(version),
    );
    if (!found) throw RegistryError.notFound(`package ${id} ${version} not found`);
    await this.packages.deleteVersion(found.version.id);
  }

  /** `index.json`: the same for every request to an owner. */
  serviceIndex(owner: UserEntity): Promise<CachedDocument> {
    return this.ownerDocument(owner, 'index.json', async () =>
      json(buildServiceIndex(this.links(owner).root)),
    );
  }

  /** An owner-wide document (discovery documents, search pages), rebuilt after any write. */
  ownerDocument(
    owner: UserEntity,
    variant: string,
    build: () => Promise<GeneratedDocument>,
  ): Promise<CachedDocument> {
    return this.documents.get(
      { ownerId: owner.id, type: PackageType.Nuget, scope: OWNER_WIDE_SCOPE, variant },
      build,
    );
  }

  /** A document of one package (scope: its lower-case id), rebuilt after a write to it. */
  packageDocument(
    owner: UserEntity,
    id: string,
    variant: string,
    build: () => Promise<GeneratedDocument>,
  ): Promise<CachedDocument> {
    return this.documents.get(
      {
        ownerId: owner.id,
        type: PackageType.Nuget,
        scope: checkName(id, PACKAGE_ID).toLowerCase(),
        variant,
      },
      build,
    );
  }

  /** Every version of one package in NuGet's order; 404 when it has none. */
  async versionsOf(owner: UserEntity, id: string): Promise<NuGetVersionEntry[]> {
    const versions = await this.findVersions(owner, id);
    if (!versions.length) throw RegistryError.notFound(`package ${id} not found`);
    return versions;
  }

  /** Every version of one package in NuGet's order, none for an unknown package. */
  async findVersions(owner: UserEntity, id: string): Promise<NuGetVersionEntry[]> {
    const doc = await this.packageDocument(owner, id, 'model', async () => {
      const pkg = await this.query.findPackage(owner.id, PackageType.Nuget, id);
      const descriptors = pkg
        ? await this.query.loadDescriptors<NuGetMetadata>({
            ownerId: owner.id,
            type: PackageType.Nuget,
            packageId: pkg.id,
          })
        : [];
      await this.query.completeDescriptorDigests(descriptors);
      return json(JSON.stringify(entriesOf(descriptors)));
    });
    return JSON.parse(doc.body.toString()) as NuGetVersionEntry[];
  }

  /** One version of a package; 404 when missing. */
  async versionOf(owner: UserEntity, id: string, version: string): Promise<NuGetVersionEntry> {
    const wanted = routeVersion(version).toLowerCase();
    const found = (await this.versionsOf(owner, id)).find(
      (v) => v.version.toLowerCase() === wanted,
    );
    if (!found) throw RegistryError.notFound(`package ${id} ${version} not found`);
    return found;
  }

  /** Every package of the owner (sorted by id), each with its versions in NuGet's order. */
  async catalog(owner: UserEntity): Promise<NuGetVersionEntry[][]> {
    const doc = await this.ownerDocument(owner, 'catalog', async () => {
      const descriptors = await this.query.loadDescriptors<NuGetMetadata>({
        ownerId: owner.id,
        type: PackageType.Nuget,
      });
      await this.query.completeDescriptorDigests(descriptors);
      const byPackage = new Map<number, VersionDescriptor<NuGetMetadata>[]>();
      for (const d of descriptors)
        byPackage.set(d.package.id, [...(byPackage.get(d.package.id) ?? []), d]);
      const packages = [...byPackage.values()]
        .map(entriesOf)
        .filter((versions) => versions.length)
        .sort((a, b) => a[0].id.toLowerCase().localeCompare(b[0].id.toLowerCase()));
      return json(JSON.stringify(packages));
    });
    return JSON.parse(doc.body.toString()) as NuGetVersionEntry[][];
  }

  /** `package/{id}/index.json`. */
  versionList(owner: UserEntity, id: string): Promise<CachedDocument> {
    return this.packageDocument(owner, id, 'versions', async () =>
      json(buildVersionList(await this.versionsOf(owner, id))),
    );
  }

  /** `registration/{id}/index.json`. */
  registrationIndex(owner: UserEntity, id: string): Promise<CachedDocument> {
    return this.packageDocument(owner, id, 'registration', async () =>
      json(buildRegistrationIndex(this.links(owner), await this.versionsOf(owner, id))),
    );
  }

  /** `registration/{id}/{version}.json`. */
  registrationLeaf(owner: UserEntity, id: string, version: string): Promise<CachedDocument> {
    return this.packageDocument(
      owner,
      id,
      `leaf:${routeVersion(version).toLowerCase()}`,
      async () =>
        json(buildRegistrationLeaf(this.links(owner), await this.versionOf(owner, id, version))),
    );
  }

  /** `query?q=&skip=&take=&prerelease=`. */
  search(owner: UserEntity, query: SearchQuery): Promise<CachedDocument> {
    return this.ownerDocument(owner, `search:${JSON.stringify(query)}`, async () =>
      json(buildSearchResult(this.links(owner), await this.catalog(owner), query)),
    );
  }

  /** `package/{id}/{version}/{id}.nuspec`: read out of the stored .nupkg, cached with the package. */
  nuspec(owner: UserEntity, id: string, version: string): Promise<CachedDocument> {
    const normalized = routeVersion(version);
    return this.packageDocument(owner, id, `nuspec:${normalized.toLowerCase()}`, async () => {
      const entry = await this.versionOf(owner, id, normalized);
      const nupkg = await this.findFile(
        owner,
        id,
        normalized,
        `${entry.id}.${entry.version}.nupkg`,
      );
      const open = (start: number, end: number) =>
        this.downloads.readBlob(nupkg.blob, { start, end });
      const bytes = await readNuspecBytes(open, nupkg.blob.size);
      return { body: bytes, contentType: 'application/xml' };
    });
  }

  /** A stored file of a version (`.nupkg`, `.snupkg`), for serveFile. */
  async findFile(
    owner: UserEntity,
    id: string,
    version: string,
    filename: string,
  ): Promise<{ file: PackageFileEntity; blob: PackageBlobEntity }> {
    const found = await this.query.findFileByPath(
      owner.id,
      PackageType.Nuget,
      checkName(id, PACKAGE_ID),
      routeVersion(version),
      checkName(filename, FILE_NAME),
    );
    if (!found) throw RegistryError.notFound(`file ${filename} of ${id} ${version} not found`);
    return found;
  }

  /**
   * `symbols/{file}/{pdb id}FFFFFFFF/{file}` (Simple Symbol Query Protocol): the PDB with
   * that id and name, read out of the .snupkg that carries it.
   */
  async symbol(owner: UserEntity, name: string, pdbId: string): Promise<GeneratedDocument> {
    const lowerName = checkName(name, FILE_NAME).toLowerCase();
    const id = pdbId.toLowerCase();
    const carriers = await this.query.searchFiles({
      ownerId: owner.id,
      type: PackageType.Nuget,
      properties: { [SYMBOL_ID_PROPERTY]: id },
    });
    for (const carrier of carriers) {
      const entry = (carrier.properties[SYMBOL_ENTRY_PROPERTY] ?? [])
        .filter((value) => value.startsWith(`${id} `))
        .map((value) => value.slice(id.length + 1))
        .find((e) => baseName(e) === lowerName);
      if (!entry) continue;
      const open = (start: number, end: number) =>
        this.downloads.readBlob(carrier.blob, { start, end });
      const bytes = await readSymbolFile(open, carrier.blob.size, entry);
      if (bytes) return { body: bytes, contentType: 'application/octet-stream' };
    }
    throw RegistryError.notFound(`no symbol file ${name} with id ${id}`);
  }
}

function baseName(entry: string): string {
  return entry.slice(entry.lastIndexOf('/') + 1).toLowerCase();
}

function json(body: string): GeneratedDocument {
  return { body, contentType: JSON_TYPE };
}

/** Stored versions as document entries, in NuGet's order; a version without its .nupkg is left out. */
function entriesOf(descriptors: VersionDescriptor<NuGetMetadata>[]): NuGetVersionEntry[] {
  const entries = descriptors.flatMap((d) => {
    const nupkg = d.files.find((f) => f.file.isLead);
    if (!nupkg || !d.metadata) return [];
    return [
      {
        id: d.package.name,
        version: d.version.version,
        createdUnix: d.version.createdUnix,
        downloads: d.version.downloadCount,
        size: nupkg.blob.size,
        sha512: known(nupkg.blob).hashSha512,
        metadata: d.metadata,
      },
    ];
  });
  return sortNuGetVersions(entries, (e) => e.version);
}
