import { Injectable } from '@nestjs/common';
import type { Readable } from 'node:stream';
import {
  AppConfig,
  GeneratedDocument,
  IngestService,
  PackageBlobEntity,
  PackageFileEntity,
  PackageQueryService,
  PackageService,
  PackageType,
  RegistryError,
  SigningKeyService,
  UserEntity,
} from '@wharf/packages-core';
import {
  DebianIndexService,
  IndexFile,
  PACKAGES_VARIANTS,
  PackagesVariant,
  RepositorySnapshot,
} from './debian-index.service';
import { buildRelease, HashedFile, hashFile } from './debian.documents';
import {
  ARCHITECTURE_PROPERTY,
  COMPONENT_PROPERTY,
  CONTROL_PROPERTY,
  DebianControl,
  DISTRIBUTION_PROPERTY,
  packageFileName,
  parseControl,
  readDebControl,
} from './debian.metadata';

const TYPE = PackageType.Debian;
/** Origin and Label of every Release (Forgejo writes its app name there). */
const ORIGIN = 'Wharf';
const SIGNING_PURPOSE = 'debian';

export type ReleaseFileName = 'Release' | 'InRelease' | 'Release.gpg';
export const RELEASE_FILES: readonly ReleaseFileName[] = ['Release', 'InRelease', 'Release.gpg'];

const CONTENT_TYPES: Record<PackagesVariant | ReleaseFileName, string> = {
  Packages: 'text/plain; charset=utf-8',
  'Packages.gz': 'application/gzip',
  'Packages.xz': 'application/x-xz',
  Release: 'text/plain; charset=utf-8',
  InRelease: 'text/plain; charset=utf-8',
  'Release.gpg': 'application/pgp-signature',
};

/** by-hash algorithm names as apt writes them (`MD5Sum`, `SHA256`), to the digest field. */
const BY_HASH: Record<string, keyof Omit<HashedFile, 'size'>> = {
  md5sum: 'md5',
  md5: 'md5',
  sha1: 'sha1',
  sha256: 'sha256',
  sha512: 'sha512',
};

/** The Debian format's rules (docs/protocols/debian.md §3–4): uploads, the pool, the signed indexes. */
@Injectable()
export class DebianService {
  constructor(
    private readonly config: AppConfig,
    private readonly ingest: IngestService,
    private readonly packages: PackageService,
    private readonly query: PackageQueryService,
    private readonly index: DebianIndexService,
    private readonly signing: SigningKeyService,
  ) {}

  /**
   * `PUT pool/{dist}/{component}/upload`: the .deb streams into storage, its control file
   * is read there, and the file `{name}_{version}_{arch}.deb` joins its version (created
   * on first upload) under the key `{dist}|{component}`. The same file twice is a 409.
   */
  async upload(
    owner: UserEntity,
    creatorId: number,
    distribution: string,
    component: string,
    body: Readable,
    declaredSize?: number,
  ): Promise<DebianControl & { fileName: string }> {
    const { staged, checked } = await this.ingest.stageChecked(
      body,
      { limit: this.config.sizeLimit(TYPE), declaredSize },
      async (s) => {
        if (!s.size) throw RegistryError.invalid('the upload is empty: send the .deb file');
        const open = (start: number, end: number) => this.ingest.open(s, { start, end });
        return parseControl(await readDebControl(open, s.size));
      },
    );
    const fileName = packageFileName(checked.name, checked.version, checked.architecture);
    await this.packages.createOrAddFile(
      { ownerId: owner.id, type: TYPE, name: checked.name },
      { version: checked.version, creatorId, metadata: checked.metadata },
      {
        name: fileName,
        compositeKey: `${distribution}|${component}`,
        isLead: true,
        blob: staged,
        properties: {
          [DISTRIBUTION_PROPERTY]: distribution,
          [COMPONENT_PROPERTY]: component,
          [ARCHITECTURE_PROPERTY]: checked.architecture,
          [CONTROL_PROPERTY]: checked.control,
        },
      },
    );
    return { ...checked, fileName };
  }

  /** A .deb in the pool of `{dist}/{component}`, with its blob; 404 otherwise. */
  async file(
    owner: UserEntity,
    distribution: string,
    component: string,
    name: string,
    version: string,
    architecture: string,
  ): Promise<{ file: PackageFileEntity; blob: PackageBlobEntity }> {
    const fileName = packageFileName(name, version, architecture);
    const found = await this.query.findFileByPath(
      owner.id,
      TYPE,
      name,
      version,
      fileName,
      `${distribution}|${component}`,
    );
    if (!found) throw RegistryError.notFound(`${fileName} is not in ${distribution}/${component}`);
    return found;
  }

  /** `DELETE pool/{dist}/{component}/{name}/{version}/{arch}`: the file, and its version when it was the last. */
  async delete(
    owner: UserEntity,
    distribution: string,
    component: string,
    name: string,
    version: string,
    architecture: string,
  ): Promise<void> {
    const { file } = await this.file(owner, distribution, component, name, version, architecture);
    await this.packages.deleteFile(file.id);
  }

  /** The owner's armoured public key (made on first use), which clients pin with `signed-by`. */
  async repositoryKey(owner: UserEntity): Promise<string> {
    return (await this.signing.openPgp(owner.id, SIGNING_PURPOSE)).armoredPublicKey;
  }

