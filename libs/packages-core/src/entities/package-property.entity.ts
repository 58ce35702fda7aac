import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import { bigintNumber } from './column-types';

export enum PropertyRefType {
  Version = 0,
  File = 1,
  Package = 2,
}

/** A searchable name/value on a package, version or file (names like `npm.tag`). */
@Entity('package_property')
@Index(['refType', 'refId'])
export class PackagePropertyEntity {
  @PrimaryGeneratedColumn()
  id: number;

  @Column({ name: 'ref_type', type: 'integer' })
  refType: PropertyRefType;

  @Column({ name: 'ref_id', type: 'bigint', transformer: bigintNumber })
  refId: number;

  @Index()
  @Column({ type: 'varchar', length: 255 })
  name: string;

  @Column({ type: 'text' })
  value: string;
}
