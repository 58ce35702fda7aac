import { Injectable } from '@nestjs/common';
import type { Readable } from 'node:stream';
import {
  AppConfig,
  DocumentCache,
  GeneratedDocument,
  IngestService,
  PackageBlobEntity,
  PackageFileEntity,
  PackageQueryService,
  PackageService,
  PackageType,
  PackageVersionEntity,
  readBounded,
  RegistryError,
  StagedBlob,
  UserEntity,
} from '@wharf/packages-core';
import { buildArtifactMetadata, digestOf } from './maven.documents';
import {
  ChecksumAlgorithm,
  isSnapshotVersion,
  MavenCoordinates,
  MavenPath,
  mavenPackageName,
  MavenPomMetadata,
  MAX_POM_BYTES,
  METADATA_FILE,
  parsePom,
} from './maven.metadata';

type FilePath = Extract<MavenPath, { kind: 'file' }>;

/** What a GET/HEAD resolves to. */
export type MavenResource =
  | { kind: 'document'; body: string; lastModified: Date }
  | { kind: 'checksum'; body: string; lastModified: Date }
  | { kind: 'file'; file: PackageFileEntity; blob: PackageBlobEntity };

const BLOB_HASH: Record<ChecksumAlgorithm, 'hashMd5' | 'hashSha1' | 'hashSha256' | 'hashSha512'> = {
  md5: 'hashMd5',
  sha1: 'hashSha1',
  sha256: 'hashSha256',
  sha512: 'hashSha512',
};

// The generated maven-metadata.xml: every value in it is escaped, so it holds no markup of
// the uploader's, and XML tools expect an XML type.
const METADATA_TYPE = 'application/xml; charset=utf-8';

// A checksum body is one hex digest (128 characters for sha512).
const MAX_CHECKSUM_BYTES = 1024;

/** The Maven format's rules (docs/protocols/maven.md §3–4). */
@Injectable()
export class MavenService {
  constructor(
    private readonly config: AppConfig,
    private readonly ingest: IngestService,
    private readonly packages: PackageService,
    private readonly query: PackageQueryService,
    private readonly documents: DocumentCache,
  ) {}

  /** Handles a PUT; returns the status to answer (200 for accepted-not-stored, 201 for stored). */
  async put(
    owner: UserEntity,
    creatorId: number,
    path: MavenPath,
    body: Readable,
    declaredSize?: number,
  ): Promise<200 | 201> {
    if (path.kind === 'artifact-metadata') {
      // The server generates artifact-level metadata from its versions: the client's copy is ignored.
      body.resume();
      return 200;
    }
    if (path.checksum) {
      await this.verifyChecksum(
        owner,
        path,
        path.checksum,
        (
          await readBounded(body, MAX_CHECKSUM_BYTES, {
            tooLarge: () =>
              RegistryError.invalid(`a checksum file is at most ${MAX_CHECKSUM_BYTES} bytes`),
          })
        ).toString('utf8'),
      );
      return 200;
    }
    return this.storeFile(owner, creatorId, path, body, declaredSize);
  }

  async resolve(owner: UserEntity, path: MavenPath): Promise<MavenResource> {
    if (path.kind === 'artifact-metadata') {
      const doc = await this.artifactMetadata(owner, path);
      return path.checksum
        ? {
            kind: 'checksum',
            body: digestOf(doc.body, path.checksum),
            lastModified: doc.lastModified,
          }
        : doc;
    }
    const { file, blob } = await this.findFile(owner, path);
    if (path.checksum)
      return {
        kind: 'checksum',
        body: (await this.query.completeDigests([blob]))[0][BLOB_HASH[path.checksum]],
        lastModified: new Date(file.createdUnix * 1000),
      };
    return { kind: 'file', file, blob };
  }

  private async storeFile(
    owner: UserEntity,
    creatorId: number,
    path: FilePath,
    body: Readable,
    declaredSize?: number,
  ): Promise<201> {
    const snapshot = isSnapshotVersion(path.version);
    const pkgName = mavenPackageName(path);
    // Releases are immutable: refuse before reading the body when the file is already there.
    if (!snapshot && (await this.existingFile(owner, path))) {
      body.resume();
      throw RegistryError.conflict(
        `${path.filename} of ${pkgName} ${path.version} already exists (releases are immutable)`,
      );
    }
    const isPom = path.filename.endsWith('.pom');
    const { staged, checked: metadata } = await this.ingest.stageChecked(
      body,
      { limit: this.config.sizeLimit(PackageType.Maven), declaredSize, quotaOwnerId: owner.id },
      async (s) => (isPom ? this.readPom(s, path) : undefined),
    );
    await this.packages.createOrAddFile(
      { ownerId: owner.id, type: PackageType.Maven, name: pkgName },
      { version: path.version, creatorId, metadata },
      // The pom is the lead file (its downloads count). Every file of a SNAPSHOT may be
      // re-deployed (timestamped names make that rare; snapshot maven-metadata.xml always is).
      { name: path.filename, blob: staged, isLead: isPom, overwrite: snapshot },
      {
        inTransaction: async (tx) => {
          if (metadata && !tx.createdVersion) await tx.setVersionMetadata(metadata);
        },
      },
    );
    return 201;
  }

