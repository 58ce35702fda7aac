import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import { bigintNumber } from './column-types';

/** One version of a package; `metadata_json` holds the format's typed metadata. */
@Entity('package_version')
@Index(['packageId', 'lowerVersion'], { unique: true })
@Index('IDX_package_version_listing', ['packageId', 'isInternal', 'createdUnix'])
export class PackageVersionEntity {
  @PrimaryGeneratedColumn()
  id: number;

  @Column({ name: 'package_id', type: 'bigint', transformer: bigintNumber })
  packageId: number;

  /** 0 when the creator is unknown or deleted ("ghost"). */
  @Column({ name: 'creator_id', type: 'bigint', default: 0, transformer: bigintNumber })
  creatorId: number;

  @Column({ type: 'varchar', length: 255 })
  version: string;

  @Column({ name: 'lower_version', type: 'varchar', length: 255 })
  lowerVersion: string;

  @Index()
  @Column({ name: 'created_unix', type: 'bigint', transformer: bigintNumber })
  createdUnix: number;

  @Column({ name: 'is_internal', type: 'boolean', default: false })
  isInternal: boolean;

  @Column({ name: 'metadata_json', type: 'text', nullable: true })
  metadataJson: string | null;

  @Column({ name: 'download_count', type: 'bigint', default: 0, transformer: bigintNumber })
  downloadCount: number;
}
