import { Injectable } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import {
  IngestService,
  PackageBlobEntity,
  PackageEntity,
  PackageFileEntity,
  PackageQueryService,
  PackageService,
  PackageType,
  PropertyRefType,
  UserEntity,
} from '@wharf/packages-core';
import { ContainerBlobsService } from './container-blobs.service';
import { OciError, OciErrorCode } from './container.errors';
import { Referrer } from './container.documents';
import {
  BLOBS_VERSION,
  ImageName,
  isDigest,
  MANIFEST_FILE,
  ManifestInfo,
  parseManifest,
  PROP,
  Reference,
} from './container.metadata';

/** What a manifest version keeps as metadata (the manifest's parsed shape, for referrers and the collection). */
export interface ManifestMetadata {
  mediaType: string;
  size: number;
  kind: ManifestInfo['kind'];
  blobs: string[];
  manifests: string[];
  subject?: string;
  artifactType?: string;
  annotations?: Record<string, string>;
}

export interface StoredManifest {
  digest: string;
  mediaType: string;
  file: PackageFileEntity;
  blob: PackageBlobEntity;
}

/**
 * Manifests, tags and referrers. Every manifest is a version named by its digest (lead
 * file `manifest.json`, metadata = its parsed shape); every tag is a version named by the
 * tag whose `manifest.json` points at the same blob, so moving a tag is one transaction
 * and deleting a tag leaves the manifest reachable by digest.
 */
@Injectable()
export class ContainerManifestsService {
  constructor(
    private readonly ingest: IngestService,
    private readonly packages: PackageService,
    private readonly query: PackageQueryService,
    private readonly blobs: ContainerBlobsService,
  ) {}

  /** PUT /manifests/<ref>: validates references, stores the exact bytes, moves the tag. */
  async put(
    owner: UserEntity,
    creatorId: number,
    name: ImageName,
    ref: Reference,
    body: Buffer,
    contentType: string | undefined,
  ) {
    const info = parseManifest(body, contentType);
    const digest = `sha256:${createHash('sha256').update(body).digest('hex')}`;
    if (ref.kind === 'digest' && ref.digest !== digest) {
      throw new OciError(
        OciErrorCode.DigestInvalid,
        `the manifest's digest is ${digest}, not ${ref.digest}`,
      );
    }
    await this.checkReferences(owner, name, info);
    const metadata: ManifestMetadata = {
      mediaType: info.mediaType,
      size: body.length,
      kind: info.kind,
      blobs: info.blobs.map((b) => b.digest),
      manifests: info.manifests.map((m) => m.digest),
      subject: info.subject?.digest,
      artifactType: info.artifactType,
      annotations: info.annotations,
    };
    const pkg = { ownerId: owner.id, type: PackageType.Container, name: name.image };
    const fileProps = { [PROP.digest]: digest, [PROP.mediaType]: info.mediaType };
    const staged = await this.ingest.ingest(Readable.from([body]));
    const stored = await this.packages.createOrAddFile(
      pkg,
      {
        version: digest,
        creatorId,
        metadata,
        properties: {
          ...(info.subject ? { [PROP.subject]: info.subject.digest } : {}),
          [PROP.child]: metadata.manifests,
        },
      },
      { name: MANIFEST_FILE, isLead: true, overwrite: true, blob: staged, properties: fileProps },
    );
    if (ref.kind === 'tag') {
      await this.packages.createOrAddFile(
        pkg,
        { version: ref.tag, creatorId },
        {
          name: MANIFEST_FILE,
          isLead: true,
          overwrite: true,
          blob: { blobId: stored.file.blobId },
          properties: fileProps,
        },
      );
    }
    return { digest, subject: info.subject?.digest };
  }

  /** The manifest a tag or digest names, or MANIFEST_UNKNOWN. */
  async get(owner: UserEntity, name: ImageName, ref: Reference): Promise<StoredManifest> {
    const found = await this.query.findFileByPath(
      owner.id,
      PackageType.Container,
      name.image,
      ref.kind === 'tag' ? ref.tag : ref.digest,
      MANIFEST_FILE,
    );
    // No internal version holds a manifest.json (the `_blobs` links are named by digest).
    if (!found)
      throw new OciError(
        OciErrorCode.ManifestUnknown,
        `manifest ${ref.kind === 'tag' ? ref.tag : ref.digest} is not known`,
      );
    const { file, blob } = found;
    const props =
      (await this.query.getProperties(PropertyRefType.File, [file.id])).get(file.id) ?? {};
    return {
      digest: props[PROP.digest]?.[0] ?? `sha256:${blob.hashSha256}`,
      mediaType: props[PROP.mediaType]?.[0] ?? 'application/octet-stream',
      file,
      blob,
    };
  }

