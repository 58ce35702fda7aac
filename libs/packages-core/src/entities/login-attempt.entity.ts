import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import { bigintNumber } from './column-types';

/**
 * Failed sign-ins of one subject (a hash of user name and client address) in a fixed
 * window. Kept in the database, not in memory, so every replica counts the same failures.
 */
@Entity('login_attempt')
export class LoginAttemptEntity {
  @PrimaryGeneratedColumn()
  id: number;

  @Index({ unique: true })
  @Column({ type: 'varchar', length: 255 })
  subject: string;

  /** Start of the current window, unix seconds. */
  @Column({ name: 'window_unix', type: 'bigint', transformer: bigintNumber })
  windowUnix: number;

  @Column({ type: 'integer', default: 0 })
  failures: number;
}
