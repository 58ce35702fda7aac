import { Injectable } from '@nestjs/common';
import { Readable } from 'node:stream';
import {
  AppConfig,
  checkName,
  GeneratedDocument,
  IngestService,
  InvalidArtifactError,
  PackageBlobEntity,
  PackageFileEntity,
  PackageQueryService,
  PackageService,
  PackageType,
  PropertyRefType,
  RegistryError,
  SigningKeyService,
  StagedBlob,
  UserEntity,
  walkTar,
} from '@wharf/packages-core';
import { ArchIndexService } from './arch-index.service';
import {
  ANY_ARCH,
  ARCH_ARCHITECTURE,
  ARCH_FILE,
  ARCH_NAME,
  ARCH_REPOSITORY,
  ARCH_VERSION,
  ARCHITECTURE_PROPERTY,
  ArchUpload,
  databaseKind,
  METADATA_PROPERTY,
  PACKAGE_EXTENSIONS,
  packageExtension,
  packageFileName,
  packageFilePrefix,
  parsePackageFileName,
  parsePkgInfo,
  REPOSITORY_PROPERTY,
  SIGNATURE_PROPERTY,
} from './arch.metadata';

const TYPE = PackageType.Arch;
const SIGNING_PURPOSE = 'arch';
/** `.PKGINFO` is a few KiB; anything near this is no package's. */
const MAX_PKGINFO = 1024 * 1024;
/** Unpacked bytes read per package: at least this much, else this many times its size… */
const UNPACK_FLOOR = 256 * 1024 * 1024;
const UNPACK_RATIO = 40;
/** …and never more than this (a bomb stops here with a 413). */
const UNPACK_CAP = 16 * 1024 * 1024 * 1024;
const MAX_ENTRIES = 200_000;

/** What a GET under `{repository}/{arch}/` resolves to. */
export type ArchDownload =
  | { kind: 'file'; file: PackageFileEntity; blob: PackageBlobEntity }
  | { kind: 'document'; doc: GeneratedDocument };

/** The Arch format's rules (docs/protocols/arch.md §3–6). */
@Injectable()
export class ArchService {
  constructor(
    private readonly config: AppConfig,
    private readonly ingest: IngestService,
    private readonly packages: PackageService,
    private readonly query: PackageQueryService,
    private readonly index: ArchIndexService,
    private readonly signingKeys: SigningKeyService,
  ) {}

  /** A repository path from the URL, checked ('' for none). */
  checkRepository(repository: string): string {
    return repository === '' ? '' : checkName(repository, ARCH_REPOSITORY);
  }

  /**
   * `PUT {repository}`: the package streams into storage, is read once (its `.PKGINFO`
   * and file list) and signed there by the owner's key as a stream. One package per
   * name, version and architecture in a repository, whatever its compression: 409.
   */
  async upload(
    owner: UserEntity,
    creatorId: number,
    repository: string,
    body: Readable,
    declaredSize: number | undefined,
  ): Promise<void> {
    const limit = this.config.sizeLimit(TYPE);
    const { staged, checked } = await this.ingest.stageChecked(
      body,
      { limit, declaredSize },
      async (s) => {
        const read = await this.inspect(s);
        await this.refuseDuplicate(owner, repository, read.upload);
        const pgp = await this.signingKeys.openPgp(owner.id, SIGNING_PURPOSE);
        const signature = await pgp.signStream(await this.ingest.open(s));
        return { ...read, signature: Buffer.from(signature).toString('base64') };
      },
    );
    const { upload, ext, signature } = checked;
    await this.packages.createOrAddFile(
      { ownerId: owner.id, type: TYPE, name: upload.name },
      { version: upload.version, creatorId, metadata: upload.versionMetadata },
      {
        name: packageFileName(upload.name, upload.version, upload.architecture, ext),
        compositeKey: compositeKey(repository, upload.architecture),
        isLead: true,
        blob: staged,
        properties: {
          [REPOSITORY_PROPERTY]: repository,
          [ARCHITECTURE_PROPERTY]: upload.architecture,
          [METADATA_PROPERTY]: JSON.stringify(upload.fileMetadata),
          [SIGNATURE_PROPERTY]: signature,
        },
      },
    );
  }

