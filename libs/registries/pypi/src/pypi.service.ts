import { Injectable } from '@nestjs/common';
import { createHash } from 'node:crypto';
import type { Request } from 'express';
import {
  AppConfig,
  CachedDocument,
  DocumentCache,
  IngestService,
  InvalidArtifactError,
  OpenRange,
  PackageBlobEntity,
  PackageFileEntity,
  PackageQueryService,
  PackageService,
  PackageType,
  RegistryError,
  PackageDownloadService,
  readMultipartForm,
  StagedBlob,
  UnsafeArchiveEntryError,
  UserEntity,
} from '@wharf/packages-core';
import {
  readTarSdistMetadata,
  readWheelMetadata,
  readZipSdistMetadata,
} from './distribution-reader';
import {
  pathSegment,
  renderProject,
  SimpleFile,
  SimpleFormat,
  SimpleProject,
} from './pypi.documents';
import {
  assertDistributionFilename,
  assertMetadataAgrees,
  canonicalVersion,
  CORE_METADATA_SHA256,
  CoreMetadata,
  distributionKind,
  normalizeProjectName,
  parseCoreMetadata,
  pickHomepage,
  projectDisplayName,
  PypiVersionMetadata,
  REQUIRES_PYTHON,
} from './pypi.metadata';

/** A stored distribution found for download, or the core metadata extracted from a wheel. */
export type PypiDownload =
  | { kind: 'file'; file: PackageFileEntity; blob: PackageBlobEntity }
  | { kind: 'metadata'; body: Buffer; file: PackageFileEntity };

// twine sends a few dozen fields; a long description is the only big one.
const UPLOAD_FORM_LIMITS = { files: 1, fields: 256, fieldSize: 4 * 1024 * 1024, parts: 300 };

/** The PyPI format's rules (docs/protocols/pypi.md §3–4): twine uploads, the Simple API, downloads. */
@Injectable()
export class PypiService {
  constructor(
    private readonly config: AppConfig,
    private readonly ingest: IngestService,
    private readonly packages: PackageService,
    private readonly query: PackageQueryService,
    private readonly downloads: PackageDownloadService,
    private readonly documents: DocumentCache,
  ) {}

  baseUrl(owner: UserEntity): string {
    return this.query.packageBaseUrl(owner, PackageType.Pypi);
  }

  /**
   * `POST {base}` from twine: the file streams into storage while the form is read; the
   * digest, names and the file's own metadata are checked before anything is committed.
   * The same file name twice in a version is a 409 (twine --skip-existing relies on it).
   */
  async upload(owner: UserEntity, creatorId: number, req: Request): Promise<void> {
    const limit = this.config.sizeLimit(PackageType.Pypi);
    // The `content` part streams into storage whichever order the parts come in.
    const form = await readMultipartForm(req, {
      fileParts: ['content'],
      onFile: (part) => this.ingest.ingest(part.stream, { limit }),
      onAbandon: (staged) => this.ingest.discard(staged),
      limits: UPLOAD_FORM_LIMITS,
    });
    const content = form.files[0];
    if (!content)
      throw RegistryError.invalid('the upload has no file: send it in the "content" part');
    await this.ingest.checkStaged(content.result, (staged) =>
      this.store(owner, creatorId, form.fields, content.filename ?? '', staged),
    );
  }

  private async store(
    owner: UserEntity,
    creatorId: number,
    fields: Record<string, string[]>,
    filename: string,
    staged: StagedBlob,
  ): Promise<void> {
    const one = (name: string) => fields[name]?.[0]?.trim() || undefined;
    const digest = one('sha256_digest')?.toLowerCase();
    if (digest !== staged.sha256)
      throw RegistryError.invalid('hash mismatch: sha256_digest does not match the uploaded file');
    const md5 = one('md5_digest')?.toLowerCase();
    if (md5 && md5 !== staged.md5)
      throw RegistryError.invalid('hash mismatch: md5_digest does not match the uploaded file');
    const name = projectDisplayName(one('name') ?? '');
    const version = canonicalVersion(one('version') ?? '');
    assertDistributionFilename(filename, name, version);

    const { core, coreBytes } = await this.readFileMetadata(filename, staged);
    if (core) assertMetadataAgrees(core, name, version, filename);
    const projectUrls = fields.project_urls ?? core?.multi['project-url'] ?? [];
    const requiresPython = one('requires_python') ?? core?.fields['requires-python'];
    const metadata: PypiVersionMetadata = dropEmpty({
      name,
      version,
      summary: one('summary') ?? core?.fields.summary,
      description: one('description') ?? core?.fields.description,
      descriptionContentType:
        one('description_content_type') ?? core?.fields['description-content-type'],
      author: one('author') ?? core?.fields.author,
      authorEmail: one('author_email') ?? core?.fields['author-email'],
      license: one('license') ?? core?.fields.license,
      keywords: one('keywords') ?? core?.fields.keywords,
      classifiers: fields.classifiers ?? core?.multi.classifier,
      requiresDist: fields.requires_dist ?? core?.multi['requires-dist'],
      requiresPython,
      projectUrl: pickHomepage(projectUrls, one('home_page') ?? core?.fields['home-page']),
      projectUrls,
    });
    const properties: Record<string, string> = {};
    if (requiresPython) properties[REQUIRES_PYTHON] = requiresPython;
    if (coreBytes && distributionKind(filename) === 'wheel')
      properties[CORE_METADATA_SHA256] = sha256(coreBytes);
    await this.packages.createOrAddFile(
      { ownerId: owner.id, type: PackageType.Pypi, name },
      { version, creatorId, metadata },
      // Every distribution is a lead file: each download counts (Forgejo).
      { name: filename, blob: staged, isLead: true, properties },
    );
  }

