import { Injectable } from '@nestjs/common';
import type { Readable } from 'node:stream';
import {
  AppConfig,
  CachedDocument,
  DocumentCache,
  IngestService,
  PackageBlobEntity,
  PackageEntity,
  PackageFileEntity,
  PackageQueryService,
  PackageService,
  PackageType,
  PropertyRefType,
  RegistryError,
  StagedBlob,
  UserEntity,
} from '@wharf/packages-core';
import {
  ABBREVIATED_PACKUMENT,
  buildAbbreviatedPackument,
  buildPackument,
  buildSearchResults,
  headVersion,
  PackumentInput,
  SearchHit,
  StoredNpmVersion,
  versionDocument,
} from './npm.documents';
import {
  assertAttachmentName,
  assertDistTag,
  assertIntegrity,
  assertManifestAgrees,
  canonicalVersion,
  integrityOf,
  isRecord,
  NPM_TAG_PROPERTY,
  NpmVersionMetadata,
  readPublishedVersion,
  readTarballManifest,
  tarballFileName,
  tarballVersion,
  versionManifest,
} from './npm.metadata';
import { readPublishDocument } from './publish-document';

/** A stored tarball found for download. */
export interface NpmTarball {
  file: PackageFileEntity;
  blob: PackageBlobEntity;
}

// docs/protocols/npm.md §4: Forgejo caps search pages at 50 and answers 30 by default (npm asks for 20).
const SEARCH_DEFAULT = 30;
const SEARCH_MAX = 250;

/** The npm format's rules (docs/protocols/npm.md §3–4): publish, documents, dist-tags, deprecate, unpublish, search. */
@Injectable()
export class NpmService {
  constructor(
    private readonly config: AppConfig,
    private readonly ingest: IngestService,
    private readonly packages: PackageService,
    private readonly query: PackageQueryService,
    private readonly documents: DocumentCache,
  ) {}

  registryUrl(owner: UserEntity): string {
    return this.query.packageBaseUrl(owner, PackageType.Npm);
  }

  /**
   * `PUT /{pkg}`: a publish (the document carries the tarball in `_attachments`) or, without
   * an attachment, `npm deprecate` sending the packument back with `deprecated` fields changed.
   * The tarball goes to storage while the document is parsed; every check runs before commit.
   */
  async put(
    owner: UserEntity,
    creatorId: number,
    name: string,
    body: Readable,
  ): Promise<'published' | 'updated'> {
    const limit = this.config.sizeLimit(PackageType.Npm);
    const { doc, attachment } = await readPublishDocument(
      body,
      // The decoded tarball is the artifact: owner limits and quotas bound it as it streams.
      (bytes) => this.ingest.ingest(bytes, { limit, quotaOwnerId: owner.id }),
      (staged) => this.ingest.discard(staged),
    );
    if (!attachment) {
      await this.updateVersions(owner, name, doc);
      return 'updated';
    }
    await this.ingest.checkStaged(attachment.result, (staged) =>
      this.publish(owner, creatorId, name, doc, attachment.name, staged),
    );
    return 'published';
  }

  private async publish(
    owner: UserEntity,
    creatorId: number,
    name: string,
    doc: Record<string, unknown>,
    attachmentName: string,
    staged: StagedBlob,
  ): Promise<void> {
    const { version, raw, tags } = readPublishedVersion(doc, name);
    assertAttachmentName(attachmentName, name, version);
    assertIntegrity(isRecord(raw) && isRecord(raw.dist) ? raw.dist.integrity : undefined, staged);
    if (staged.size === 0)
      throw RegistryError.invalid('package attachment is invalid: it is empty');
    assertManifestAgrees(await readTarballManifest(await this.ingest.open(staged)), name, version);

    const filename = tarballFileName(name, version);
    const metadata: NpmVersionMetadata = {
      manifest: versionManifest(raw, name, version),
      dist: {
        filename,
        shasum: staged.sha1,
        integrity: integrityOf(staged.sha512),
        size: staged.size,
      },
    };
    await this.packages.createVersionWithFile(
      { ownerId: owner.id, type: PackageType.Npm, name, semverCompatible: true },
      { version, creatorId, metadata },
      { name: filename, blob: staged, isLead: true },
      {
        // docs/protocols/npm.md §3.10: every tag of the document moves to the new version, in the
        // publish's transaction, so a version is never visible without its tags.
        inTransaction: async (tx) => {
          for (const tag of tags)
            await tx.setProperty(PropertyRefType.Package, tx.package.id, NPM_TAG_PROPERTY + tag, [
              version,
            ]);
        },
      },
    );
  }

