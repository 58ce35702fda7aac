import { MigrationInterface, QueryRunner, Table, TableForeignKey } from 'typeorm';
import { columnBuilder } from './column-builder';

/**
 * The generation counters of generated documents (see DocumentGenerationEntity): one
 * row per (owner, type, scope), the composite primary key being what writers upsert on.
 */
export class DocumentGeneration1796500000000 implements MigrationInterface {
  name = 'DocumentGeneration1796500000000';

  async up(runner: QueryRunner): Promise<void> {
    const c = columnBuilder(runner);
    await runner.createTable(
      new Table({
        name: 'document_generation',
        columns: [
          { ...c.big('owner_id'), isPrimary: true },
          { ...c.str('type', 32), isPrimary: true },
          { ...c.str('scope', 255), isPrimary: true },
          c.big('generation', false, 0),
          c.big('updated_unix'),
        ],
        foreignKeys: [
          new TableForeignKey({
            columnNames: ['owner_id'],
            referencedTableName: 'user',
            referencedColumnNames: ['id'],
            onDelete: 'CASCADE',
          }),
        ],
        engine: c.mysql ? 'InnoDB' : undefined,
      }),
      false,
    );
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.dropTable('document_generation', true);
  }
}
