import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import { bigintNumber } from './column-types';

/** A personal access token. Only a hash of the secret is kept; it is shown once. */
@Entity('access_token')
@Index(['userId', 'name'], { unique: true })
export class AccessTokenEntity {
  @PrimaryGeneratedColumn()
  id: number;

  @Column({ name: 'user_id', type: 'bigint', transformer: bigintNumber })
  userId: number;

  @Column({ type: 'varchar', length: 255 })
  name: string;

  /** hex sha256 of the token: tokens are high-entropy, so a fast hash is enough to look them up. */
  @Index({ unique: true })
  @Column({ name: 'token_hash', type: 'varchar', length: 64 })
  tokenHash: string;

  @Column({ name: 'token_last_eight', type: 'varchar', length: 8 })
  tokenLastEight: string;

  /** comma-separated scopes */
  @Column({ type: 'varchar', length: 255, default: '' })
  scopes: string;

  @Column({ name: 'expires_unix', type: 'bigint', nullable: true, transformer: bigintNumber })
  expiresUnix: number | null;

  @Column({ name: 'last_used_unix', type: 'bigint', nullable: true, transformer: bigintNumber })
  lastUsedUnix: number | null;

  @Column({ name: 'created_unix', type: 'bigint', transformer: bigintNumber })
  createdUnix: number;
}
