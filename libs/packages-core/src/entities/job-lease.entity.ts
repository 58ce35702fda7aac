import { Column, Entity, PrimaryColumn } from 'typeorm';
import { bigintNumber } from './column-types';

/**
 * Who runs a periodic job across replicas: the holder until `expires_unix`, renewed while
 * it works. A holder that dies stops renewing, and the lease passes to the next replica
 * that asks once it has expired.
 */
@Entity('job_lease')
export class JobLeaseEntity {
  @PrimaryColumn({ type: 'varchar', length: 64 })
  name: string;

  @Column({ type: 'varchar', length: 64 })
  holder: string;

  @Column({ name: 'expires_unix', type: 'bigint', transformer: bigintNumber })
  expiresUnix: number;
}
