import { Injectable } from '@nestjs/common';
import type { Readable } from 'node:stream';
import {
  AppConfig,
  CachedDocument,
  checkName,
  compressBzip2,
  DocumentCache,
  GeneratedDocument,
  IngestService,
  known,
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
import { CondaContents, readCondaPackage, readTarPackage } from './conda-package';
import { buildRepodata, RepodataFile } from './conda.documents';
import {
  CHANNEL_PROPERTY,
  CONDA_CHANNEL,
  CONDA_SUBDIR,
  CondaRecord,
  CondaVersionMetadata,
  packageFileName,
  packageSuffix,
  parsePackageFileName,
  RECORD_PROPERTY,
} from './conda.metadata';

const TYPE = PackageType.Conda;
const JSON_TYPE = 'application/json';
/** The repodata names conda asks for; current_repodata.json is served as the full data. */
export const REPODATA_FILES = new Set(['repodata.json', 'current_repodata.json']);
const BZ2 = '.bz2';
const BZ2_TYPE = 'application/x-bzip2';

/** What a GET path under the conda base resolves to. */
export type CondaResource =
  | { kind: 'repodata'; document: CachedDocument }
  | { kind: 'file'; file: PackageFileEntity; blob: PackageBlobEntity };

/** The conda format's rules (docs/protocols/conda.md §3–4). */
@Injectable()
export class CondaService {
  constructor(
    private readonly config: AppConfig,
    private readonly ingest: IngestService,
    private readonly packages: PackageService,
    private readonly query: PackageQueryService,
    private readonly documents: DocumentCache,
  ) {}

  /**
   * `PUT [/{channel}]/{file}`: the package streams into storage and is read there; its
   * info/index.json names the package, its version, build and subdir, and the stored file
   * is `{name}-{version}-{build}{suffix}` in that subdir. The same file again is a 409.
   */
  async upload(
    owner: UserEntity,
    creatorId: number,
    segments: string[],
    body: Readable,
    declaredSize: number | undefined,
  ): Promise<void> {
    const file = segments.at(-1) ?? '';
    const suffix = packageSuffix(file);
    if (!suffix)
      throw RegistryError.invalid('a conda package file name ends in .tar.bz2 or .conda');
    const channel = checkChannel(segments.slice(0, -1));
    const { staged, checked } = await this.ingest.stageChecked(
      body,
      { limit: this.config.sizeLimit(TYPE), declaredSize },
      (s) => this.inspect(s, suffix),
    );
    const { record, about } = checked;
    await this.packages.createOrAddFile(
      { ownerId: owner.id, type: TYPE, name: packageName(channel, record.name) },
      { version: record.version, creatorId, metadata: about satisfies CondaVersionMetadata },
      {
        name: packageFileName(record, suffix),
        compositeKey: record.subdir,
        isLead: true,
        blob: staged,
        properties: { [CHANNEL_PROPERTY]: channel, [RECORD_PROPERTY]: JSON.stringify(record) },
      },
    );
  }

  private async inspect(staged: StagedBlob, suffix: string): Promise<CondaContents> {
    if (!staged.size) throw RegistryError.invalid('the upload is empty: send the package file');
    return suffix === '.conda'
      ? readCondaPackage((start, end) => this.ingest.open(staged, { start, end }), staged.size)
      : readTarPackage(await this.ingest.open(staged), staged.size);
  }

  /**
   * `GET [/{channel}]/{subdir}/{file}`: repodata.json (or current_repodata.json) of the
   * subdir, its `.bz2` form, or a package file. Anything else (`.zst`, `.jlap`) is a 404.
   */
  async resolve(owner: UserEntity, segments: string[]): Promise<CondaResource> {
    if (segments.length < 2) throw RegistryError.notFound('not a conda channel path');
    const file = segments.at(-1)!;
    const subdir = checkName(segments.at(-2)!, CONDA_SUBDIR);
    const channel = checkChannel(segments.slice(0, -2));
    if (REPODATA_FILES.has(file))
      return { kind: 'repodata', document: await this.repodata(owner, channel, subdir) };
    // rattler (pixi) takes the .bz2 when a HEAD finds it; conda before 4.3 asked for it first.
    if (file.endsWith(BZ2) && REPODATA_FILES.has(file.slice(0, -BZ2.length)))
      return { kind: 'repodata', document: await this.repodata(owner, channel, subdir, true) };
    const parsed = parsePackageFileName(file);
    if (!parsed) throw RegistryError.notFound(`${file} not found`);
    const found = await this.query.findFileByPath(
      owner.id,
      TYPE,
      packageName(channel, parsed.name),
      parsed.version,
      packageFileName(parsed, parsed.suffix),
      subdir,
    );
    if (!found) throw RegistryError.notFound(`${file} not found in ${subdir}`);
    return { kind: 'file', ...found };
  }

  /**
   * The repodata of one channel's subdir (empty when no file is), as JSON or bzip2, both
   * in one cache entry. Cached under the owner-wide scope, which every write bumps —
   * deletes through the management API included — with the channel and subdir as the
   * variant.
   */
  private repodata(
    owner: UserEntity,
    channel: string,
    subdir: string,
    bzip2 = false,
  ): Promise<CachedDocument> {
    const key = {
      ownerId: owner.id,
      type: TYPE,
      scope: OWNER_WIDE_SCOPE,
      variant: variantOf(channel, subdir),
    };
    const build = async (): Promise<GeneratedDocument> => {
      const files = await this.query.searchFiles({
        ownerId: owner.id,
        type: TYPE,
        compositeKey: subdir,
        properties: { [CHANNEL_PROPERTY]: channel },
      });
      const entries: RepodataFile[] = [];
      await this.query.completeDigests(files.map((f) => f.blob));
      for (const f of files) {
        const suffix = packageSuffix(f.file.name);
        const record = f.properties[RECORD_PROPERTY]?.[0];
        if (!suffix || !record) continue;
        entries.push({
          fileName: f.file.name,
          suffix,
          record: JSON.parse(record) as CondaRecord,
          md5: known(f.blob).hashMd5,
          sha256: f.blob.hashSha256,
          size: f.blob.size,
        });
      }
      return { body: buildRepodata(subdir, entries), contentType: JSON_TYPE };
    };
    if (!bzip2) return this.documents.get(key, build);
    return this.documents.getDerived(key, build, 'bzip2', async (json) => ({
      body: await compressBzip2(json.body),
      contentType: BZ2_TYPE,
    }));
  }
}

/** The package of a channel: `{channel}/{name}` in a named channel, `{name}` in the default one. */
function packageName(channel: string, name: string): string {
  return channel ? `${channel}/${name}` : name;
}

/** The cache variant of a channel's subdir repodata. */
function variantOf(channel: string, subdir: string): string {
  return `repodata:${channel}:${subdir}`;
}

function checkChannel(segments: string[]): string {
  return segments.length ? checkName(segments.join('/'), CONDA_CHANNEL) : '';
}
