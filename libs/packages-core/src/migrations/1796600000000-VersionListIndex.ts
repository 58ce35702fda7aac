import { MigrationInterface, QueryRunner, TableIndex } from 'typeorm';

/**
 * Listing one package's versions (`WHERE package_id = ? AND is_internal = ?`, oldest first)
 * is what every index build does. With only a one-column index on `is_internal`, SQLite's
 * planner picked it and scanned every version of every package of the instance, so one
 * crate's or chart's index grew slower with the owner's other packages. A composite index
 * serves the lookup and its order; the flag-only index goes.
 */
export class VersionListIndex1796600000000 implements MigrationInterface {
  name = 'VersionListIndex1796600000000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.dropIndex('package_version', 'IDX_package_version_internal');
    await runner.createIndex(
      'package_version',
      new TableIndex({
        name: 'IDX_package_version_listing',
        columnNames: ['package_id', 'is_internal', 'created_unix'],
      }),
    );
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.dropIndex('package_version', 'IDX_package_version_listing');
    await runner.createIndex(
      'package_version',
      new TableIndex({ name: 'IDX_package_version_internal', columnNames: ['is_internal'] }),
    );
  }
}