  /** `npm deprecate`: only the `deprecated` field of existing versions changes; anything else is ignored. */
  private async updateVersions(
    owner: UserEntity,
    name: string,
    doc: Record<string, unknown>,
  ): Promise<void> {
    const pkg = await this.requirePackage(owner, name);
    const stored = new Map((await this.query.listVersions(pkg.id)).map((v) => [v.version, v]));
    const changes = Object.entries(isRecord(doc.versions) ? doc.versions : {});
    for (const [version] of changes) {
      if (!stored.has(version))
        throw RegistryError.invalid(
          `package attachment is invalid: version ${version} has no tarball`,
        );
    }
    for (const [version, raw] of changes) {
      const row = stored.get(version)!;
      const metadata = JSON.parse(row.metadataJson!) as NpmVersionMetadata;
      const wanted =
        isRecord(raw) && typeof raw.deprecated === 'string' && raw.deprecated !== ''
          ? raw.deprecated
          : undefined;
      if (metadata.manifest.deprecated === wanted) continue;
      if (wanted === undefined) delete metadata.manifest.deprecated;
      else metadata.manifest.deprecated = wanted;
      await this.packages.updateVersionMetadata(row.id, metadata);
    }
  }

  /** The packument, full or abbreviated, from the document cache. */
  packument(owner: UserEntity, name: string, abbreviated: boolean): Promise<CachedDocument> {
    return this.documents.get(
      {
        ownerId: owner.id,
        type: PackageType.Npm,
        scope: name.toLowerCase(),
        variant: abbreviated ? 'abbreviated' : 'full',
      },
      async () => {
        const input = await this.load(owner, name);
        const modified = Math.max(input.createdUnix, ...input.versions.map((v) => v.createdUnix));
        return {
          body: JSON.stringify(
            abbreviated ? buildAbbreviatedPackument(input) : buildPackument(input),
          ),
          contentType: `${abbreviated ? ABBREVIATED_PACKUMENT : 'application/json'}; charset=utf-8`,
          lastModified: new Date(modified * 1000),
        };
      },
    );
  }

  /** One version document (`GET /{pkg}/{version}`; a tag works too). */
  async versionDocument(
    owner: UserEntity,
    name: string,
    versionOrTag: string,
  ): Promise<Record<string, unknown>> {
    const input = await this.load(owner, name);
    const version = input.tags[versionOrTag] ?? versionOrTag;
    const found = input.versions.find((v) => v.version === version);
    if (!found) throw RegistryError.notFound(`version ${versionOrTag} of ${name} not found`);
    return versionDocument(input, found);
  }

  async tarball(
    owner: UserEntity,
    name: string,
    filename: string,
    version?: string,
  ): Promise<NpmTarball> {
    if (version !== undefined) {
      // The route every `npm install` takes: one query.
      const found = await this.query.findFileByPath(
        owner.id,
        PackageType.Npm,
        name,
        version,
        filename,
      );
      if (!found) throw RegistryError.notFound(`tarball ${filename} of ${name} not found`);
      return found;
    }
    // npmjs-style URL of old lockfiles: the file name names the version (one query, as
    // above); failing that, the file name alone, if exactly one version has it.
    const named = await this.query.findFileByPath(
      owner.id,
      PackageType.Npm,
      name,
      tarballVersion(name, filename),
      filename,
    );
    if (named) return named;
    const pkg = await this.requirePackage(owner, name);
    const ids = new Set((await this.query.listVersions(pkg.id)).map((v) => v.id));
    const lower = filename.toLowerCase();
    const matches = (
      await this.query.searchFiles({ ownerId: owner.id, type: PackageType.Npm, name: lower })
    ).filter((f) => f.file.lowerName === lower && ids.has(f.file.versionId));
    const file = matches.length === 1 ? matches[0].file : null;
    const blob = file && (await this.query.getBlob(file.blobId));
    if (!file || !blob) throw RegistryError.notFound(`tarball ${filename} of ${name} not found`);
    return { file, blob };
  }

  async tags(owner: UserEntity, name: string): Promise<Record<string, string>> {
    return (await this.load(owner, name)).tags;
  }

  async setTag(owner: UserEntity, name: string, tag: string, rawVersion: unknown): Promise<void> {
    assertDistTag(tag);
    const pkg = await this.requirePackage(owner, name);
    const version = typeof rawVersion === 'string' ? semver(rawVersion) : undefined;
    const found = version && (await this.query.findVersion(pkg.id, version));
    if (!found)
      throw RegistryError.notFound(`version ${JSON.stringify(rawVersion)} of ${name} not found`);
    await this.packages.setProperty(PropertyRefType.Package, pkg.id, NPM_TAG_PROPERTY + tag, [
      found.version,
    ]);
  }

