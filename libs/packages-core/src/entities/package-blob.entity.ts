import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import { bigintNumber } from './column-types';

/** Content-addressed bytes, stored once per sha256 however many files reference them. */
@Entity('package_blob')
export class PackageBlobEntity {
  @PrimaryGeneratedColumn()
  id: number;

  /** Generated id the storage key is built from (see blob-keys.ts). */
  @Index({ unique: true })
  @Column({ name: 'storage_id', type: 'varchar', length: 32 })
  storageId: string;

  @Column({ type: 'bigint', transformer: bigintNumber })
  size: number;

  @Index()
  @Column({ name: 'hash_md5', type: 'varchar', length: 32 })
  hashMd5: string;

  @Index()
  @Column({ name: 'hash_sha1', type: 'varchar', length: 40 })
  hashSha1: string;

  @Index({ unique: true })
  @Column({ name: 'hash_sha256', type: 'varchar', length: 64 })
  hashSha256: string;

  @Index()
  @Column({ name: 'hash_sha512', type: 'varchar', length: 128 })
  hashSha512: string;

  @Index()
  @Column({ name: 'created_unix', type: 'bigint', transformer: bigintNumber })
  createdUnix: number;
}
