import { Column, Entity, PrimaryColumn } from 'typeorm';
import { bigintNumber } from './column-types';

/**
 * A named value attached to one user, as Forgejo's `user_setting` table keeps them: what
 * belongs to an account but not to every account (a Chef public key, `chef.public_pem`).
 * Names are namespaced constants of whoever owns the value; the row goes with the user.
 */
@Entity('user_setting')
export class UserSettingEntity {
  @PrimaryColumn({ name: 'user_id', type: 'bigint', transformer: bigintNumber })
  userId: number;

  @PrimaryColumn({ name: 'setting_key', type: 'varchar', length: 255 })
  key: string;

  @Column({ name: 'setting_value', type: 'text' })
  value: string;

  @Column({ name: 'updated_unix', type: 'bigint', transformer: bigintNumber })
  updatedUnix: number;
}