  async removeTag(owner: UserEntity, name: string, tag: string): Promise<void> {
    assertDistTag(tag);
    const pkg = await this.requirePackage(owner, name);
    await this.packages.setProperty(PropertyRefType.Package, pkg.id, NPM_TAG_PROPERTY + tag, []);
  }

  /** `npm unpublish pkg@version`: the version, its tarball and the tags that pointed at it. */
  async unpublishVersion(
    owner: UserEntity,
    name: string,
    version: string,
    filename: string,
  ): Promise<void> {
    const { file } = await this.tarball(owner, name, filename, version);
    const pkg = await this.requirePackage(owner, name);
    const tags = (await this.load(owner, name)).tags;
    await this.packages.deleteVersion(file.versionId);
    for (const [tag, v] of Object.entries(tags)) {
      if (v.toLowerCase() === version.toLowerCase())
        await this.packages.setProperty(
          PropertyRefType.Package,
          pkg.id,
          NPM_TAG_PROPERTY + tag,
          [],
        );
    }
  }

  /** `npm unpublish pkg --force`: every version and the package itself. */
  async unpublishPackage(owner: UserEntity, name: string): Promise<void> {
    await this.packages.deletePackage((await this.requirePackage(owner, name)).id);
  }

  /** `GET /-/v1/search`: substring of the name, one hit per package (its head version), newest names first by name order. */
  async search(
    owner: UserEntity,
    text: string,
    from: number,
    size: number,
    publisherName: (id: number) => Promise<string | undefined>,
  ) {
    const needle = text.trim().toLowerCase();
    const matches = (await this.query.listPackages(owner.id, PackageType.Npm)).filter((p) =>
      p.lowerName.includes(needle),
    );
    const page = matches.slice(Math.max(0, from), Math.max(0, from) + clampSize(size));
    const hits: SearchHit[] = [];
    for (const pkg of page) {
      const input = await this.loadPackage(owner, pkg);
      const head = headVersion(input.versions, input.tags);
      if (!head) continue;
      hits.push({
        name: pkg.name,
        head,
        publisher: head.creatorId ? await publisherName(head.creatorId) : undefined,
      });
    }
    return buildSearchResults(hits, matches.length, this.registryUrl(owner), new Date());
  }

  private async requirePackage(owner: UserEntity, name: string): Promise<PackageEntity> {
    const pkg = await this.query.findPackage(owner.id, PackageType.Npm, name);
    if (!pkg) throw RegistryError.notFound(`package ${name} not found`);
    return pkg;
  }

  /** The read model of a package: its versions with metadata and its tags (three queries). */
  private async load(owner: UserEntity, name: string): Promise<PackumentInput> {
    return this.loadPackage(owner, await this.requirePackage(owner, name));
  }

  private async loadPackage(owner: UserEntity, pkg: PackageEntity): Promise<PackumentInput> {
    const [rows, props] = await Promise.all([
      this.query.listVersions(pkg.id),
      this.query.getProperties(PropertyRefType.Package, [pkg.id]),
    ]);
    const versions: StoredNpmVersion[] = rows
      .filter((r) => r.metadataJson)
      .map((r) => ({
        version: r.version,
        metadata: JSON.parse(r.metadataJson!) as NpmVersionMetadata,
        createdUnix: r.createdUnix,
        creatorId: r.creatorId,
      }));
    const existing = new Set(versions.map((v) => v.version));
    const tags: Record<string, string> = {};
    for (const [prop, values] of Object.entries(props.get(pkg.id) ?? {})) {
      // The last row wins should two concurrent writers have left two.
      const version = values[values.length - 1];
      if (prop.startsWith(NPM_TAG_PROPERTY) && existing.has(version))
        tags[prop.slice(NPM_TAG_PROPERTY.length)] = version;
    }
    if (!versions.length) throw RegistryError.notFound(`package ${pkg.name} not found`);
    return {
      name: pkg.name,
      versions,
      tags,
      registryUrl: this.registryUrl(owner),
      createdUnix: pkg.createdUnix,
    };
  }
}

function semver(raw: string): string | undefined {
  try {
    return canonicalVersion(raw);
  } catch {
    return undefined;
  }
}

function clampSize(size: number): number {
  if (!Number.isFinite(size) || size <= 0) return SEARCH_DEFAULT;
  return Math.min(size, SEARCH_MAX);
}
