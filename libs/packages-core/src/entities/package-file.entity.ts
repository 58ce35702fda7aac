import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import { bigintNumber } from './column-types';

/**
 * A named file of a version. The composite key tells apart same-named files of one
 * version (e.g. a distribution and component); '' means none.
 */
@Entity('package_file')
@Index(['versionId', 'lowerName', 'compositeKey'], { unique: true })
export class PackageFileEntity {
  @PrimaryGeneratedColumn()
  id: number;

  @Column({ name: 'version_id', type: 'bigint', transformer: bigintNumber })
  versionId: number;

  @Index()
  @Column({ name: 'blob_id', type: 'bigint', transformer: bigintNumber })
  blobId: number;

  @Column({ type: 'varchar', length: 255 })
  name: string;

  @Column({ name: 'lower_name', type: 'varchar', length: 255 })
  lowerName: string;

  @Column({ name: 'composite_key', type: 'varchar', length: 255, default: '' })
  compositeKey: string;

  /** The primary artifact: downloading it counts as a download of the version. */
  @Column({ name: 'is_lead', type: 'boolean', default: false })
  isLead: boolean;

  @Column({ name: 'created_unix', type: 'bigint', transformer: bigintNumber })
  createdUnix: number;
}
