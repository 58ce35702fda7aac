import { Injectable } from '@nestjs/common';
import type { Readable } from 'node:stream';
import {
  AppConfig,
  IngestService,
  PackageBlobEntity,
  PackageFileEntity,
  PackageQueryService,
  PackageService,
  PackageType,
  RegistryError,
  StagedBlob,
  UserEntity,
} from '@wharf/packages-core';
import { buildIndexYaml, IndexDocument, IndexedChart } from './helm.documents';
import { chartFileName, HelmChartMetadata, readChartMetadata } from './helm.metadata';

// Versions listed per index request; an owner with more is paged through.
const INDEX_PAGE = 1000;

/** The Helm format's rules (docs/protocols/helm.md §3–4). */
@Injectable()
export class HelmService {
  constructor(
    private readonly config: AppConfig,
    private readonly ingest: IngestService,
    private readonly packages: PackageService,
    private readonly query: PackageQueryService,
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
    const staged = await this.ingest.ingest(body, {
      limit: this.config.sizeLimit(PackageType.Helm),
      declaredSize,
    });
    const metadata = await this.parseStaged(staged, expectedName);
    const result = await this.packages.createOrAddFile(
      { ownerId: owner.id, type: PackageType.Helm, name: metadata.name, semverCompatible: true },
      { version: metadata.version, creatorId, metadata },
      { name: chartFileName(metadata), blob: staged, isLead: true, overwrite: true },
    );
    if (!result.createdVersion)
      await this.packages.updateVersionMetadata(result.version.id, metadata);
    return metadata;
  }

  /** index.yaml for every chart version of the owner. */
  async index(owner: UserEntity, now = new Date()): Promise<IndexDocument> {
    const charts: IndexedChart[] = [];
    for (let offset = 0; ; offset += INDEX_PAGE) {
      const page = await this.query.searchVersions({
        ownerId: owner.id,
        type: PackageType.Helm,
        offset,
        limit: INDEX_PAGE,
      });
      for (const { version } of page.items) {
        if (!version.metadataJson) continue;
        const files = await this.query.listFiles(version.id);
        const lead = files.find((f) => f.file.isLead);
        if (lead)
          charts.push({
            metadata: JSON.parse(version.metadataJson),
            filename: lead.file.name,
            sha256: lead.blob.hashSha256,
            createdUnix: version.createdUnix,
            updatedUnix: lead.file.createdUnix,
          });
      }
      if (page.items.length < INDEX_PAGE) break;
    }
    return buildIndexYaml(charts, this.repoUrl(owner), now);
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
    return `${this.config.baseUrl}/api/packages/${encodeURIComponent(owner.name)}/helm`;
  }

  private async parseStaged(staged: StagedBlob, expectedName?: string): Promise<HelmChartMetadata> {
    try {
      const metadata = await readChartMetadata(await this.ingest.open(staged));
      if (expectedName !== undefined && expectedName.toLowerCase() !== chartFileName(metadata)) {
        throw RegistryError.invalid(
          `the file name ${expectedName} does not match the chart, ${chartFileName(metadata)}`,
        );
      }
      return metadata;
    } catch (err) {
      await this.ingest.discard(staged);
      throw err;
    }
  }
}
