import { MigrationInterface, QueryRunner, Table, TableForeignKey, TableIndex } from 'typeorm';
import { columnBuilder } from './column-builder';

/** Browser sessions of the web interface (WebSessionEntity); deleting the user ends them. */
export class WebSession1797200000000 implements MigrationInterface {
  name = 'WebSession1797200000000';

  async up(runner: QueryRunner): Promise<void> {
    const c = columnBuilder(runner);
    await runner.createTable(
      new Table({
        name: 'web_session',
        columns: [
          { ...c.str('id', 64), isPrimary: true },
          c.big('user_id'),
          c.str('csrf_token', 64),
          c.str('password_stamp', 64),
          c.big('created_unix'),
          c.big('expires_unix'),
        ],
        indices: [
          new TableIndex({ columnNames: ['user_id'] }),
          new TableIndex({ columnNames: ['expires_unix'] }),
        ],
        foreignKeys: [
          new TableForeignKey({
            columnNames: ['user_id'],
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
    await runner.dropTable('web_session', true);
  }
}
