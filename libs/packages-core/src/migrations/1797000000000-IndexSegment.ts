import { MigrationInterface, QueryRunner, Table, TableForeignKey, TableIndex } from 'typeorm';
import { columnBuilder } from './column-builder';

/**
 * The segments of append-only repository indexes (see IndexSegmentEntity and
 * documents/index-log.ts). Both foreign keys point at package_file: deleting a file by
 * any path removes its segment (CASCADE) and marks the segment after it (SET NULL).
 */
export class IndexSegment1797000000000 implements MigrationInterface {
  name = 'IndexSegment1797000000000';

  async up(runner: QueryRunner): Promise<void> {
    const c = columnBuilder(runner);
    await runner.createTable(
      new Table({
        name: 'index_segment',
        columns: [
          c.id(),
          c.big('owner_id'),
          c.str('type', 32),
          c.str('log', 255),
          c.big('seq'),
          c.big('file_id'),
          c.big('prev_file_id', true),
          c.bool('is_first', false),
          { name: 'body', type: c.mysql ? 'longblob' : 'blob', isNullable: false },
          c.text('state'),
          c.big('updated_unix'),
        ],
        indices: [
          new TableIndex({
            name: 'UQ_index_segment_seq',
            columnNames: ['owner_id', 'type', 'log', 'seq'],
            isUnique: true,
          }),
          new TableIndex({
            // Covers the broken-chain probe (documents/index-log.ts) as a seek: without
            // is_first and seq in it, SQLite answers MIN(seq) by walking the seq index.
            name: 'IDX_index_segment_prev',
            columnNames: ['owner_id', 'type', 'log', 'prev_file_id', 'is_first', 'seq'],
          }),
          new TableIndex({ name: 'IDX_index_segment_file', columnNames: ['file_id'] }),
        ],
        foreignKeys: [
          new TableForeignKey({
            columnNames: ['owner_id'],
            referencedTableName: 'user',
            referencedColumnNames: ['id'],
            onDelete: 'CASCADE',
          }),
          new TableForeignKey({
            columnNames: ['file_id'],
            referencedTableName: 'package_file',
            referencedColumnNames: ['id'],
            onDelete: 'CASCADE',
          }),
          new TableForeignKey({
            columnNames: ['prev_file_id'],
            referencedTableName: 'package_file',
            referencedColumnNames: ['id'],
            onDelete: 'SET NULL',
          }),
        ],
        engine: c.mysql ? 'InnoDB' : undefined,
      }),
      false,
    );
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.dropTable('index_segment', true);
  }
}
