import type { StagedContent } from '../ingest/ingest.service';
import type { PackageType } from './package-type';

/** Property values by name (`npm.tag`, `container.digest`…); a list adds several rows. */
export type PropertyMap = Record<string, string | readonly string[]>;

export interface PackageSpec {
  ownerId: number;
  type: PackageType;
  name: string;
  semverCompatible?: boolean;
  isInternal?: boolean;
  /** Set only when the package is first created. */
  properties?: PropertyMap;
}

export interface VersionSpec {
  version: string;
  creatorId: number;
  /** The format's typed metadata, stored as JSON. */
  metadata?: unknown;
  isInternal?: boolean;
  properties?: PropertyMap;
}

export interface FileSpec {
  name: string;
  /** Tells apart same-named files of one version; '' (default) = none. Case-sensitive. */
  compositeKey?: string;
  isLead?: boolean;
  properties?: PropertyMap;
  /** Replace a file of the same name and key instead of failing with a conflict. */
  overwrite?: boolean;
  /**
   * New bytes from IngestService (with every digest, or with sha256 only when the format
   * serves no other), or a blob already stored (by id).
   */
  blob: StagedContent | { blobId: number };
}
