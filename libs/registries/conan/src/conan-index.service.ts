import { Injectable } from '@nestjs/common';
import {
  CachedDocument,
  DocumentCache,
  FileDescriptor,
  known,
  OWNER_WIDE_SCOPE,
  PackageQueryService,
  PackageType,
  RegistryError,
  UserEntity,
} from '@wharf/packages-core';
import {
  buildFileList,
  buildFileMap,
  buildLatest,
  buildPackageSearch,
  buildRecipeSearch,
  buildRevisions,
  parseRecipeQuery,
  RevisionEntry,
  revisionsOf,
} from './conan.documents';
import {
  CONANFILE,
  ConanInfo,
  formatRef,
  INFO_PROPERTY,
  PackageRevisionRef,
  packageKey,
  parseConaninfo,
  parseKey,
  ParsedKey,
  RecipeRef,
  recipeKey,
  RecipeRevisionRef,
} from './conan.metadata';

const JSON_TYPE = 'application/json';

/** A stored file of a reference, its key read back. */
export interface ConanFile {
  descriptor: FileDescriptor;
  key: ParsedKey;
}

/** Which package revisions: of a package id, under one recipe revision. */
export interface PackageRef {
  recipe: RecipeRevisionRef;
  packageId: string;
}

/**
 * What a Conan remote reads (docs/protocols/conan.md §2, §4): revision lists, latest
 * revisions, file lists, v1 snapshots and package and recipe search, each built from
 * one batched read of the version's files and kept in the document cache, scoped to the
 * recipe name (search to the owner), so every replica serves the current one.
 */
@Injectable()
export class ConanIndexService {
  constructor(
    private readonly query: PackageQueryService,
    private readonly documents: DocumentCache,
  ) {}

  /** Every file of `name/version@user/channel`, recipes and packages (empty when none). */
  async filesOf(owner: UserEntity, ref: RecipeRef): Promise<ConanFile[]> {
    const found = await this.query.findVersionByName(
      owner.id,
      PackageType.Conan,
      ref.name,
      ref.version,
    );
    if (!found) return [];
    return (await this.query.listFiles(found.version.id)).flatMap((descriptor) => {
      const key = parseKey(descriptor.file.compositeKey);
      return key && key.user === ref.user && key.channel === ref.channel
        ? [{ descriptor, key }]
        : [];
    });
  }

  // v2 `{ref}/latest` and `{ref}/revisions`.
  recipeRevisions(owner: UserEntity, ref: RecipeRef, latest: boolean): Promise<CachedDocument> {
    return this.document(
      owner,
      ref,
      `${latest ? 'latest' : 'revisions'}:${refVariant(ref)}`,
      async () => {
        const files = (await this.filesOf(owner, ref)).filter((f) => !f.key.packageId);
        const revisions = revisionsOf(files.map(revisionFile));
        return revisionsDocument(revisions, latest, `recipe ${formatRef(ref)}`);
      },
    );
  }

  // v2 `.../packages/{package_id}/latest` and `/revisions`.
  packageRevisions(owner: UserEntity, ref: PackageRef, latest: boolean): Promise<CachedDocument> {
    const variant = `${latest ? 'platest' : 'previsions'}:${recipeKey(ref.recipe)}|${ref.packageId}`;
    return this.document(owner, ref.recipe, variant, async () => {
      const files = (await this.filesOf(owner, ref.recipe)).filter(
        (f) => f.key.revision === ref.recipe.revision && f.key.packageId === ref.packageId,
      );
      const revisions = revisionsOf(
        files.map((f) => ({ ...revisionFile(f), revision: f.key.packageRevision! })),
      );
      return revisionsDocument(
        revisions,
        latest,
        `package ${ref.packageId} of ${formatRef(ref.recipe)}#${ref.recipe.revision}`,
      );
    });
  }

  /** v2 `.../files` of a recipe or package revision: `{"files":{name:{}}}`. */
  fileList(
    owner: UserEntity,
    target: RecipeRevisionRef | PackageRevisionRef,
  ): Promise<CachedDocument> {
    const key = 'packageId' in target ? packageKey(target) : recipeKey(target);
    const recipe = 'packageId' in target ? target.recipe : target;
    return this.document(owner, recipe, `files:${key}`, async () => {
      const files = (await this.filesOf(owner, recipe)).filter(
        (f) => f.descriptor.file.compositeKey === key,
      );
      if (!files.length) throw RegistryError.notFound(`${describe(target)} not found`);
      await this.query.completeDigests(files.map((f) => f.descriptor.blob));
      return json(buildFileList(files.map((f) => f.descriptor.file.name)));
    });
  }

  /**
   * v1 snapshot (`{file: md5}`) or download URLs (`{file: url}`) of revision `0`, where
   * Conan 1 without revisions keeps its files.
   */
  v1FileMap(
    owner: UserEntity,
    target: RecipeRevisionRef | PackageRevisionRef,
    urlBase?: string,
  ): Promise<CachedDocument> {
    const key = 'packageId' in target ? packageKey(target) : recipeKey(target);
    const recipe = 'packageId' in target ? target.recipe : target;
    const variant = `${urlBase ? 'urls' : 'snapshot'}:${key}`;
    return this.document(owner, recipe, variant, async () => {
      const files = (await this.filesOf(owner, recipe)).filter(
        (f) => f.descriptor.file.compositeKey === key,
      );
      if (!files.length) throw RegistryError.notFound(`${describe(target)} not found`);
      return json(
        buildFileMap(
          files.map(({ descriptor: { file, blob } }) => [
            file.name,
            urlBase ? `${urlBase}/${file.name}` : known(blob).hashMd5,
          ]),
        ),
      );
    });
  }

