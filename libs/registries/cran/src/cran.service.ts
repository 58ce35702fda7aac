import { Injectable } from '@nestjs/common';
import type { Readable } from 'node:stream';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import {
  AppConfig,
  CachedDocument,
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
} from '@wharf/packages-core';
import {
  DEFAULT_ARCHIVE_LIMITS,
  detectArchiveKind,
  readTarDescription,
  readZipDescription,
} from './cran-archive';
import { buildPackagesIndex, buildPackagesRds, IndexedFile } from './cran.documents';
import {
  ArchiveKind,
  BinaryTarget,
  binaryKey,
  compareRVersions,
  CranMetadata,
  packageFileName,
  parseDescription,
} from './cran.metadata';

const TYPE = PackageType.Cran;
const gzipAsync = promisify(gzip);
// Enough bytes to tell zip, the tar compressions and a plain tar (`ustar` at 257) apart.
const HEAD_BYTES = 512;

/** Which files an index lists or a download looks among: sources, or binaries of one platform and R version. */
export type Repository = { kind: 'source' } | ({ kind: 'binary' } & BinaryTarget);

/** An index a client asks for: PACKAGES, PACKAGES.gz or PACKAGES.rds. */
export type IndexFormat = 'plain' | 'gz' | 'rds';

export interface Uploaded {
  metadata: CranMetadata;
  fileName: string;
}

/** The CRAN format's rules (docs/protocols/cran.md §3–4): uploads, the PACKAGES indexes, downloads. */
@Injectable()
export class CranService {
  constructor(
    private readonly config: AppConfig,
    private readonly ingest: IngestService,
    private readonly packages: PackageService,
    private readonly query: PackageQueryService,
    private readonly documents: DocumentCache,
  ) {}

  /**
   * `PUT /src` or `PUT /bin?platform=&rversion=`: the archive streams into storage, its
   * DESCRIPTION is read there, and only then is the file added to its version (created on
   * first upload). Same file of the same repository twice is a 409; so is a version R reads
   * as an existing one spelled otherwise (1.0-2 beside 1.0.2).
   */
  async upload(
    owner: UserEntity,
    creatorId: number,
    repo: Repository,
    body: Readable,
    declaredSize?: number,
  ): Promise<Uploaded> {
    const { staged, checked } = await this.ingest.stageChecked(
      body,
      { limit: this.config.sizeLimit(TYPE), declaredSize },
      (s) => this.inspect(owner, repo, s),
    );
    const { metadata, fileName } = checked;
    await this.packages.createOrAddFile(
      { ownerId: owner.id, type: TYPE, name: metadata.package },
      { version: metadata.version, creatorId, metadata },
      {
        name: fileName,
        blob: staged,
        isLead: repo.kind === 'source',
        compositeKey: repo.kind === 'binary' ? binaryKey(repo) : '',
      },
    );
    return checked;
  }

  private async inspect(
    owner: UserEntity,
    repo: Repository,
    staged: StagedBlob,
  ): Promise<Uploaded> {
    if (!staged.size) throw RegistryError.invalid('the upload is empty: send the package archive');
    const head = await readBounded(
      await this.ingest.open(staged, { start: 0, end: Math.min(HEAD_BYTES, staged.size) - 1 }),
      HEAD_BYTES,
    );
    const kind: ArchiveKind = detectArchiveKind(head);
    if (repo.kind === 'source' && kind !== 'tar')
      throw RegistryError.invalid(
        'a source package is the .tar.gz that R CMD build writes; upload zip binaries to /bin',
      );
    const { directory, bytes } =
      kind === 'zip'
        ? await readZipDescription(
            (start, end) => this.ingest.open(staged, { start, end }),
            staged.size,
          )
        : await readTarDescription(await this.ingest.open(staged), DEFAULT_ARCHIVE_LIMITS);
    const metadata = parseDescription(bytes);
    if (directory !== metadata.package)
      throw RegistryError.invalid(
        `the DESCRIPTION is in ${directory}/ but names package ${metadata.package}: R installs a package from the directory named after it`,
      );
    await this.refuseLookAlikes(owner, metadata);
    return {
      metadata,
      fileName: packageFileName(
        metadata.package,
        metadata.version,
        repo.kind === 'source' ? 'source' : kind,
      ),
    };
  }

