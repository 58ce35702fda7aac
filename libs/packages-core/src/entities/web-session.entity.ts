import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { bigintNumber } from './column-types';

/**
 * A signed-in browser. The cookie carries a random token; only its sha256 is stored, so a
 * copy of the table signs nobody in. `passwordStamp` is a hash of the user's password
 * hash when the session began: a password change makes every older session stale.
 */
@Entity('web_session')
export class WebSessionEntity {
  /** hex sha256 of the cookie's token */
  @PrimaryColumn({ type: 'varchar', length: 64 })
  id: string;

  @Index()
  @Column({ name: 'user_id', type: 'bigint', transformer: bigintNumber })
  userId: number;

  /** The session's CSRF token, put in every form and checked on every POST. */
  @Column({ name: 'csrf_token', type: 'varchar', length: 64 })
  csrfToken: string;

  @Column({ name: 'password_stamp', type: 'varchar', length: 64 })
  passwordStamp: string;

  @Column({ name: 'created_unix', type: 'bigint', transformer: bigintNumber })
  createdUnix: number;

  @Index()
  @Column({ name: 'expires_unix', type: 'bigint', transformer: bigintNumber })
  expiresUnix: number;
}
