import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import { bigintNumber } from './column-types';

/** One package: (owner, type, name), the name unique case-insensitively per owner and type. */
@Entity('package')
@Index(['ownerId', 'type', 'lowerName'], { unique: true })
export class PackageEntity {
  @PrimaryGeneratedColumn()
  id: number;

  @Column({ name: 'owner_id', type: 'bigint', transformer: bigintNumber })
  ownerId: number;

  @Index()
  @Column({ type: 'varchar', length: 32 })
  type: string;

  @Column({ type: 'varchar', length: 255 })
  name: string;

  @Index()
  @Column({ name: 'lower_name', type: 'varchar', length: 255 })
  lowerName: string;

  @Column({ name: 'semver_compatible', type: 'boolean', default: false })
  semverCompatible: boolean;

  @Column({ name: 'is_internal', type: 'boolean', default: false })
  isInternal: boolean;

  @Column({ name: 'created_unix', type: 'bigint', transformer: bigintNumber })
  createdUnix: number;
}
