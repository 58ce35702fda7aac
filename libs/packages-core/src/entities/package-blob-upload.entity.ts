import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { bigintNumber } from './column-types';

/**
 * An upload in progress: an ingest staging object, or a resumable (container) upload
 * session. Its staging object is `uploads/<id>`. Rows whose `updated_unix` is older than
 * the session TTL are abandoned; the cleanup job deletes them and their objects.
 */
@Entity('package_blob_upload')
export class PackageBlobUploadEntity {
  @PrimaryColumn({ type: 'varchar', length: 32 })
  id: string;

  @Column({ name: 'bytes_received', type: 'bigint', default: 0, transformer: bigintNumber })
  bytesReceived: number;

  /** Serialized hash state, so hashing resumes across chunks on any replica. */
  @Column({ name: 'hash_state', type: 'text', nullable: true })
  hashState: string | null;

  /** Free-form owner of the session (e.g. `container:<owner>/<image>`), for routing checks. */
  @Column({ type: 'varchar', length: 255, default: '' })
  purpose: string;

  @Column({ name: 'created_unix', type: 'bigint', transformer: bigintNumber })
  createdUnix: number;

  @Index()
  @Column({ name: 'updated_unix', type: 'bigint', transformer: bigintNumber })
  updatedUnix: number;
}