  /** METADATA of a wheel (required), PKG-INFO of an sdist (checked when present). */
  private async readFileMetadata(
    filename: string,
    staged: StagedBlob,
  ): Promise<{ core?: CoreMetadata; coreBytes?: Buffer }> {
    const kind = distributionKind(filename);
    const ranges: OpenRange = (start, end) => this.ingest.open(staged, { start, end });
    let bytes: Buffer | undefined;
    if (kind === 'wheel') {
      bytes = await readWheelMetadata(ranges, staged.size);
      if (!bytes) throw RegistryError.invalid(`the wheel ${filename} has no .dist-info/METADATA`);
    } else if (kind === 'sdist-zip' || kind === 'sdist-tar') {
      // An sdist's PKG-INFO is checked when the archive can be read; like Forgejo, an
      // unreadable sdist is still stored (pip builds it, or fails, on the client). An
      // entry pip would write outside its build directory (`..`, absolute, a link) is no
      // defect to tolerate but an attack: refused, as a budget passed is (413).
      const read =
        kind === 'sdist-zip'
          ? readZipSdistMetadata(ranges, staged.size)
          : readTarSdistMetadata(await this.ingest.open(staged));
      bytes = await read.catch((err: unknown) => {
        if (err instanceof InvalidArtifactError && !(err instanceof UnsafeArchiveEntryError))
          return undefined;
        throw err;
      });
    }
    return bytes ? { core: parseCoreMetadata(bytes.toString('utf8')), coreBytes: bytes } : {};
  }

  /** The Simple API's project page in `format`, from the document cache; 404 for an unknown project. */
  projectPage(owner: UserEntity, project: string, format: SimpleFormat): Promise<CachedDocument> {
    return this.documents.get(
      {
        ownerId: owner.id,
        type: PackageType.Pypi,
        scope: normalizeProjectName(project),
        variant: format,
      },
      async () => {
        const data = await this.project(owner, project);
        const newest = Math.max(0, ...data.files.map((f) => f.uploadedUnix));
        return {
          ...renderProject(data, format),
          lastModified: newest ? new Date(newest * 1000) : undefined,
        };
      },
    );
  }

  /** The Simple API's project page data (read model: a fixed number of queries); 404 for an unknown project. */
  async project(owner: UserEntity, project: string): Promise<SimpleProject> {
    const normalized = normalizeProjectName(project);
    const pkg = await this.query.findPackage(owner.id, PackageType.Pypi, normalized);
    if (!pkg) throw RegistryError.notFound(`project ${project} not found`);
    const versions = await this.query.loadDescriptors({
      ownerId: owner.id,
      type: PackageType.Pypi,
      packageId: pkg.id,
    });
    const base = this.baseUrl(owner);
    const files: SimpleFile[] = versions.flatMap(({ version, files }) =>
      files.map(({ file, blob, properties }) => ({
        filename: file.name,
        url: `${base}/files/${pathSegment(normalized)}/${pathSegment(version.version)}/${pathSegment(file.name)}`,
        sha256: blob.hashSha256,
        size: blob.size,
        uploadedUnix: file.createdUnix,
        requiresPython: properties[REQUIRES_PYTHON]?.[0],
        coreMetadataSha256: properties[CORE_METADATA_SHA256]?.[0],
      })),
    );
    return { name: normalized, versions: versions.map((v) => v.version.version), files };
  }

  /** Every project of the owner, for `GET /simple/`. */
  async projects(owner: UserEntity): Promise<{ name: string; url: string }[]> {
    return (await this.query.listPackages(owner.id, PackageType.Pypi)).map((p) => ({
      name: p.lowerName,
      url: `${this.baseUrl(owner)}/simple/${pathSegment(p.lowerName)}/`,
    }));
  }

  /** A distribution, or `<wheel>.metadata` (PEP 658) extracted from the stored wheel. */
  async download(
    owner: UserEntity,
    project: string,
    version: string,
    filename: string,
  ): Promise<PypiDownload> {
    const found = await this.query.findVersionByName(
      owner.id,
      PackageType.Pypi,
      normalizeProjectName(project),
      version,
    );
    const file = found && (await this.query.findFile(found.version.id, filename));
    const blob = file && (await this.query.getBlob(file.blobId));
    if (file && blob) return { kind: 'file', file, blob };
    if (found && filename.toLowerCase().endsWith('.whl.metadata')) {
      const wheel = await this.query.findFile(
        found.version.id,
        filename.slice(0, -'.metadata'.length),
      );
      const wheelBlob = wheel && (await this.query.getBlob(wheel.blobId));
      if (wheel && wheelBlob) {
        const body = await readWheelMetadata(
          (start, end) => this.downloads.readBlob(wheelBlob, { start, end }),
          wheelBlob.size,
        );
        if (body) return { kind: 'metadata', body, file: wheel };
      }
    }
    throw RegistryError.notFound(`file ${filename} of ${project} ${version} not found`);
  }
}

function sha256(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

function dropEmpty<T extends object>(obj: T): T {
  return Object.fromEntries(
    Object.entries(obj).filter(
      ([, v]) => v !== undefined && v !== '' && !(Array.isArray(v) && !v.length),
    ),
  ) as T;
}