  /**
   * Package search: each package id with the conaninfo of its newest revision, under
   * recipe revision `revision`, or its newest when undefined (v2), or under every
   * revision, newest first, when `'all'` (v1). 404 when the recipe (revision) is not there.
   */
  packageSearch(
    owner: UserEntity,
    ref: RecipeRef,
    revision: string | 'all' | undefined,
  ): Promise<CachedDocument> {
    return this.document(owner, ref, `psearch:${refVariant(ref)}|${revision ?? ''}`, async () => {
      const files = await this.filesOf(owner, ref);
      const recipeRevisions = revisionsOf(
        files.filter((f) => !f.key.packageId).map(revisionFile),
      ).map((r) => r.revision);
      const wanted =
        revision === 'all'
          ? recipeRevisions
          : revision === undefined
            ? recipeRevisions.slice(0, 1)
            : [revision];
      if (!wanted.length || !wanted.every((r) => recipeRevisions.includes(r)))
        throw RegistryError.notFound(
          `recipe ${formatRef(ref)}${typeof revision === 'string' && revision !== 'all' ? `#${revision}` : ''} not found`,
        );
      const result = new Map<string, ConanInfo>();
      for (const rrev of wanted) {
        const packages = files.filter((f) => f.key.revision === rrev && f.key.packageId);
        for (const packageId of new Set(packages.map((f) => f.key.packageId!))) {
          if (result.has(packageId)) continue;
          const ofPackage = packages.filter((f) => f.key.packageId === packageId);
          const [newest] = revisionsOf(
            ofPackage.map((f) => ({ ...revisionFile(f), revision: f.key.packageRevision! })),
          );
          const info = ofPackage.find(
            (f) =>
              f.key.packageRevision === newest.revision && f.descriptor.properties[INFO_PROPERTY],
          );
          const text = info?.descriptor.properties[INFO_PROPERTY]?.[0];
          if (text !== undefined) result.set(packageId, parseConaninfo(text));
        }
      }
      return json(buildPackageSearch(result));
    });
  }

  /**
   * Recipe search (`conans/search?q=`): every recipe revision holding a conanfile.py is a
   * reference; two batched reads for the owner (those files, and the versions they belong to).
   */
  recipeSearch(owner: UserEntity, q: string): Promise<CachedDocument> {
    return this.documents.get(
      {
        ownerId: owner.id,
        type: PackageType.Conan,
        scope: OWNER_WIDE_SCOPE,
        variant: `search:${q}`,
      },
      async () => {
        const recipes = await this.query.searchFiles({
          ownerId: owner.id,
          type: PackageType.Conan,
          name: CONANFILE,
        });
        const { items } = await this.query.searchVersions({
          ownerId: owner.id,
          type: PackageType.Conan,
          limit: Number.MAX_SAFE_INTEGER,
        });
        const byVersion = new Map(items.map((i) => [i.version.id, i]));
        const refs: RecipeRef[] = recipes.flatMap(({ file }) => {
          const key = parseKey(file.compositeKey);
          const found = byVersion.get(file.versionId);
          if (!key || key.packageId || !found || file.lowerName !== CONANFILE) return [];
          return [
            {
              name: found.package.name,
              version: found.version.version,
              user: key.user,
              channel: key.channel,
            },
          ];
        });
        return json(buildRecipeSearch(refs, parseRecipeQuery(q)));
      },
    );
  }

  private document(
    owner: UserEntity,
    ref: RecipeRef,
    variant: string,
    build: () => Promise<{ body: string; contentType: string }>,
  ): Promise<CachedDocument> {
    return this.documents.get(
      {
        ownerId: owner.id,
        type: PackageType.Conan,
        scope: ref.name.toLowerCase(),
        variant: `${ref.version.toLowerCase()}:${variant}`,
      },
      build,
    );
  }
}

function json(body: string) {
  return { body, contentType: JSON_TYPE };
}

function refVariant(ref: RecipeRef): string {
  return `${ref.user}|${ref.channel}`;
}

function revisionFile(f: ConanFile) {
  return {
    revision: f.key.revision,
    createdUnix: f.descriptor.file.createdUnix,
    id: f.descriptor.file.id,
  };
}

function revisionsDocument(revisions: RevisionEntry[], latest: boolean, what: string) {
  if (!revisions.length) throw RegistryError.notFound(`${what} not found`);
  return json(latest ? buildLatest(revisions[0]) : buildRevisions(revisions));
}

function describe(target: RecipeRevisionRef | PackageRevisionRef): string {
  return 'packageId' in target
    ? `package ${target.packageId}#${target.revision} of ${formatRef(target.recipe)}#${target.recipe.revision}`
    : `recipe ${formatRef(target)}#${target.revision}`;
}