  /** 409 for a name differing only in case from a stored package, or a version R reads as a stored one. */
  private async refuseLookAlikes(owner: UserEntity, metadata: CranMetadata): Promise<void> {
    const pkg = await this.query.findPackage(owner.id, TYPE, metadata.package);
    if (!pkg) return;
    if (pkg.name !== metadata.package)
      throw RegistryError.conflict(
        `package ${pkg.name} exists: R package names that differ only in case are not told apart here`,
      );
    for (const v of await this.query.listVersions(pkg.id))
      if (v.version !== metadata.version && compareRVersions(v.version, metadata.version) === 0)
        throw RegistryError.conflict(
          `version ${v.version} of ${pkg.name} exists, and R reads ${metadata.version} as the same version`,
        );
  }

  /**
   * `PACKAGES`, `PACKAGES.gz` or `PACKAGES.rds` of sources or of one binary directory, owner-wide, from the
   * document cache; 404 when nothing is there (R then warns and finds no package).
   */
  index(owner: UserEntity, repo: Repository, format: IndexFormat): Promise<CachedDocument> {
    const where = repo.kind === 'source' ? 'src' : `bin:${binaryKey(repo)}`;
    const key = { ownerId: owner.id, type: TYPE, scope: OWNER_WIDE_SCOPE };
    if (format === 'plain')
      return this.documents.get({ ...key, variant: where }, async () => ({
        // Bytes, not text: a large index is not encoded again on every request.
        body: Buffer.from(buildPackagesIndex(await this.indexedFiles(owner, repo))),
        contentType: 'text/plain; charset=utf-8',
      }));
    if (format === 'gz')
      return this.documents.get({ ...key, variant: `${where}.gz` }, async () => ({
        body: await gzipAsync((await this.index(owner, repo, 'plain')).body),
        contentType: 'application/x-gzip',
      }));
    // gzip'd, as saveRDS writes it by default; readRDS reads either.
    return this.documents.get({ ...key, variant: `${where}.rds` }, async () => ({
      body: await gzipAsync(buildPackagesRds(await this.indexedFiles(owner, repo))),
      contentType: 'application/octet-stream',
    }));
  }

  /** The files an index lists, from the batched read model (a fixed number of queries). */
  private async indexedFiles(owner: UserEntity, repo: Repository): Promise<IndexedFile[]> {
    const key = repo.kind === 'source' ? '' : binaryKey(repo);
    const descriptors = await this.query.loadDescriptors<CranMetadata>({
      ownerId: owner.id,
      type: TYPE,
    });
    await this.query.completeDescriptorDigests(descriptors);
    const files = descriptors.flatMap(({ metadata, files: stored }) => {
      const file = stored.find(
        (f) =>
          f.file.compositeKey === key &&
          (repo.kind === 'binary' || f.file.lowerName.endsWith('.tar.gz')),
      );
      return metadata && file ? [{ metadata, md5: known(file.blob).hashMd5 }] : [];
    });
    if (!files.length)
      throw RegistryError.notFound(
        repo.kind === 'source'
          ? 'no source packages here yet'
          : `no binary packages for ${repo.platform} and R ${repo.rversion} here yet`,
      );
    return files;
  }

  /** A stored package file by the name R asks for (case-insensitively), with its blob; 404 otherwise. */
  async file(
    owner: UserEntity,
    repo: Repository,
    name: string,
    version: string,
    fileName: string,
  ): Promise<{ file: PackageFileEntity; blob: PackageBlobEntity }> {
    const found = await this.query.findFileByPath(
      owner.id,
      TYPE,
      name,
      version,
      fileName,
      repo.kind === 'source' ? '' : binaryKey(repo),
    );
    if (!found) throw RegistryError.notFound(`${fileName} not found`);
    return found;
  }
}
