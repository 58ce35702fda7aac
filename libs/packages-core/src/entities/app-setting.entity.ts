import { Column, Entity, PrimaryColumn } from 'typeorm';

/** Site-wide values every replica must agree on (e.g. the generated signing secret). */
@Entity('app_setting')
export class AppSettingEntity {
  @PrimaryColumn({ type: 'varchar', length: 128 })
  name: string;

  @Column({ type: 'text' })
  value: string;
}