  private async readPom(staged: StagedBlob, path: FilePath): Promise<MavenPomMetadata> {
    if (staged.size > MAX_POM_BYTES)
      throw RegistryError.invalid(`the pom is larger than ${MAX_POM_BYTES} bytes`);
    const pom = parsePom(await readBounded(await this.ingest.open(staged), MAX_POM_BYTES));
    // A pom for other coordinates would describe the wrong artifact (properties such as ${revision} are not resolved).
    if (
      (!pom.groupId.includes('${') && pom.groupId !== path.groupId) ||
      (!pom.artifactId.includes('${') && pom.artifactId !== path.artifactId)
    ) {
      throw RegistryError.invalid(
        `the pom is for ${pom.groupId}:${pom.artifactId}, but was uploaded to ${mavenPackageName(path)}`,
      );
    }
    return pom;
  }

  private async verifyChecksum(
    owner: UserEntity,
    path: FilePath,
    algorithm: ChecksumAlgorithm,
    sent: string,
  ): Promise<void> {
    const { blob } = await this.findFile(owner, path);
    // Exact comparison, as Forgejo: a `<hex>  <file name>` body is a mismatch too.
    if (sent.toLowerCase() !== blob[BLOB_HASH[algorithm]]) {
      throw RegistryError.invalid(
        `${algorithm} checksum mismatch for ${path.filename}: the stored file's is ${blob[BLOB_HASH[algorithm]]}`,
      );
    }
  }

  private async artifactMetadata(
    owner: UserEntity,
    c: MavenCoordinates,
  ): Promise<{ kind: 'document'; body: string; lastModified: Date }> {
    const name = mavenPackageName(c);
    const doc = await this.documents.get(
      { ownerId: owner.id, type: PackageType.Maven, scope: name.toLowerCase() },
      () => this.buildArtifactMetadata(owner, name),
    );
    return { kind: 'document', body: doc.body.toString(), lastModified: doc.lastModified! };
  }

  private async buildArtifactMetadata(owner: UserEntity, name: string): Promise<GeneratedDocument> {
    const pkg = await this.query.findPackage(owner.id, PackageType.Maven, name);
    const versions: PackageVersionEntity[] = pkg ? await this.query.listVersions(pkg.id) : [];
    if (!pkg || !versions.length) throw RegistryError.notFound(`no versions of ${name}`);
    // Coordinates as first published (Maven's are case-sensitive; lookups here are not).
    const [groupId, artifactId] = [
      pkg.name.slice(0, pkg.name.lastIndexOf(':')),
      pkg.name.slice(pkg.name.lastIndexOf(':') + 1),
    ];
    const body = buildArtifactMetadata(
      { groupId, artifactId },
      versions.map((v) => ({ version: v.version, createdUnix: v.createdUnix })),
    );
    const newest = Math.max(...versions.map((v) => v.createdUnix));
    return { body, contentType: METADATA_TYPE, lastModified: new Date(newest * 1000) };
  }

  private async existingFile(owner: UserEntity, path: FilePath): Promise<PackageFileEntity | null> {
    const found = await this.query.findVersionByName(
      owner.id,
      PackageType.Maven,
      mavenPackageName(path),
      path.version,
    );
    return found && this.query.findFile(found.version.id, path.filename);
  }

  private async findFile(
    owner: UserEntity,
    path: FilePath,
  ): Promise<{ file: PackageFileEntity; blob: PackageBlobEntity }> {
    const file = await this.existingFile(owner, path);
    const blob = file && (await this.query.getBlob(file.blobId));
    if (!file || !blob) {
      throw RegistryError.notFound(
        `${path.filename === METADATA_FILE ? 'metadata' : path.filename} of ${mavenPackageName(path)} ${path.version} not found`,
      );
    }
    return { file, blob };
  }
}
