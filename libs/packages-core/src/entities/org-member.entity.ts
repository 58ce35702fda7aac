import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import { bigintNumber } from './column-types';

export enum OrgRole {
  Read = 'read',
  Write = 'write',
  Admin = 'admin',
}

/** Membership of a user in an organization, with the role that decides package access. */
@Entity('org_member')
@Index(['orgId', 'userId'], { unique: true })
export class OrgMemberEntity {
  @PrimaryGeneratedColumn()
  id: number;

  @Column({ name: 'org_id', type: 'bigint', transformer: bigintNumber })
  orgId: number;

  @Index()
  @Column({ name: 'user_id', type: 'bigint', transformer: bigintNumber })
  userId: number;

  @Column({ type: 'varchar', length: 16 })
  role: OrgRole;

  @Column({ name: 'created_unix', type: 'bigint', transformer: bigintNumber })
  createdUnix: number;
}
