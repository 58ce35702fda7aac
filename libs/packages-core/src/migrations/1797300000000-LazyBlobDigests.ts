import { MigrationInterface, QueryRunner, TableColumn } from 'typeorm';
import { columnBuilder } from './column-builder';

const LAZY: [string, number][] = [
  ['hash_md5', 32],
  ['hash_sha1', 40],
  ['hash_sha512', 128],
];

/**
 * md5, sha1 and sha512 of a blob may be unknown (null): formats that serve sha256 only
 * (container layers) no longer compute them on upload, and the first reader that serves
 * one computes it from the stored bytes (BlobDigestService). On SQLite TypeORM rebuilds
 * the table (foreign keys are off while migrations run); on MySQL it is a MODIFY.
 */
export class LazyBlobDigests1797300000000 implements MigrationInterface {
  name = 'LazyBlobDigests1797300000000';

  async up(runner: QueryRunner): Promise<void> {
    await this.setNullable(runner, true);
  }

  /** Fails while any digest is still unknown: computing them is the server's job, not a migration's. */
  async down(runner: QueryRunner): Promise<void> {
    await this.setNullable(runner, false);
  }

  private async setNullable(runner: QueryRunner, nullable: boolean): Promise<void> {
    const c = columnBuilder(runner);
    const table = await runner.getTable('package_blob');
    if (!table) throw new Error('package_blob is missing');
    await runner.changeColumns(
      table,
      LAZY.map(([name, length]) => ({
        oldColumn: table.findColumnByName(name)!,
        newColumn: new TableColumn({ ...c.str(name, length), isNullable: nullable }),
      })),
    );
  }
}
