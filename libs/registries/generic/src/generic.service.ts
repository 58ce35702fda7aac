import { Injectable } from '@nestjs/common';
import type { Readable } from 'node:stream';
import {
  AppConfig,
  IngestService,
  PackageBlobEntity,
  PackageFileEntity,
  PackageQueryService,
  PackageService,
  PackageType,
  RegistryError,
  UserEntity,
} from '@wharf/packages-core';
import { assertGenericFilename, assertGenericName, assertGenericVersion } from './generic.metadata';

export interface GenericCoordinates {
  name: string;
  version: string;
  filename: string;
}

/** A stored file found for download. */
export interface GenericFile {
  file: PackageFileEntity;
  blob: PackageBlobEntity;
}

/** The generic format's rules (docs/protocols/generic.md §3): one lead file per upload, no overwrite. */
@Injectable()
export class GenericService {
  constructor(
    private readonly config: AppConfig,
    private readonly ingest: IngestService,
    private readonly packages: PackageService,
    private readonly query: PackageQueryService,
  ) {}

  /** Checks the names before a byte of the body is read. */
  validate(c: GenericCoordinates): void {
    assertGenericName(c.name);
    assertGenericFilename(c.filename);
    assertGenericVersion(c.version);
  }

  /** Stores a file in a version (created if needed); 409 when the version has a file of that name. */
  async upload(
    owner: UserEntity,
    creatorId: number,
    c: GenericCoordinates,
    body: Readable,
    declaredSize?: number,
  ): Promise<void> {
    const staged = await this.ingest.ingest(body, {
      limit: this.config.sizeLimit(PackageType.Generic),
      declaredSize,
      quotaOwnerId: owner.id,
    });
    await this.packages.createOrAddFile(
      { ownerId: owner.id, type: PackageType.Generic, name: c.name },
      { version: c.version, creatorId },
      // Every generic file is a lead file: each download counts (Forgejo).
      { name: c.filename, blob: staged, isLead: true },
    );
  }

  async findFile(owner: UserEntity, c: GenericCoordinates): Promise<GenericFile> {
    const found = await this.query.findVersionByName(
      owner.id,
      PackageType.Generic,
      c.name,
      c.version,
    );
    const file = found && (await this.query.findFile(found.version.id, c.filename));
    const blob = file && (await this.query.getBlob(file.blobId));
    if (!file || !blob)
      throw RegistryError.notFound(`file ${c.filename} of ${c.name} ${c.version} not found`);
    return { file, blob };
  }

  /** Deletes one file; the version goes with its last file. */
  async deleteFile(owner: UserEntity, c: GenericCoordinates): Promise<void> {
    const { file } = await this.findFile(owner, c);
    await this.packages.deleteFile(file.id);
  }

  async deleteVersion(owner: UserEntity, name: string, version: string): Promise<void> {
    const found = await this.query.findVersionByName(owner.id, PackageType.Generic, name, version);
    if (!found) throw RegistryError.notFound(`version ${version} of ${name} not found`);
    await this.packages.deleteVersion(found.version.id);
  }
}
