import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import { bigintNumber } from './column-types';

/**
 * Forgejo's package cleanup rule: one per owner and package type. Versions beyond the
 * `keepCount` newest, not matching `keepPattern`, older than `removeDays` and matching
 * `removePattern` (when set) are removed by the cleanup job. Patterns are matched whole
 * and case-insensitively against the version, or `name/version` with `matchFullName`.
 */
@Entity('package_cleanup_rule')
@Index(['ownerId', 'type'], { unique: true })
export class PackageCleanupRuleEntity {
  @PrimaryGeneratedColumn()
  id: number;

  @Column({ name: 'owner_id', type: 'bigint', transformer: bigintNumber })
  ownerId: number;

  @Column({ type: 'varchar', length: 32 })
  type: string;

  @Column({ type: 'boolean', default: false })
  enabled: boolean;

  @Column({ name: 'keep_count', type: 'integer', default: 0 })
  keepCount: number;

  @Column({ name: 'keep_pattern', type: 'varchar', length: 1024, default: '' })
  keepPattern: string;

  @Column({ name: 'remove_days', type: 'integer', default: 0 })
  removeDays: number;

  @Column({ name: 'remove_pattern', type: 'varchar', length: 1024, default: '' })
  removePattern: string;

  @Column({ name: 'match_full_name', type: 'boolean', default: false })
  matchFullName: boolean;

  @Column({ name: 'created_unix', type: 'bigint', transformer: bigintNumber })
  createdUnix: number;

  @Column({ name: 'updated_unix', type: 'bigint', transformer: bigintNumber })
  updatedUnix: number;
}
