import { Injectable } from '@nestjs/common';
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
  RPM_LEAD_SIZE,
  SigningKeyService,
  StagedBlob,
  UserEntity,
} from '@wharf/packages-core';
import { GroupRepodata, RepodataSnapshot, RpmIndexService } from './rpm-index.service';
import { InspectedRpm, inspectRpm } from './rpm-package';
import { signedSignatureHeader } from './rpm-signature';
import { repoFile, REPODATA_TYPES, RepodataType } from './rpm.documents';
import {
  ARCHITECTURE_PROPERTY,
  GROUP_PROPERTY,
  METADATA_PROPERTY,
  RPM_ARCH,
  RPM_GROUP,
  RPM_NAME,
  RPM_VERSION,
  rpmFileName,
  RpmUpload,
  rpmUploadOf,
} from './rpm.metadata';

const TYPE = PackageType.Rpm;
const SIGNING_PURPOSE = 'rpm';
/** Room for the two signatures the signed file's signature header gains. */
const SIGNATURE_ROOM = 64 * 1024;

/** The repodata file names served under `{group}/repodata/`. */
export const REPODATA_FILES = [
  'repomd.xml',
  'repomd.xml.asc',
  ...REPODATA_TYPES.map((t) => `${t}.xml.gz`),
] as const;
export type RepodataFileName = (typeof REPODATA_FILES)[number];

/** The rpm format's rules (docs/protocols/rpm.md §3–6). */
@Injectable()
export class RpmService {
  constructor(
    private readonly config: AppConfig,
    private readonly ingest: IngestService,
    private readonly packages: PackageService,
    private readonly query: PackageQueryService,
    private readonly index: RpmIndexService,
    private readonly signingKeys: SigningKeyService,
  ) {}

  /** A group path from the URL, checked ('' for none). */
  checkGroup(group: string): string {
    return group === '' ? '' : checkName(group, RPM_GROUP);
  }

  /**
   * `PUT {group}/upload`: the rpm streams into storage and is read whole there (headers,
   * digests, every payload entry). Unless `sign` is off, a copy signed with the owner's
   * key is what is kept. The file is `{name}-{version}.{arch}.rpm` in the group; the same
   * file again is a 409.
   */
  async upload(
    owner: UserEntity,
    creatorId: number,
    group: string,
    body: Readable,
    declaredSize: number | undefined,
    sign: boolean,
  ): Promise<void> {
    const limit = this.config.sizeLimit(TYPE);
    const { staged, checked } = await this.ingest.stageChecked(body, { limit, declaredSize }, (s) =>
      this.inspect(s),
    );
    const upload = checked.upload;
    let stored = staged;
    if (sign) {
      const signed = await this.ingest.checkStaged(staged, () =>
        this.sign(owner, staged, checked, limit),
      );
      await this.ingest.discard(staged);
      stored = signed.staged;
      // The main header moved by the size difference of the signature headers.
      upload.fileMetadata.header_start = signed.headerStart;
      upload.fileMetadata.header_end = signed.headerStart + checked.header.raw.length;
    }
    await this.packages.createOrAddFile(
      { ownerId: owner.id, type: TYPE, name: upload.name },
      { version: upload.version, creatorId, metadata: upload.versionMetadata },
      {
        name: upload.fileName,
        compositeKey: group,
        isLead: true,
        blob: stored,
        properties: {
          [GROUP_PROPERTY]: group,
          [ARCHITECTURE_PROPERTY]: upload.architecture,
          [METADATA_PROPERTY]: JSON.stringify(upload.fileMetadata),
        },
      },
    );
  }

  /** Reads the staged rpm (rpm-package.ts) and maps it to what is stored, names checked. */
  private async inspect(staged: StagedBlob): Promise<InspectedRpm & { upload: RpmUpload }> {
    if (!staged.size) throw RegistryError.invalid('the upload is empty: send the .rpm file');
    const rpm = await inspectRpm(await this.ingest.open(staged), staged.size);
    return { ...rpm, upload: rpmUploadOf(rpm.info, rpm.layout.header) };
  }

