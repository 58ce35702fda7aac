import { Column, Entity, PrimaryColumn } from 'typeorm';
import { bigintNumber } from './column-types';

/**
 * How many times what a generated document shows has changed, per owner, package type
 * and scope (a package's lower-case name, '' for owner-wide documents such as Helm's
 * index.yaml, or whatever extra scope a format bumps). Every write transaction bumps
 * the rows of what it changes, so a replica compares its cached copy's generation with
 * this row and never serves a document older than a committed write.
 */
@Entity('document_generation')
export class DocumentGenerationEntity {
  @PrimaryColumn({ name: 'owner_id', type: 'bigint', transformer: bigintNumber })
  ownerId: number;

  @PrimaryColumn({ type: 'varchar', length: 32 })
  type: string;

  @PrimaryColumn({ type: 'varchar', length: 255 })
  scope: string;

  @Column({ type: 'bigint', default: 0, transformer: bigintNumber })
  generation: number;

  @Column({ name: 'updated_unix', type: 'bigint', transformer: bigintNumber })
  updatedUnix: number;
}
