import { EntityManager, In } from 'typeorm';
import {
  bumpGenerations,
  DocumentScope,
  OWNER_WIDE_SCOPE,
} from '../documents/document-generations';
import { documentShardOf, shardScope } from '../documents/document-shards';
import {
  PackageEntity,
  PackageFileEntity,
  PackagePropertyEntity,
  PackageVersionEntity,
  PropertyRefType,
} from '../entities';
import { PropertyMap } from './package-specs';

/*
 * Row-level pieces of PackageService's write transactions: each takes the transaction's
 * EntityManager and never opens a transaction of its own.
 */

/**
 * The document scopes one write transaction changed; bumped together at its end (see
 * document-generations.ts). A package's write changes its own scope, its owner's
 * owner-wide scope for that type, and its shard's scope (document-shards.ts).
 */
export class ChangedScopes {
  private readonly scopes: DocumentScope[] = [];

  package(pkg: PackageEntity): void {
    this.add(pkg.ownerId, pkg.type, pkg.lowerName);
    this.add(pkg.ownerId, pkg.type, OWNER_WIDE_SCOPE);
    this.add(pkg.ownerId, pkg.type, shardScope(documentShardOf(pkg.id)));
  }

  add(ownerId: number, type: string, scope: string): void {
    this.scopes.push({ ownerId, type, scope });
  }

  bump(em: EntityManager): Promise<void> {
    return bumpGenerations(em, this.scopes);
  }
}

/** The package a property's row belongs to (a package, a version or a file); null when gone. */
export function packageOfRef(
  em: EntityManager,
  refType: PropertyRefType,
  refId: number,
): Promise<PackageEntity | null> {
  const qb = em.createQueryBuilder(PackageEntity, 'p');
  if (refType === PropertyRefType.Package) return qb.where('p.id = :id', { id: refId }).getOne();
  qb.innerJoin(PackageVersionEntity, 'v', 'v.package_id = p.id');
  if (refType === PropertyRefType.Version) return qb.where('v.id = :id', { id: refId }).getOne();
  return qb
    .innerJoin(PackageFileEntity, 'f', 'f.version_id = v.id')
    .where('f.id = :id', { id: refId })
    .getOne();
}

export async function insertProperties(
  em: EntityManager,
  refType: PropertyRefType,
  refId: number,
  props?: PropertyMap,
): Promise<void> {
  if (!props) return;
  const rows = Object.entries(props).flatMap(([name, value]) =>
    (typeof value === 'string' ? [value] : value).map((v) => ({ refType, refId, name, value: v })),
  );
  if (rows.length) await em.insert(PackagePropertyEntity, rows);
}

/** Deletes versions, their files and all their properties; returns the blob ids freed. */
export async function deleteVersionRows(
  em: EntityManager,
  versionIds: number[],
): Promise<number[]> {
  if (!versionIds.length) return [];
  const files = await em.find(PackageFileEntity, {
    where: { versionId: In(versionIds) },
    select: { id: true, blobId: true },
  });
  if (files.length) {
    await em.delete(PackagePropertyEntity, {
      refType: PropertyRefType.File,
      refId: In(files.map((f) => f.id)),
    });
    await em.delete(PackageFileEntity, { id: In(files.map((f) => f.id)) });
  }
  await em.delete(PackagePropertyEntity, {
    refType: PropertyRefType.Version,
    refId: In(versionIds),
  });
  await em.delete(PackageVersionEntity, { id: In(versionIds) });
  return files.map((f) => f.blobId);
}

/** Replaces every property of one name on a row, marking the row's package as changed. */
export async function setPropertyIn(
  em: EntityManager,
  changed: ChangedScopes,
  refType: PropertyRefType,
  refId: number,
  name: string,
  values: string[],
): Promise<void> {
  await em.delete(PackagePropertyEntity, { refType, refId, name });
  await insertProperties(em, refType, refId, { [name]: values });
  const pkg = await packageOfRef(em, refType, refId);
  if (pkg) changed.package(pkg);
}