  /** `dists/{dist}/{component}/binary-{arch}/Packages[.gz|.xz]`; 404 when no package is in it. */
  async packagesFile(
    owner: UserEntity,
    distribution: string,
    component: string,
    architecture: string,
    variant: PackagesVariant,
  ): Promise<GeneratedDocument> {
    const snapshot = await this.index.snapshot(owner.id);
    const file = snapshot.file(distribution, component, architecture, variant);
    if (!file)
      throw RegistryError.notFound(
        `no packages for ${architecture} in ${distribution}/${component}`,
      );
    return document(file, variant, snapshot);
  }

  /** `dists/{dist}/Release`, `InRelease` or `Release.gpg`; 404 for a distribution without packages. */
  async releaseFile(
    owner: UserEntity,
    distribution: string,
    name: ReleaseFileName,
  ): Promise<GeneratedDocument> {
    const snapshot = await this.index.snapshot(owner.id);
    const file =
      name === 'Release'
        ? this.release(snapshot, distribution)
        : await this.signed(owner, snapshot, distribution, name);
    return document(file, name, snapshot);
  }

  /**
   * `dists/{dist}[/{component}/{arch}]/by-hash/{algorithm}/{digest}` (Acquire-By-Hash): the
   * index file of the distribution with that digest — among the component's and
   * architecture's when they are given, else among all of the distribution's and its
   * Release. 404 for an unknown algorithm or digest.
   */
  async byHash(
    owner: UserEntity,
    distribution: string,
    algorithm: string,
    digest: string,
    where?: { component: string; architecture: string },
  ): Promise<GeneratedDocument> {
    const field = BY_HASH[algorithm.toLowerCase()];
    if (!field) throw RegistryError.notFound(`no by-hash files for ${algorithm}`);
    const wanted = digest.toLowerCase();
    const snapshot = await this.index.snapshot(owner.id);
    const candidates: {
      file: () => IndexFile;
      hashed: HashedFile;
      name: PackagesVariant | ReleaseFileName;
    }[] = [];
    const add = (component: string, architecture: string) => {
      const digests = snapshot.digests(distribution, component, architecture);
      for (const variant of PACKAGES_VARIANTS)
        if (digests)
          candidates.push({
            hashed: digests[variant],
            file: () => snapshot.file(distribution, component, architecture, variant)!,
            name: variant,
          });
    };
    if (where) add(where.component, where.architecture);
    else {
      for (const [component, archs] of snapshot.layout.get(distribution) ?? [])
        for (const arch of archs) add(component, arch);
      if (snapshot.layout.has(distribution)) {
        const release = this.release(snapshot, distribution);
        candidates.push({ hashed: release, file: () => release, name: 'Release' });
      }
    }
    const hit = candidates.find((c) => c.hashed[field] === wanted);
    if (!hit)
      throw RegistryError.notFound(`no index file of ${distribution} has that ${algorithm} digest`);
    return document(hit.file(), hit.name, snapshot);
  }

  /** The Release of a distribution in `snapshot`, made once per snapshot. */
  private release(snapshot: RepositorySnapshot, distribution: string): IndexFile {
    const components = snapshot.layout.get(distribution);
    if (!components) throw RegistryError.notFound(`no packages in distribution ${distribution}`);
    return snapshot.derive(`Release:${distribution}`, () => {
      const files = new Map<string, HashedFile>();
      const architectures = new Set<string>();
      for (const [component, archs] of components)
        for (const arch of archs) {
          architectures.add(arch);
          const digests = snapshot.digests(distribution, component, arch)!;
          for (const variant of PACKAGES_VARIANTS)
            files.set(`${component}/binary-${arch}/${variant}`, digests[variant]);
        }
      return indexFile(
        buildRelease({
          origin: ORIGIN,
          distribution,
          components: [...components.keys()],
          architectures: [...architectures],
          // The last write, not the time of building: every replica writes the same Release.
          date: new Date(snapshot.updatedUnix * 1000),
          files,
        }),
      );
    });
  }

  /**
   * InRelease or Release.gpg of a distribution in `snapshot`, each signed when first asked
   * for (apt asks InRelease only) and kept; a failed signing is not kept.
   */
  private signed(
    owner: UserEntity,
    snapshot: RepositorySnapshot,
    distribution: string,
    name: 'InRelease' | 'Release.gpg',
  ): Promise<IndexFile> {
    const release = this.release(snapshot, distribution);
    const key = `${name}:${distribution}`;
    return snapshot.derive(key, () => {
      const signing = (async () => {
        const signer = await this.signing.openPgp(owner.id, SIGNING_PURPOSE);
        const text = release.body.toString('utf8');
        return indexFile(
          name === 'InRelease'
            ? await signer.signCleartext(text)
            : await signer.signDetached(release.body, { armor: true }),
        );
      })();
      signing.catch(() => snapshot.forget(key));
      return signing;
    });
  }
}

function indexFile(text: string): IndexFile {
  const body = Buffer.from(text, 'utf8');
  return { body, ...hashFile(body) };
}

function document(
  file: IndexFile,
  name: PackagesVariant | ReleaseFileName,
  snapshot: RepositorySnapshot,
): GeneratedDocument {
  return {
    body: file.body,
    contentType: CONTENT_TYPES[name],
    etag: `"${file.sha256}"`,
    lastModified: new Date(snapshot.updatedUnix * 1000),
  };
}
