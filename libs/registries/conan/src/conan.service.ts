import { Injectable } from '@nestjs/common';
import type { Readable } from 'node:stream';
import {
  AppConfig,
  IngestService,
  InvalidArtifactError,
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
import { ConanFile, ConanIndexService } from './conan-index.service';
import {
  checkConanArchive,
  checkManifest,
  CONANFILE,
  CONANINFO,
  ConanMetadata,
  formatRef,
  INFO_PROPERTY,
  MANIFEST,
  PackageRevisionRef,
  packageKey,
  parseConanfile,
  parseConaninfo,
  RecipeRef,
  recipeKey,
  RecipeRevisionRef,
} from './conan.metadata';

// Forgejo reads conanfile.py's fields from its first MiB; conaninfo.txt is parsed whole up to it.
const CONANFILE_HEAD = 1024 * 1024;
const MAX_CONANINFO = 1024 * 1024;
const MAX_MANIFEST = 8 * 1024 * 1024;

/** Where an uploaded file goes: a recipe revision's or a package revision's, by name. */
export type FileTarget =
  | { kind: 'recipe'; ref: RecipeRevisionRef; file: string }
  | { kind: 'package'; ref: PackageRevisionRef; file: string };

/** What the check of an upload found: the version metadata (conanfile.py) and file properties. */
interface Checked {
  metadata?: ConanMetadata;
  info?: string;
}

/** The Conan format's writes and downloads (docs/protocols/conan.md §3). */
@Injectable()
export class ConanService {
  constructor(
    private readonly config: AppConfig,
    private readonly ingest: IngestService,
    private readonly packages: PackageService,
    private readonly query: PackageQueryService,
    private readonly index: ConanIndexService,
  ) {}

  /**
   * PUT of one recipe or package file: streamed into storage, checked for what it is
   * (the archives walked, conaninfo and the manifest parsed, `X-Checksum-Sha1` compared),
   * then added to the version — created by the first file — replacing a file of the same
   * revision and name, as Forgejo does. conanfile.py sets the version's metadata.
   */
  async upload(
    owner: UserEntity,
    creatorId: number,
    target: FileTarget,
    body: Readable,
    declaredSize: number | undefined,
    sha1?: string,
  ): Promise<void> {
    const recipe = target.kind === 'recipe' ? target.ref : target.ref.recipe;
    if (target.kind === 'package') await this.requireRecipeRevision(owner, recipe);
    const { staged, checked } = await this.ingest.stageChecked(
      body,
      { limit: this.config.sizeLimit(PackageType.Conan), declaredSize },
      (s) => this.check(s, target.file, sha1),
    );
    await this.packages.createOrAddFile(
      { ownerId: owner.id, type: PackageType.Conan, name: recipe.name },
      { version: recipe.version, creatorId, metadata: checked.metadata ?? {} },
      {
        name: target.file,
        compositeKey: target.kind === 'recipe' ? recipeKey(target.ref) : packageKey(target.ref),
        isLead: target.kind === 'recipe' && target.file === CONANFILE,
        overwrite: true,
        properties: checked.info !== undefined ? { [INFO_PROPERTY]: checked.info } : undefined,
        blob: staged,
      },
      {
        inTransaction: async (tx) => {
          if (checked.metadata && !tx.createdVersion) await tx.setVersionMetadata(checked.metadata);
        },
      },
    );
  }

  /** A package belongs to a recipe revision already there (Conan uploads the recipe first). */
  private async requireRecipeRevision(owner: UserEntity, recipe: RecipeRevisionRef): Promise<void> {
    const files = await this.index.filesOf(owner, recipe);
    if (!files.some((f) => !f.key.packageId && f.key.revision === recipe.revision))
      throw RegistryError.notFound(
        `recipe ${formatRef(recipe)}#${recipe.revision} not found: upload the recipe before its packages`,
      );
  }

  private async check(staged: StagedBlob, file: string, sha1?: string): Promise<Checked> {
    // Conan sends the file's sha1 with every upload (FileUploader): a body that differs was cut or changed.
    if (sha1 !== undefined && sha1.trim().toLowerCase() !== staged.sha1)
      throw new InvalidArtifactError(
        `${file} does not match its X-Checksum-Sha1: the server received sha1 ${staged.sha1}`,
      );
    const text = async (max: number) =>
      (
        await readBounded(
          await this.ingest.open(
            staged,
            staged.size ? { start: 0, end: Math.min(staged.size, max) - 1 } : undefined,
          ),
          max,
        )
      ).toString('utf8');
    if (file === CONANFILE) return { metadata: parseConanfile(await text(CONANFILE_HEAD)) };
    if (file === CONANINFO) {
      if (staged.size > MAX_CONANINFO)
        throw new InvalidArtifactError(`conaninfo.txt is larger than ${MAX_CONANINFO} bytes`);
      const info = await text(MAX_CONANINFO);
      parseConaninfo(info);
      return { info };
    }
    if (file === MANIFEST) {
      if (staged.size > MAX_MANIFEST)
        throw new InvalidArtifactError(`conanmanifest.txt is larger than ${MAX_MANIFEST} bytes`);
      checkManifest(await text(MAX_MANIFEST));
      return {};
    }
    await checkConanArchive(await this.ingest.open(staged), staged.size, file);
    return {};
  }

  /** The stored file for a download; 404 naming the revision when it is not there. */
  async findFile(
    owner: UserEntity,
    target: FileTarget,
  ): Promise<{ file: PackageFileEntity; blob: PackageBlobEntity }> {
    const recipe = target.kind === 'recipe' ? target.ref : target.ref.recipe;
    const found = await this.query.findFileByPath(
      owner.id,
      PackageType.Conan,
      recipe.name,
      recipe.version,
      target.file,
      target.kind === 'recipe' ? recipeKey(target.ref) : packageKey(target.ref),
    );
    if (!found)
      throw RegistryError.notFound(`${target.file} of ${describeTarget(target)} not found`);
    return found;
  }

  /** Deletes a recipe's revisions (one, or all when `revision` is undefined) with their packages. */
  async deleteRecipe(owner: UserEntity, ref: RecipeRef, revision?: string): Promise<void> {
    const files = (await this.index.filesOf(owner, ref)).filter(
      (f) => revision === undefined || f.key.revision === revision,
    );
    if (!files.length)
      throw RegistryError.notFound(
        `recipe ${formatRef(ref)}${revision ? `#${revision}` : ''} not found`,
      );
    await this.remove(files);
  }

  /**
   * Deletes packages of a recipe revision: every package, one package id (all its
   * revisions) or one package revision. 404 when nothing matches.
   */
  async deletePackages(
    owner: UserEntity,
    recipe: RecipeRevisionRef,
    packageId?: string,
    packageRevision?: string,
  ): Promise<void> {
    const files = (await this.index.filesOf(owner, recipe)).filter(
      (f) =>
        f.key.revision === recipe.revision &&
        f.key.packageId !== undefined &&
        (packageId === undefined || f.key.packageId === packageId) &&
        (packageRevision === undefined || f.key.packageRevision === packageRevision),
    );
    if (!files.length)
      throw RegistryError.notFound(
        `no package${packageId ? ` ${packageId}${packageRevision ? `#${packageRevision}` : ''}` : 's'} of ${formatRef(recipe)}#${recipe.revision}`,
      );
    await this.remove(files);
  }

  /**
   * v1 `packages/delete`: the given package ids (every one when the list is empty) under
   * every recipe revision. 404 when a given id has no package.
   */
  async deletePackagesV1(owner: UserEntity, ref: RecipeRef, packageIds: string[]): Promise<void> {
    const packages = (await this.index.filesOf(owner, ref)).filter((f) => f.key.packageId);
    const missing = packageIds.find((id) => !packages.some((f) => f.key.packageId === id));
    if (missing) throw RegistryError.notFound(`package ${missing} of ${formatRef(ref)} not found`);
    const files = packageIds.length
      ? packages.filter((f) => packageIds.includes(f.key.packageId!))
      : packages;
    if (files.length) await this.remove(files);
  }

  /** One transaction: the files go together, and the version with its last one. */
  private remove(files: ConanFile[]): Promise<void> {
    return this.packages.deleteFiles(files.map((f) => f.descriptor.file.id));
  }
}

function describeTarget(target: FileTarget): string {
  return target.kind === 'recipe'
    ? `recipe ${formatRef(target.ref)}#${target.ref.revision}`
    : `package ${target.ref.packageId}#${target.ref.revision} of ${formatRef(target.ref.recipe)}#${target.ref.recipe.revision}`;
}
