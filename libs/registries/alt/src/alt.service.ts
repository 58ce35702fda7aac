import { createHash } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import type { Readable } from 'node:stream';
import {
  AppConfig,
  FileDescriptor,
  IndexLogKey,
  IndexLogService,
  IndexLogSummary,
  IngestService,
  PackageQueryService,
  PackageService,
  PackageType,
  PropertyRefType,
  RegistryError,
  UserEntity,
} from '@wharf/packages-core';
import {
  AltFileFacts,
  PKGLIST_LOG,
  pkglistFragments,
  pkglistRecord,
  release,
  releaseClassic,
  repositoryConfig,
} from './alt.documents';
import {
  AltPackage,
  groupParts,
  pkglistLogName,
  PROPERTY_ARCHITECTURE,
  PROPERTY_GROUP,
  readAltPackage,
} from './alt.metadata';

const TYPE = PackageType.Alt;
// apt-rpm's pkglist holds a package's size in 32 bits (CRPMTAG_FILESIZE).
const MAX_RPM_SIZE = 0xffffffff;

/** A file of `base/`, ready to send: a small text, or one stream of the pkglist log. */
export type BaseFile =
  | { kind: 'text'; body: string; lastModified: Date }
  | {
      kind: 'pkglist';
      key: IndexLogKey;
      stream: number;
      size: number;
      lastSeq: number;
      etag: string;
      lastModified: Date;
      contentType: string;
    };

const PKGLISTS = new Map([
  ['pkglist.classic', { stream: 0, contentType: 'application/octet-stream' }],
  ['pkglist.classic.xz', { stream: 1, contentType: 'application/x-xz' }],
]);

const hex = (algorithm: string, data: string) => createHash(algorithm).update(data).digest('hex');

/** The ALT registry's rules (docs/protocols/alt.md §3–4): uploads, the base/ indexes, package files. */
@Injectable()
export class AltService {
  constructor(
    private readonly config: AppConfig,
    private readonly ingest: IngestService,
    private readonly packages: PackageService,
    private readonly query: PackageQueryService,
    private readonly logs: IndexLogService,
  ) {}

  /**
   * `PUT [{group}/]upload`: the rpm streams into storage and is read there whole (headers,
   * payload names, size budget); then, in one transaction, its file is added and its
   * record appended to the pkglist of its group and architecture. The same file in the
   * same group twice is a 409.
   */
  async upload(
    owner: UserEntity,
    creatorId: number,
    group: string,
    body: Readable,
    declaredSize?: number,
  ): Promise<AltPackage> {
    const { staged, checked } = await this.ingest.stageChecked(
      body,
      { limit: this.config.sizeLimit(TYPE), declaredSize },
      async (s) => {
        if (!s.size) throw RegistryError.invalid('the upload is empty: send the .rpm file');
        if (s.size > MAX_RPM_SIZE)
          throw RegistryError.invalid('apt-rpm cannot list an rpm of 4 GiB or more');
        return readAltPackage(await this.ingest.open(s));
      },
    );
    const pkg = checked;
    const file: AltFileFacts = {
      name: pkg.fileName,
      size: staged.size,
      md5: staged.md5,
      blake2b: pkg.blake2b,
    };
    const arch = pkg.header.arch;
    const fragments = pkglistFragments(pkglistRecord(pkg.header, file));
    await this.packages.createOrAddFile(
      { ownerId: owner.id, type: TYPE, name: pkg.header.name },
      {
        version: pkg.version,
        creatorId,
        metadata: {
          summary: pkg.summary,
          description: pkg.description,
          license: pkg.license,
          project_url: pkg.url,
        },
      },
      { name: pkg.fileName, blob: staged, isLead: true, compositeKey: group },
      {
        inTransaction: async (tx) => {
          const fileId = tx.file!.id;
          await tx.setProperty(PropertyRefType.File, fileId, PROPERTY_GROUP, [group]);
          await tx.setProperty(PropertyRefType.File, fileId, PROPERTY_ARCHITECTURE, [arch]);
          await tx.appendToIndexLog(pkglistLogName(group, arch), PKGLIST_LOG, fragments);
        },
      },
    );
    return pkg;
  }

