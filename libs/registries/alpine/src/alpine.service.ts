import { Injectable } from '@nestjs/common';
import { createHash, createPublicKey } from 'node:crypto';
import { Readable } from 'node:stream';
import {
  AppConfig,
  checkName,
  GeneratedDocument,
  IngestService,
  PackageBlobEntity,
  PackageFileEntity,
  PackageQueryService,
  PackageService,
  PackageType,
  RegistryError,
  SigningKeyService,
  StagedBlob,
  UserEntity,
} from '@wharf/packages-core';
import { AlpineIndexService } from './alpine-index.service';
import { readApkControl } from './alpine-package';
import { indexArchive, indexRecord, keyFileName, signatureSegment } from './alpine.documents';
import {
  ALPINE_ARCH,
  ALPINE_BRANCH,
  ALPINE_FILE_NAME,
  ALPINE_REPOSITORY,
  AlpineUpload,
  alpineUploadOf,
  ARCHITECTURE_PROPERTY,
  BRANCH_PROPERTY,
  METADATA_PROPERTY,
  NOARCH,
  REPOSITORY_PROPERTY,
  repositoryKey,
} from './alpine.metadata';

const TYPE = PackageType.Alpine;
const SIGNING_PURPOSE = 'alpine';
export const INDEX_FILE = 'APKINDEX.tar.gz';

/** A repository of an owner: `{branch}/{repository}`, checked. */
export interface AlpineRepository {
  branch: string;
  repository: string;
}

/** The owner's RSA key as apk wants it: SPKI PEM, under the file name the index's signature names. */
export interface AlpineKey {
  pem: string;
  fileName: string;
}

/** The alpine format's rules (docs/protocols/alpine.md §3–6). */
@Injectable()
export class AlpineService {
  constructor(
    private readonly config: AppConfig,
    private readonly ingest: IngestService,
    private readonly packages: PackageService,
    private readonly query: PackageQueryService,
    private readonly index: AlpineIndexService,
    private readonly signingKeys: SigningKeyService,
  ) {}

  /** The branch and repository of a URL, checked before anything is read or stored. */
  repository(branch: string, repository: string): AlpineRepository {
    return {
      branch: checkName(branch, ALPINE_BRANCH),
      repository: checkName(repository, ALPINE_REPOSITORY),
    };
  }

  /** An architecture and a file name of a URL, checked. */
  fileOf(arch: string, fileName: string): { arch: string; fileName: string } {
    return { arch: checkName(arch, ALPINE_ARCH), fileName: checkName(fileName, ALPINE_FILE_NAME) };
  }

  /**
   * `PUT {branch}/{repository}`: the apk streams into storage, its control segment is read
   * there (alpine-package.ts), and the file is stored once as `{name}-{version}.apk` under
   * its own architecture, noarch included. The same file in the same place is a 409.
   */
  async upload(
    owner: UserEntity,
    creatorId: number,
    repo: AlpineRepository,
    body: Readable,
    declaredSize: number | undefined,
  ): Promise<void> {
    const { staged, checked } = await this.ingest.stageChecked(
      body,
      { limit: this.config.sizeLimit(TYPE), declaredSize },
      (s) => this.inspect(s),
    );
    await this.packages.createOrAddFile(
      { ownerId: owner.id, type: TYPE, name: checked.name },
      { version: checked.version, creatorId, metadata: checked.versionMetadata },
      {
        name: checked.fileName,
        compositeKey: repositoryKey(repo.branch, repo.repository, checked.architecture),
        isLead: true,
        blob: staged,
        properties: {
          [BRANCH_PROPERTY]: repo.branch,
          [REPOSITORY_PROPERTY]: repo.repository,
          [ARCHITECTURE_PROPERTY]: checked.architecture,
          [METADATA_PROPERTY]: JSON.stringify(checked.fileMetadata),
        },
      },
    );
  }

  private async inspect(staged: StagedBlob): Promise<AlpineUpload> {
    const control = await readApkControl(
      (end) => this.ingest.open(staged, { start: 0, end }),
      staged.size,
    );
    return alpineUploadOf(control.pkginfo, control.checksum);
  }

  /**
   * `GET {branch}/{repository}/{arch}/{file}`: the stored apk, or — as apk asks every
   * architecture's directory for a noarch package listed there — the repository's noarch file.
   */
  async file(
    owner: UserEntity,
    repo: AlpineRepository,
    arch: string,
    fileName: string,
    noarchFallback: boolean,
  ): Promise<{ file: PackageFileEntity; blob: PackageBlobEntity }> {
    const archs = noarchFallback && arch !== NOARCH ? [arch, NOARCH] : [arch];
    for (const a of archs) {
      const [found] = await this.query.searchFiles({
        ownerId: owner.id,
        type: TYPE,
        exactName: fileName,
        compositeKey: repositoryKey(repo.branch, repo.repository, a),
      });
      if (found) return found;
    }
    throw RegistryError.notFound(`${fileName} is not in ${repo.branch}/${repo.repository}/${arch}`);
  }

  /** `DELETE {branch}/{repository}/{arch}/{file}`: the file goes, its version if it was the last. */
  async delete(
    owner: UserEntity,
    repo: AlpineRepository,
    arch: string,
    fileName: string,
  ): Promise<void> {
    const { file } = await this.file(owner, repo, arch, fileName, false);
    await this.packages.deleteFile(file.id);
  }

  /**
   * `GET {branch}/{repository}/{arch}/APKINDEX.tar.gz`, signed with the owner's key; a 404
   * when the index would list nothing. Built once per generation of the owner's packages.
   */
  async indexFile(
    owner: UserEntity,
    repo: AlpineRepository,
    arch: string,
  ): Promise<GeneratedDocument> {
    const snapshot = await this.index.snapshot(owner.id);
    const records = snapshot.records(repo.branch, repo.repository, arch);
    if (!records.length)
      throw RegistryError.notFound(
        `no package has been uploaded to ${repo.branch}/${repo.repository} for ${arch} or noarch`,
      );
    const mtime = new Date(snapshot.updatedUnix * 1000);
    const body = await snapshot.derive(
      repositoryKey(repo.branch, repo.repository, arch),
      async () => {
        const unsigned = await indexArchive(
          `${owner.name} ${repo.branch}/${repo.repository}`,
          records.map((r) => indexRecord(r, arch)).join(''),
          mtime,
        );
        const key = await this.key(owner);
        const signer = await this.signingKeys.rsa(owner.id, SIGNING_PURPOSE);
        const signature = await signatureSegment(
          key.fileName,
          signer.sign(unsigned, 'sha1'),
          mtime,
        );
        return Buffer.concat([signature, unsigned]);
      },
    );
    return { body, contentType: 'application/gzip', lastModified: mtime };
  }

  /** The owner's public key and the name apk finds it under (docs/protocols/alpine.md §6). */
  async key(owner: UserEntity): Promise<AlpineKey> {
    const signer = await this.signingKeys.rsa(owner.id, SIGNING_PURPOSE);
    const der = createPublicKey(signer.publicKeyPem).export({ type: 'spki', format: 'der' });
    const fingerprint = createHash('sha256').update(der).digest('hex');
    return { pem: signer.publicKeyPem, fileName: keyFileName(owner.name, fingerprint) };
  }
}
