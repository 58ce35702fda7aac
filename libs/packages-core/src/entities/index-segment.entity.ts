import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import { bigintNumber } from './column-types';

/**
 * One package file's part of an append-only repository index (documents/index-log.ts):
 * the bytes it adds to each of the index's streams (say, an apt-rpm pkglist and its .xz
 * form) and the running sizes and resumable hash states of those streams after it. A
 * log is (owner, type, log name); `seq` orders its segments, unique so two concurrent
 * appends cannot both follow the same segment.
 *
 * `file_id` cascades: however a file is deleted, its segment goes with it. `prev_file_id`
 * names the file of the segment before this one and is set to NULL when that file is
 * deleted, so a segment whose running state counts a deleted file is found by an index
 * seek (`prev_file_id IS NULL AND is_first = 0`) and recomputed from there.
 */
@Entity('index_segment')
@Index(['ownerId', 'type', 'log', 'seq'], { unique: true })
@Index(['ownerId', 'type', 'log', 'prevFileId', 'isFirst', 'seq'])
export class IndexSegmentEntity {
  @PrimaryGeneratedColumn()
  id: number;

  @Column({ name: 'owner_id', type: 'bigint', transformer: bigintNumber })
  ownerId: number;

  @Column({ type: 'varchar', length: 32 })
  type: string;

  @Column({ type: 'varchar', length: 255 })
  log: string;

  @Column({ type: 'bigint', transformer: bigintNumber })
  seq: number;

  @Index()
  @Column({ name: 'file_id', type: 'bigint', transformer: bigintNumber })
  fileId: number;

  @Column({ name: 'prev_file_id', type: 'bigint', nullable: true, transformer: bigintNumber })
  prevFileId: number | null;

  @Column({ name: 'is_first', type: 'boolean', default: false })
  isFirst: boolean;

  /** The fragments of each stream, length-prefixed (see index-log.ts). */
  @Column({ type: 'blob' })
  body: Buffer;

  /** JSON: segment count, and per stream its size and saved hash states, after this segment. */
  @Column({ type: 'text' })
  state: string;

  @Column({ name: 'updated_unix', type: 'bigint', transformer: bigintNumber })
  updatedUnix: number;
}
