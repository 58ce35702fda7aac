import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import { bigintNumber } from './column-types';

export enum OwnerKind {
  User = 0,
  Organization = 1,
}

export enum Visibility {
  Public = 0,
  Limited = 1,
  Private = 2,
}

/**
 * An owner: a user or an organization. Both share this table so that one name is unique,
 * case-insensitively (`lower_name`), across the two.
 */
@Entity('user')
export class UserEntity {
  @PrimaryGeneratedColumn()
  id: number;

  @Column({ type: 'varchar', length: 64 })
  name: string;

  @Index({ unique: true })
  @Column({ name: 'lower_name', type: 'varchar', length: 64 })
  lowerName: string;

  @Column({ name: 'full_name', type: 'varchar', length: 255, default: '' })
  fullName: string;

  @Column({ type: 'varchar', length: 255, default: '' })
  email: string;

  /** scrypt hash in PHC-like form; empty for organizations. */
  @Column({ name: 'password_hash', type: 'varchar', length: 255, default: '' })
  passwordHash: string;

  @Column({ type: 'integer', default: OwnerKind.User })
  kind: OwnerKind;

  @Column({ type: 'integer', default: Visibility.Public })
  visibility: Visibility;

  @Column({ name: 'is_admin', type: 'boolean', default: false })
  isAdmin: boolean;

  @Column({ name: 'is_active', type: 'boolean', default: true })
  isActive: boolean;

  @Column({ name: 'must_change_password', type: 'boolean', default: false })
  mustChangePassword: boolean;

  @Column({ name: 'created_unix', type: 'bigint', transformer: bigintNumber })
  createdUnix: number;

  @Column({ name: 'updated_unix', type: 'bigint', transformer: bigintNumber })
  updatedUnix: number;
}
