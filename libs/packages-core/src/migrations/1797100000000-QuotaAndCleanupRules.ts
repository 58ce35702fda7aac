import { MigrationInterface, QueryRunner, Table, TableForeignKey, TableIndex } from 'typeorm';
import { columnBuilder } from './column-builder';

const fk = (column: string, table: string, referenced: string) =>
  new TableForeignKey({
    columnNames: [column],
    referencedTableName: table,
    referencedColumnNames: [referenced],
    onDelete: 'CASCADE',
  });

/**
 * Forgejo's quota rules and groups (with the owners mapped to them), per-owner package
 * cleanup rules, and the lease that lets one replica at a time run the cleanup job
 * (docs/protocols/core.md §8, §9).
 */
export class QuotaAndCleanupRules1797100000000 implements MigrationInterface {
  name = 'QuotaAndCleanupRules1797100000000';

  async up(runner: QueryRunner): Promise<void> {
    const c = columnBuilder(runner);
    const engine = c.mysql ? 'InnoDB' : undefined;
    await runner.createTable(
      new Table({
        name: 'quota_rule',
        columns: [
          { ...c.str('name', 255), isPrimary: true },
          c.big('limit_bytes'),
          c.text('subjects_json'),
        ],
        engine,
      }),
      false,
    );
    await runner.createTable(
      new Table({
        name: 'quota_group',
        columns: [{ ...c.str('name', 255), isPrimary: true }],
        engine,
      }),
      false,
    );
    await runner.createTable(
      new Table({
        name: 'quota_group_rule',
        columns: [
          { ...c.str('group_name', 255), isPrimary: true },
          { ...c.str('rule_name', 255), isPrimary: true },
        ],
        indices: [new TableIndex({ columnNames: ['rule_name'] })],
        foreignKeys: [
          fk('group_name', 'quota_group', 'name'),
          fk('rule_name', 'quota_rule', 'name'),
        ],
        engine,
      }),
      false,
    );
    await runner.createTable(
      new Table({
        name: 'quota_group_mapping',
        columns: [
          { ...c.str('group_name', 255), isPrimary: true },
          { ...c.big('user_id'), isPrimary: true },
        ],
        indices: [new TableIndex({ columnNames: ['user_id'] })],
        foreignKeys: [fk('group_name', 'quota_group', 'name'), fk('user_id', 'user', 'id')],
        engine,
      }),
      false,
    );
    await runner.createTable(
      new Table({
        name: 'package_cleanup_rule',
        columns: [
          c.id(),
          c.big('owner_id'),
          c.str('type', 32),
          c.bool('enabled', false),
          c.int('keep_count', 0),
          c.str('keep_pattern', 1024, ''),
          c.int('remove_days', 0),
          c.str('remove_pattern', 1024, ''),
          c.bool('match_full_name', false),
          c.big('created_unix'),
          c.big('updated_unix'),
        ],
        indices: [new TableIndex({ columnNames: ['owner_id', 'type'], isUnique: true })],
        foreignKeys: [fk('owner_id', 'user', 'id')],
        engine,
      }),
      false,
    );
    await runner.createTable(
      new Table({
        name: 'job_lease',
        columns: [
          { ...c.str('name', 64), isPrimary: true },
          c.str('holder', 64),
          c.big('expires_unix'),
        ],
        engine,
      }),
      false,
    );
  }

  async down(runner: QueryRunner): Promise<void> {
    for (const table of [
      'job_lease',
      'package_cleanup_rule',
      'quota_group_mapping',
      'quota_group_rule',
      'quota_group',
      'quota_rule',
    ])
      await runner.dropTable(table, true);
  }
}