  /** The container from its magic bytes, then one pass over the tar: `.PKGINFO` and the file list. */
  private async inspect(staged: StagedBlob): Promise<{ upload: ArchUpload; ext: string }> {
    if (!staged.size)
      throw RegistryError.invalid('the upload is empty: send the .pkg.tar.zst (or .xz, .gz) file');
    const head = await readAll(await this.ingest.open(staged, { start: 0, end: 5 }));
    const ext = packageExtension(head);
    if (!ext)
      throw new InvalidArtifactError(
        'unsupported package container format: send a .pkg.tar.zst, .pkg.tar.xz or .pkg.tar.gz',
      );
    const maxUnpacked = Math.min(UNPACK_CAP, Math.max(UNPACK_FLOOR, staged.size * UNPACK_RATIO));
    let pkgInfo: Buffer | undefined;
    const files: string[] = [];
    for await (const entry of walkTar(await this.ingest.open(staged), {
      maxEntrySize: MAX_PKGINFO,
      maxUnpacked,
      maxEntries: MAX_ENTRIES,
      compression: PACKAGE_EXTENSIONS[ext],
      allowLinks: true,
      label: 'the package',
    })) {
      const name = entry.name.replace(/^\.\//, '');
      if (name === '.PKGINFO' && (entry.type === 'file' || entry.type === 'contiguous-file')) {
        if (pkgInfo) throw new InvalidArtifactError('the package has two .PKGINFO entries');
        pkgInfo = await entry.read();
      } else if (name !== '' && !name.startsWith('.')) files.push(name);
    }
    if (!pkgInfo) throw new InvalidArtifactError('the package has no .PKGINFO');
    // repo-add lists the entries sorted bytewise (LC_ALL=C sort).
    files.sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
    return { upload: parsePkgInfo(pkgInfo.toString('utf8'), files), ext };
  }

  /** 409 when the package is in the repository already, in any compression. */
  private async refuseDuplicate(
    owner: UserEntity,
    repository: string,
    upload: ArchUpload,
  ): Promise<void> {
    if (
      await this.findPackageFile(
        owner,
        repository,
        upload.name,
        upload.version,
        upload.architecture,
      )
    )
      throw RegistryError.conflict(
        `${upload.name} ${upload.version} (${upload.architecture}) is already in this repository`,
      );
  }

  private async findPackageFile(
    owner: UserEntity,
    repository: string,
    name: string,
    version: string,
    architecture: string,
  ): Promise<PackageFileEntity | undefined> {
    const found = await this.query.findVersionByName(owner.id, TYPE, name, version);
    if (!found) return undefined;
    const prefix = packageFilePrefix(name, version, architecture).toLowerCase();
    const key = compositeKey(repository, architecture);
    return (await this.query.listFiles(found.version.id))
      .map((f) => f.file)
      .find((f) => f.compositeKey === key && f.lowerName.startsWith(prefix));
  }

  /** `DELETE {repository}/{name}/{version}/{arch}`: the file goes; the next database read no longer lists it. */
  async delete(
    owner: UserEntity,
    repository: string,
    name: string,
    version: string,
    arch: string,
  ): Promise<void> {
    const file = await this.findPackageFile(
      owner,
      repository,
      checkName(name, ARCH_NAME),
      checkName(version, ARCH_VERSION),
      checkName(arch, ARCH_ARCHITECTURE),
    );
    if (!file)
      throw RegistryError.notFound(`${name} ${version} (${arch}) is not in this repository`);
    await this.packages.deleteFile(file.id);
  }

  /**
   * `GET {repository}/{arch}/{file}` (docs/protocols/arch.md §2): a database under whatever
   * name pacman asks for (`{section}.db`, `.files`, `.db.tar.gz`…), a package (an `any`
   * one under every architecture), or the detached signature of either (`.sig`).
   */
  async download(
    owner: UserEntity,
    repository: string,
    arch: string,
    requested: string,
  ): Promise<ArchDownload> {
    checkName(arch, ARCH_ARCHITECTURE);
    checkName(requested, ARCH_FILE);
    const signature = requested.endsWith('.sig');
    const fileName = signature ? requested.slice(0, -'.sig'.length) : requested;
    const kind = databaseKind(fileName);
    if (kind) {
      const snapshot = await this.index.snapshot(owner.id);
      const db = snapshot.database(repository, arch, kind);
      if (!db) throw RegistryError.notFound(`no package is listed for ${arch} in this repository`);
      const lastModified = new Date(snapshot.updatedUnix * 1000);
      if (!signature)
        return {
          kind: 'document',
          doc: {
            body: db.body,
            contentType: 'application/gzip',
            etag: `"${db.sha256}"`,
            lastModified,
          },
        };
      const sigKey = `sig:${repository}\0${db.listedArch}\0${kind}`;
      const made = snapshot.derive(sigKey, async () =>
        Buffer.from(
          await (
            await this.signingKeys.openPgp(owner.id, SIGNING_PURPOSE)
          ).signDetached(db.body, {
            armor: false,
          }),
        ),
      );
      try {
        return {
          kind: 'document',
          doc: { body: await made, contentType: SIGNATURE_TYPE, lastModified },
        };
      } catch (err) {
        snapshot.forget(sigKey);
        throw err;
      }
    }
    const parsed = parsePackageFileName(fileName);
    if (!parsed || (parsed.architecture !== arch && parsed.architecture !== ANY_ARCH))
      throw RegistryError.notFound(`${requested} is not in this repository`);
    const found = await this.query.findFileByPath(
      owner.id,
      TYPE,
      parsed.name,
      parsed.version,
      fileName,
      compositeKey(repository, parsed.architecture),
    );
    if (!found) throw RegistryError.notFound(`${requested} is not in this repository`);
    if (!signature) return { kind: 'file', ...found };
    const props = await this.query.getProperties(PropertyRefType.File, [found.file.id]);
    const sig = props.get(found.file.id)?.[SIGNATURE_PROPERTY]?.[0];
    if (!sig) throw RegistryError.notFound(`${requested} has no signature`);
    return {
      kind: 'document',
      doc: {
        body: Buffer.from(sig, 'base64'),
        contentType: SIGNATURE_TYPE,
        etag: `"${found.blob.hashSha256}.sig"`,
      },
    };
  }

  /** The owner's public key, imported into pacman's keyring and locally signed. */
  async repositoryKey(owner: UserEntity): Promise<string> {
    return (await this.signingKeys.openPgp(owner.id, SIGNING_PURPOSE)).armoredPublicKey;
  }
}

const SIGNATURE_TYPE = 'application/pgp-signature';

/** `{repository}|{arch}`: where a package file is filed (Gitea's composite key). */
function compositeKey(repository: string, architecture: string): string {
  return `${repository}|${architecture}`;
}

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}
