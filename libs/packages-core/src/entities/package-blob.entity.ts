import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import { bigintNumber } from './column-types';

/**
 * Content-addressed bytes, stored once per sha256 however many files reference them.
 *
 * sha256 is always known. md5, sha1 and sha512 are null for bytes that arrived through a
 * format that needs only sha256 (container layers): they are computed once, from the
 * stored bytes, by the first reader that serves them (BlobDigestService), or filled in
 * when another format commits the same bytes with every digest.
 */
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
  @Column({ name: 'hash_md5', type: 'varchar', length: 32, nullable: true })
  hashMd5: string | null;

  @Index()
  @Column({ name: 'hash_sha1', type: 'varchar', length: 40, nullable: true })
  hashSha1: string | null;

  @Index({ unique: true })
  @Column({ name: 'hash_sha256', type: 'varchar', length: 64 })
  hashSha256: string;

  @Index()
  @Column({ name: 'hash_sha512', type: 'varchar', length: 128, nullable: true })
  hashSha512: string | null;

  @Index()
  @Column({ name: 'created_unix', type: 'bigint', transformer: bigintNumber })
  createdUnix: number;
}
