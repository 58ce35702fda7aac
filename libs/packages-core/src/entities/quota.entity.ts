import { Column, Entity, PrimaryColumn } from 'typeorm';
import { bigintNumber } from './column-types';

/**
 * A quota rule as Forgejo keeps it: a byte limit (`-1` = none) over a set of subjects
 * (`size:all`, `size:assets:all`, `size:assets:packages:all` in Wharf, which stores only
 * packages). Rules take effect through the groups they belong to.
 */
@Entity('quota_rule')
export class QuotaRuleEntity {
  @PrimaryColumn({ type: 'varchar', length: 255 })
  name: string;

  /** `limit` is a reserved word in SQL, hence the column name. */
  @Column({ name: 'limit_bytes', type: 'bigint', transformer: bigintNumber })
  limit: number;

  /** JSON array of subject names, in the order given. */
  @Column({ name: 'subjects_json', type: 'text' })
  subjectsJson: string;
}

/** A named set of rules that owners (users and organizations) are mapped to. */
@Entity('quota_group')
export class QuotaGroupEntity {
  @PrimaryColumn({ type: 'varchar', length: 255 })
  name: string;
}

/** Rule membership of a group; both go away with either side. */
@Entity('quota_group_rule')
export class QuotaGroupRuleEntity {
  @PrimaryColumn({ name: 'group_name', type: 'varchar', length: 255 })
  groupName: string;

  @PrimaryColumn({ name: 'rule_name', type: 'varchar', length: 255 })
  ruleName: string;
}

/** An owner in a group (Forgejo's `quota_group_mapping` of kind user; organizations are users). */
@Entity('quota_group_mapping')
export class QuotaGroupMappingEntity {
  @PrimaryColumn({ name: 'group_name', type: 'varchar', length: 255 })
  groupName: string;

  @PrimaryColumn({ name: 'user_id', type: 'bigint', transformer: bigintNumber })
  userId: number;
}
