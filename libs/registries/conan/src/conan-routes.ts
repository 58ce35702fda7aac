import type { Request, Response } from 'express';
import type { Principal } from '@wharf/auth';
import {
  openUploadBody,
  PackageDownloadService,
  serveFile,
  UserEntity,
} from '@wharf/packages-core';
import {
  checkFileName,
  checkRevision,
  PACKAGE_ID,
  PACKAGE_REVISION,
  PackageRevisionRef,
  RecipeRef,
  recipeRef,
  RecipeRevisionRef,
} from './conan.metadata';
import { ConanService, FileTarget } from './conan.service';

/*
 * What the v1 and v2 controllers share: reading a reference from route parameters
 * through the grammars (docs/protocols/conan.md §1), and moving a file's bytes.
 */

export type Params = Record<string, string>;

/** The recipe of a route, each coordinate through its grammar. */
export function routeRecipe(p: Params): RecipeRef {
  return recipeRef(p.name, p.version, p.user, p.channel);
}

export function routeRecipeRevision(p: Params, revision = p.rrev): RecipeRevisionRef {
  return { ...routeRecipe(p), revision: checkRevision(revision) };
}

export function routePackageRevision(p: Params, rrev = p.rrev, prev = p.prev): PackageRevisionRef {
  return {
    recipe: routeRecipeRevision(p, rrev),
    packageId: checkRevision(p.pkg, PACKAGE_ID),
    revision: checkRevision(prev, PACKAGE_REVISION),
  };
}

export function recipeTarget(p: Params, rrev = p.rrev): FileTarget {
  const ref = routeRecipeRevision(p, rrev);
  return { kind: 'recipe', ref, file: checkFileName(p.file, 'recipe') };
}

export function packageTarget(p: Params, rrev = p.rrev, prev = p.prev): FileTarget {
  const ref = routePackageRevision(p, rrev, prev);
  return { kind: 'package', ref, file: checkFileName(p.file, 'package') };
}

/** A stored file, streamed (Range, HEAD, ETag); downloading conanfile.py counts a download. */
export async function sendConanFile(
  req: Request,
  res: Response,
  downloads: PackageDownloadService,
  conan: ConanService,
  owner: UserEntity,
  target: FileTarget,
): Promise<void> {
  const { file, blob } = await conan.findFile(owner, target);
  await serveFile(req, res, downloads, file, blob, {
    contentType: 'application/octet-stream',
    countDownload: true,
  });
}

/** A PUT body into the target, with the `X-Checksum-Sha1` Conan sends beside it. */
export async function receiveConanFile(
  req: Request,
  conan: ConanService,
  owner: UserEntity,
  principal: Principal,
  target: FileTarget,
): Promise<void> {
  const sha1 = req.headers['x-checksum-sha1'];
  const body = await openUploadBody(req);
  await conan.upload(
    owner,
    principal.user.id,
    target,
    body.stream,
    body.declaredSize,
    typeof sha1 === 'string' ? sha1 : undefined,
  );
}