  /**
   * A copy of the staged rpm with a new signature header (rpm-signature.ts): the lead as
   * it was, the header signed from memory, header+payload signed as a stream, then copied
   * as a stream after the new signature header. Never held whole.
   */
  private async sign(
    owner: UserEntity,
    staged: StagedBlob,
    rpm: InspectedRpm,
    limit: number | undefined,
  ): Promise<{ staged: StagedBlob; headerStart: number }> {
    const pgp = await this.signingKeys.openPgp(owner.id, SIGNING_PURPOSE);
    const start = rpm.layout.header.start;
    const headerSignature = await pgp.signDetached(rpm.header.raw, { armor: false });
    const packageSignature = await pgp.signStream(await this.ingest.open(staged, { start }));
    const signatureHeader = signedSignatureHeader(rpm.signature, headerSignature, packageSignature);
    const lead = await readAll(
      await this.ingest.open(staged, { start: 0, end: RPM_LEAD_SIZE - 1 }),
    );
    const rest = await this.ingest.open(staged, { start });
    const signed = await this.ingest.ingest(
      Readable.from(
        (async function* () {
          yield lead;
          yield signatureHeader;
          yield* rest;
        })(),
      ),
      { limit: limit === undefined ? undefined : limit + SIGNATURE_ROOM },
    );
    return { staged: signed, headerStart: RPM_LEAD_SIZE + signatureHeader.length };
  }

  /** `GET {group}/package/{name}/{version}/{arch}`: the stored rpm. */
  async file(
    owner: UserEntity,
    group: string,
    name: string,
    version: string,
    arch: string,
  ): Promise<{ file: PackageFileEntity; blob: PackageBlobEntity }> {
    const fileName = rpmFileName(
      checkName(name, RPM_NAME),
      checkName(version, RPM_VERSION),
      checkName(arch, RPM_ARCH),
    );
    const found = await this.query.findFileByPath(owner.id, TYPE, name, version, fileName, group);
    if (!found) throw RegistryError.notFound(`${fileName} is not in this repository`);
    return found;
  }

  /** `DELETE {group}/package/{name}/{version}/{arch}`: the file goes, its version if it was the last. */
  async delete(
    owner: UserEntity,
    group: string,
    name: string,
    version: string,
    arch: string,
  ): Promise<void> {
    const { file } = await this.file(owner, group, name, version, arch);
    await this.packages.deleteFile(file.id);
  }

  /** `{group}/repodata/{file}`; a 404 for a group that lists no package (Forgejo's too). */
  async repodataFile(owner: UserEntity, group: string, file: string): Promise<GeneratedDocument> {
    if (!(REPODATA_FILES as readonly string[]).includes(file))
      throw RegistryError.notFound(`repodata/ holds ${REPODATA_FILES.join(', ')}`);
    const snapshot = await this.index.snapshot(owner.id);
    const repodata = snapshot.group(group);
    if (!repodata) throw RegistryError.notFound('no package has been uploaded to this group');
    const lastModified = new Date(snapshot.updatedUnix * 1000);
    if (file === 'repomd.xml')
      return { body: repodata.repomd, contentType: 'application/xml; charset=utf-8', lastModified };
    if (file === 'repomd.xml.asc')
      return {
        body: await this.repomdSignature(owner, snapshot, group, repodata),
        contentType: 'application/pgp-signature',
        lastModified,
      };
    const data = repodata.files[file.slice(0, -'.xml.gz'.length) as RepodataType];
    return {
      body: data.body,
      contentType: 'application/gzip',
      etag: `"${data.sha256}"`,
      lastModified,
    };
  }

  /** The armoured detached signature of repomd.xml, made once per snapshot. */
  private async repomdSignature(
    owner: UserEntity,
    snapshot: RepodataSnapshot,
    group: string,
    repodata: GroupRepodata,
  ): Promise<string> {
    const key = `asc:${group}`;
    const made = snapshot.derive(key, async () =>
      (await this.signingKeys.openPgp(owner.id, SIGNING_PURPOSE)).signDetached(repodata.repomd, {
        armor: true,
      }),
    );
    try {
      return await made;
    } catch (err) {
      snapshot.forget(key);
      throw err;
    }
  }

  /** The owner's public key, `gpgkey=` of the .repo file. */
  async repositoryKey(owner: UserEntity): Promise<string> {
    return (await this.signingKeys.openPgp(owner.id, SIGNING_PURPOSE)).armoredPublicKey;
  }

  /** `{group}.repo` (docs/protocols/rpm.md §7). */
  repositoryConfig(owner: UserEntity, group: string): string {
    return repoFile({
      owner: owner.name,
      appName: 'Wharf',
      baseUrl: this.query.packageBaseUrl(owner, TYPE),
      group,
    });
  }
}

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}
