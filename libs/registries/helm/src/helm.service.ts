import { Injectable } from '@nestjs/common';
import type { Readable } from 'node:stream';
import semver from 'semver';
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
} from '@wharf/packages-core';
import { buildIndexYaml, IndexedChart } from './helm.documents';
import { chartFileName, HelmChartMetadata, readChartMetadata } from './helm.metadata';

// RFC 9512's registered YAML type: browsers offer it as a download and never render it,
// so text from a hostile Chart.yaml cannot become a page on the registry's origin.
const INDEX_TYPE = 'application/yaml; charset=utf-8';

/** The Helm format's rules (docs/protocols/helm.md §3–4). */
@Injectable()
export class HelmService {
  constructor(
    private readonly config: AppConfig,
    private readonly ingest: IngestService,
    private readonly packages: PackageService,
    private readonly query: PackageQueryService,
    private readonly documents: DocumentCache,
  ) {}

  /**
   * Stores a chart archive: Chart.yaml is read from the staged bytes and validated, then
   * the archive becomes the version's lead file. Re-uploading a version replaces its
   * archive (Forgejo); unlike Forgejo the metadata follows, so index and archive agree.
   * `expectedName`: the file name a `PUT …/{file}` named, which must be the chart's.
   */
  async upload(
    owner: UserEntity,
    creatorId: number,
    body: Readable,
    declaredSize?: number,
    expectedName?: string,
  ): Promise<HelmChartMetadata> {
    const { staged, checked: metadata } = await this.ingest.stageChecked(
      body,
      { limit: this.config.sizeLimit(PackageType.Helm), declaredSize },
      (s) => this.parseStaged(s, expectedName),
    );
    await this.packages.createOrAddFile(
      { ownerId: owner.id, type: PackageType.Helm, name: metadata.name, semverCompatible: true },
      { version: metadata.version, creatorId, metadata },
      { name: chartFileName(metadata), blob: staged, isLead: true, overwrite: true },
      // A replaced archive's metadata changes with it, in one transaction.
      {
        inTransaction: async (tx) => {
          if (!tx.createdVersion) await tx.setVersionMetadata(metadata);
        },
      },
    );
    return metadata;
  }

  /** index.yaml for every chart version of the owner, from the document cache. */
  index(owner: UserEntity): Promise<CachedDocument> {
    return this.documents.get(
      { ownerId: owner.id, type: PackageType.Helm, scope: OWNER_WIDE_SCOPE },
      () => this.buildIndex(owner),
    );
  }

  /** ChartMuseum's `GET /api/charts[/{name}]`: the owner's chart versions (of one chart), from the read model. */
  async charts(owner: UserEntity, name?: string): Promise<IndexedChart[]> {
    let packageId: number | undefined;
    if (name !== undefined) {
      const pkg = await this.query.findPackage(owner.id, PackageType.Helm, name);
      if (!pkg) throw RegistryError.notFound(`chart ${name} not found`);
      packageId = pkg.id;
    }
    const charts = await this.indexedCharts(owner, packageId);
    if (name !== undefined && !charts.length)
      throw RegistryError.notFound(`chart ${name} not found`);
    return charts;
  }

  /** One chart version; `latest` is the highest SemVer 2 version (ChartMuseum). */
  async chart(owner: UserEntity, name: string, version: string): Promise<IndexedChart> {
    const charts = await this.charts(owner, name);
    const found =
      version === 'latest'
        ? charts.reduce((a, b) => (semver.gt(b.metadata.version, a.metadata.version) ? b : a))
        : charts.find((c) => c.metadata.version.toLowerCase() === version.toLowerCase());
    if (!found) throw RegistryError.notFound(`chart ${name} version ${version} not found`);
    return found;
  }

  /** ChartMuseum's `DELETE /api/charts/{name}/{version}`: the version with its archive. */
  async deleteChart(owner: UserEntity, name: string, version: string): Promise<void> {
    const found = await this.query.findVersionByName(owner.id, PackageType.Helm, name, version);
    if (!found) throw RegistryError.notFound(`chart ${name} version ${version} not found`);
    await this.packages.deleteVersion(found.version.id);
  }

  private async buildIndex(owner: UserEntity): Promise<CachedDocument> {
    const charts = await this.indexedCharts(owner);
    return { ...buildIndexYaml(charts, this.repoUrl(owner), new Date()), contentType: INDEX_TYPE };
  }

  private async indexedCharts(owner: UserEntity, packageId?: number): Promise<IndexedChart[]> {
    const descriptors = await this.query.loadDescriptors<HelmChartMetadata>({
      ownerId: owner.id,
      type: PackageType.Helm,
      packageId,
    });
    return descriptors.flatMap(({ version, metadata, files }) => {
      const lead = files.find((f) => f.file.isLead);
      if (!metadata || !lead) return [];
      return [
        {
          metadata,
          filename: lead.file.name,
          sha256: lead.blob.hashSha256,
          createdUnix: version.createdUnix,
          updatedUnix: lead.file.createdUnix,
        },
      ];
    });
  }

  /** A chart archive by file name among all the owner's Helm versions; exactly one must match. */
  async findChart(
    owner: UserEntity,
    filename: string,
  ): Promise<{ file: PackageFileEntity; blob: PackageBlobEntity }> {
    const lower = filename.toLowerCase();
    const matches = (
      await this.query.searchFiles({ ownerId: owner.id, type: PackageType.Helm, name: lower })
    ).filter((f) => f.file.lowerName === lower);
    if (matches.length !== 1) throw RegistryError.notFound(`chart ${filename} not found`);
    return matches[0];
  }

  repoUrl(owner: UserEntity): string {
    return this.query.packageBaseUrl(owner, PackageType.Helm);
  }

  private async parseStaged(staged: StagedBlob, expectedName?: string): Promise<HelmChartMetadata> {
    const metadata = await readChartMetadata(await this.ingest.open(staged));
    if (expectedName !== undefined && expectedName.toLowerCase() !== chartFileName(metadata)) {
      throw RegistryError.invalid(
        `the file name ${expectedName} does not match the chart, ${chartFileName(metadata)}`,
      );
    }
    return metadata;
  }
}
