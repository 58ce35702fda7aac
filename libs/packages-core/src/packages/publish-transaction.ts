import type { IndexLogSpec } from '../documents/index-log';
import type {
  PackageEntity,
  PackageFileEntity,
  PackageVersionEntity,
  PropertyRefType,
} from '../entities';

export interface PublishResult {
  package: PackageEntity;
  version: PackageVersionEntity;
  file: PackageFileEntity;
  /** True when this call created the version. */
  createdVersion: boolean;
}

/**
 * What a publish hook may do inside the publish's transaction. Use these, never other
 * PackageService calls: those open transactions of their own (and on SQLite would wait
 * for this one to end).
 */
export interface PublishTransaction {
  readonly package: PackageEntity;
  readonly version: PackageVersionEntity;
  /** The file published; absent for {@link PackageService.createVersion}. */
  readonly file?: PackageFileEntity;
  readonly createdVersion: boolean;
  /** Replaces every property of one name on a row, as {@link PackageService.setProperty}. */
  setProperty(
    refType: PropertyRefType,
    refId: number,
    name: string,
    values: string[],
  ): Promise<void>;
  /** Replaces this publish's version's metadata JSON (e.g. a re-uploaded chart's). */
  setVersionMetadata(metadata: unknown): Promise<void>;
  /** Marks one more document scope of this owner and type as changed (e.g. a repository index). */
  bumpScope(scope: string): void;
  /**
   * Appends this publish's file to the owner's append-only index `log` of this type, with
   * one fragment per stream of `spec` (documents/index-log.ts); it commits with the file.
   */
  appendToIndexLog(log: string, spec: IndexLogSpec, fragments: Buffer[]): Promise<void>;
}

export interface PublishOptions {
  /**
   * Runs last inside the publish's transaction: what it writes commits with the version,
   * and when it throws nothing of the publish is kept (no row, no blob).
   */
  inTransaction?: (tx: PublishTransaction) => Promise<void>;
}