  /** `{group}.repo`: Forgejo's repository config. */
  repositoryConfig(owner: UserEntity, group: string): string {
    return repositoryConfig(owner, groupParts(group), this.query.packageBaseUrl(owner, TYPE));
  }

  /** A file of `{group}.repo/{arch}/base/`; 404 for other names and for an empty architecture. */
  async baseFile(owner: UserEntity, group: string, arch: string, name: string): Promise<BaseFile> {
    const known = name === 'release' || name === 'release.classic' || PKGLISTS.has(name);
    if (!known) throw RegistryError.notFound(`${name} is not a file of base/`);
    const key: IndexLogKey = { ownerId: owner.id, type: TYPE, log: pkglistLogName(group, arch) };
    const summary = await this.logs.summary(key, PKGLIST_LOG);
    if (!summary) throw RegistryError.notFound(`no ${arch} packages in this repository`);
    const lastModified = new Date(summary.updatedUnix * 1000);
    const classic = releaseClassic(arch, summary.updatedUnix);
    if (name === 'release.classic') return { kind: 'text', body: classic, lastModified };
    if (name === 'release')
      return { kind: 'text', body: this.release(arch, summary, classic), lastModified };
    const { stream, contentType } = PKGLISTS.get(name)!;
    const sums = summary.streams[stream];
    return {
      kind: 'pkglist',
      key,
      stream,
      size: sums.size,
      lastSeq: summary.lastSeq,
      etag: `"${sums.digests.blake2b512}"`,
      lastModified,
      contentType,
    };
  }

  /** The bytes of a pkglist, record by record. */
  readPkglist(file: Extract<BaseFile, { kind: 'pkglist' }>): AsyncGenerator<Buffer> {
    return this.logs.read(file.key, file.stream, file.lastSeq);
  }

  /** A package file of `{group}.repo/{arch}/RPMS.classic/`; 404 unless it is there. */
  async packageFile(
    owner: UserEntity,
    group: string,
    arch: string,
    fileName: string,
  ): Promise<FileDescriptor> {
    const [found] = await this.query.searchFiles({
      ownerId: owner.id,
      type: TYPE,
      compositeKey: group,
      exactName: fileName,
      properties: { [PROPERTY_ARCHITECTURE]: arch },
    });
    if (!found) throw RegistryError.notFound(`${fileName} is not in RPMS.classic of ${arch}`);
    return found;
  }

  /**
   * `DELETE` of a package's download path: the file goes (its version too when it was the
   * last), its pkglist record with it (the index log cascades), and the records after it
   * are re-summed now rather than on the next read.
   */
  async delete(owner: UserEntity, group: string, arch: string, fileName: string): Promise<void> {
    const found = await this.packageFile(owner, group, arch, fileName);
    await this.packages.deleteFile(found.file.id);
    await this.logs.repair(
      { ownerId: owner.id, type: TYPE, log: pkglistLogName(group, arch) },
      PKGLIST_LOG,
    );
  }

  private release(arch: string, summary: IndexLogSummary, classic: string): string {
    const [plain, xz] = summary.streams;
    const files = [
      {
        name: 'pkglist.classic',
        size: plain.size,
        md5: plain.digests.md5!,
        blake2b: plain.digests.blake2b512!,
      },
      {
        name: 'pkglist.classic.xz',
        size: xz.size,
        md5: xz.digests.md5!,
        blake2b: xz.digests.blake2b512!,
      },
      {
        name: 'release.classic',
        size: Buffer.byteLength(classic),
        md5: hex('md5', classic),
        blake2b: hex('blake2b512', classic),
      },
    ];
    return release(arch, summary.updatedUnix, files);
  }
}