  /** DELETE by tag removes the tag; by digest, the manifest and every tag on it. */
  async delete(owner: UserEntity, name: ImageName, ref: Reference): Promise<void> {
    const found = await this.get(owner, name, ref);
    if (ref.kind === 'tag') {
      await this.packages.deleteVersion(found.file.versionId);
      return;
    }
    const pkg = (await this.query.findPackage(owner.id, PackageType.Container, name.image))!;
    const ids = new Set((await this.query.listVersions(pkg.id)).map((v) => v.id));
    const pointing = await this.query.searchFiles({
      ownerId: owner.id,
      type: PackageType.Container,
      name: MANIFEST_FILE,
      properties: { [PROP.digest]: ref.digest },
    });
    for (const f of pointing)
      if (ids.has(f.file.versionId) && f.file.versionId !== found.file.versionId)
        await this.packages.deleteVersion(f.file.versionId);
    await this.packages.deleteVersion(found.file.versionId);
  }

  /** Tags of an image, sorted case-insensitively; NAME_UNKNOWN when the image does not exist. */
  async tags(owner: UserEntity, name: ImageName): Promise<string[]> {
    const pkg = await this.requirePackage(owner, name);
    return (await this.query.listVersions(pkg.id))
      .filter((v) => !isDigest(v.version))
      .map((v) => v.version)
      .sort((a, b) =>
        a.toLowerCase() < b.toLowerCase() ? -1 : a.toLowerCase() > b.toLowerCase() ? 1 : 0,
      );
  }

  /** Manifests whose `subject` is `digest` (OCI 1.1 referrers), optionally of one artifact type. */
  async referrers(
    owner: UserEntity,
    name: ImageName,
    digest: string,
    artifactType?: string,
  ): Promise<Referrer[]> {
    const pkg = await this.query.findPackage(owner.id, PackageType.Container, name.image);
    if (!pkg) return [];
    const { items } = await this.query.searchVersions({
      ownerId: owner.id,
      type: PackageType.Container,
      name: name.image,
      properties: { [PROP.subject]: digest },
      limit: 1000,
    });
    return items
      .map(({ version }) => ({
        digest: version.version,
        meta: JSON.parse(version.metadataJson ?? '{}') as ManifestMetadata,
      }))
      .filter(({ meta }) => !artifactType || meta.artifactType === artifactType)
      .map(({ digest: d, meta }) => ({
        mediaType: meta.mediaType,
        digest: d,
        size: meta.size,
        artifactType: meta.artifactType,
        annotations: meta.annotations,
      }));
  }

  private async requirePackage(owner: UserEntity, name: ImageName): Promise<PackageEntity> {
    const pkg = await this.query.findPackage(owner.id, PackageType.Container, name.image);
    if (!pkg) throw new OciError(OciErrorCode.NameUnknown, `repository ${name.full} is not known`);
    return pkg;
  }

  /** Config and layers must be linked to this image with the declared size; children must be manifests of it. */
  private async checkReferences(
    owner: UserEntity,
    name: ImageName,
    info: ManifestInfo,
  ): Promise<void> {
    const linked = await this.blobs.findLinks(
      owner,
      name,
      info.blobs.map((b) => b.digest),
    );
    for (const b of info.blobs) {
      const blob = linked.get(b.digest);
      if (!blob)
        throw new OciError(
          OciErrorCode.ManifestBlobUnknown,
          `blob ${b.digest} is not in ${name.full}`,
          { detail: { digest: b.digest } },
        );
      if (blob.size !== b.size)
        throw new OciError(
          OciErrorCode.SizeInvalid,
          `blob ${b.digest} has ${blob.size} bytes, the manifest says ${b.size}`,
        );
    }
    if (!info.manifests.length) return;
    const pkg = await this.query.findPackage(owner.id, PackageType.Container, name.image);
    for (const m of info.manifests) {
      const version = pkg && (await this.query.findVersion(pkg.id, m.digest));
      if (!version || version.version === BLOBS_VERSION) {
        throw new OciError(
          OciErrorCode.ManifestBlobUnknown,
          `manifest ${m.digest} is not in ${name.full}`,
          { detail: { digest: m.digest } },
        );
      }
    }
  }
}
