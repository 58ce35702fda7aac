import { MigrationInterface, QueryRunner, Table, TableForeignKey } from 'typeorm';
import { columnBuilder } from './column-builder';

/**
 * Per-user settings (UserSettingEntity): one row per (user, key), the composite primary
 * key being what a write upserts on; deleting the user deletes them.
 */
export class UserSetting1796800000000 implements MigrationInterface {
  name = 'UserSetting1796800000000';

  async up(runner: QueryRunner): Promise<void> {
    const c = columnBuilder(runner);
    await runner.createTable(
      new Table({
        name: 'user_setting',
        columns: [
          { ...c.big('user_id'), isPrimary: true },
          { ...c.str('setting_key', 255), isPrimary: true },
          c.text('setting_value'),
          c.big('updated_unix'),
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
    await runner.dropTable('user_setting', true);
  }
}
