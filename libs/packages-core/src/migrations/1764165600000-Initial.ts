import {
  MigrationInterface,
  QueryRunner,
  Table,
  TableColumnOptions,
  TableForeignKey,
  TableIndex,
} from 'typeorm';
import { columnBuilder } from './column-builder';

/**
 * The core schema, written once for SQLite and MySQL/MariaDB through TypeORM's schema
 * builder. On MySQL, names compare byte-wise (utf8mb4_bin): case-insensitivity comes
 * only from the stored `lower_*` columns and their unique indexes, as on SQLite.
 */
export class Initial1764165600000 implements MigrationInterface {
  name = 'Initial1764165600000';

  async up(runner: QueryRunner): Promise<void> {
    const c = columnBuilder(runner);
    const table = async (
      name: string,
      columns: TableColumnOptions[],
      indices: TableIndex[] = [],
      foreignKeys: TableForeignKey[] = [],
    ) =>
      runner.createTable(
        new Table({ name, columns, indices, foreignKeys, engine: c.mysql ? 'InnoDB' : undefined }),
        false,
      );
    const fk = (column: string, ref: string, onDelete: 'CASCADE' | 'RESTRICT') =>
      new TableForeignKey({
        columnNames: [column],
        referencedTableName: ref,
        referencedColumnNames: ['id'],
        onDelete,
      });
    const idx = (name: string, columnNames: string[], isUnique = false) =>
      new TableIndex({ name, columnNames, isUnique });

    await table(
      'user',
      [
        c.id(),
        c.str('name', 64),
        c.str('lower_name', 64),
        c.str('full_name', 255, ''),
        c.str('email', 255, ''),
        c.str('password_hash', 255, ''),
        c.int('kind', 0),
        c.int('visibility', 0),
        c.bool('is_admin', false),
        c.bool('is_active', true),
        c.bool('must_change_password', false),
        c.big('created_unix'),
        c.big('updated_unix'),
      ],
      [idx('UQ_user_lower_name', ['lower_name'], true)],
    );

    await table(
      'org_member',
      [c.id(), c.big('org_id'), c.big('user_id'), c.str('role', 16), c.big('created_unix')],
      [
        idx('UQ_org_member_org_user', ['org_id', 'user_id'], true),
        idx('IDX_org_member_user', ['user_id']),
      ],
      [fk('org_id', 'user', 'CASCADE'), fk('user_id', 'user', 'CASCADE')],
    );

    await table(
      'access_token',
      [
        c.id(),
        c.big('user_id'),
        c.str('name', 255),
        c.str('token_hash', 64),
        c.str('token_last_eight', 8),
        c.str('scopes', 255, ''),
        c.big('expires_unix', true),
        c.big('last_used_unix', true),
        c.big('created_unix'),
      ],
      [
        idx('UQ_access_token_hash', ['token_hash'], true),
        idx('UQ_access_token_user_name', ['user_id', 'name'], true),
      ],
      [fk('user_id', 'user', 'CASCADE')],
    );

    await table(
      'package',
      [
        c.id(),
        c.big('owner_id'),
        c.str('type', 32),
        c.str('name', 255),
        c.str('lower_name', 255),
        c.bool('semver_compatible', false),
        c.bool('is_internal', false),
        c.big('created_unix'),
      ],
      [
        idx('UQ_package_owner_type_name', ['owner_id', 'type', 'lower_name'], true),
        idx('IDX_package_type', ['type']),
        idx('IDX_package_lower_name', ['lower_name']),
      ],
      [fk('owner_id', 'user', 'CASCADE')],
    );

    await table(
      'package_version',
      [
        c.id(),
        c.big('package_id'),
        c.big('creator_id', false, 0),
        c.str('version', 255),
        c.str('lower_version', 255),
        c.big('created_unix'),
        c.bool('is_internal', false),
        c.text('metadata_json', true),
        c.big('download_count', false, 0),
      ],
      [
        idx('UQ_package_version_pkg_version', ['package_id', 'lower_version'], true),
        idx('IDX_package_version_created', ['created_unix']),
        idx('IDX_package_version_internal', ['is_internal']),
      ],
      [fk('package_id', 'package', 'CASCADE')],
    );

    await table(
      'package_blob',
      [
        c.id(),
        c.str('storage_id', 32),
        c.big('size'),
        c.str('hash_md5', 32),
        c.str('hash_sha1', 40),
        c.str('hash_sha256', 64),
        c.str('hash_sha512', 128),
        c.big('created_unix'),
      ],
      [
        idx('UQ_package_blob_storage_id', ['storage_id'], true),
        idx('UQ_package_blob_sha256', ['hash_sha256'], true),
        idx('IDX_package_blob_md5', ['hash_md5']),
        idx('IDX_package_blob_sha1', ['hash_sha1']),
        idx('IDX_package_blob_sha512', ['hash_sha512']),
        idx('IDX_package_blob_created', ['created_unix']),
      ],
    );

    await table(
      'package_file',
      [
        c.id(),
        c.big('version_id'),
        c.big('blob_id'),
        c.str('name', 255),
        c.str('lower_name', 255),
        c.str('composite_key', 255, ''),
        c.bool('is_lead', false),
        c.big('created_unix'),
      ],
      [
        idx(
          'UQ_package_file_version_name_key',
          ['version_id', 'lower_name', 'composite_key'],
          true,
        ),
        idx('IDX_package_file_blob', ['blob_id']),
      ],
      [fk('version_id', 'package_version', 'CASCADE'), fk('blob_id', 'package_blob', 'RESTRICT')],
    );

    await table(
      'package_property',
      [c.id(), c.int('ref_type'), c.big('ref_id'), c.str('name', 255), c.text('value')],
      [
        idx('IDX_package_property_ref', ['ref_type', 'ref_id']),
        idx('IDX_package_property_name', ['name']),
      ],
    );

    await table(
      'package_blob_upload',
      [
        { name: 'id', ...c.strType(32), isPrimary: true },
        c.big('bytes_received', false, 0),
        c.text('hash_state', true),
        c.str('purpose', 255, ''),
        c.big('created_unix'),
        c.big('updated_unix'),
      ],
      [idx('IDX_package_blob_upload_updated', ['updated_unix'])],
    );

    await table('app_setting', [
      { name: 'name', ...c.strType(128), isPrimary: true },
      c.text('value'),
    ]);

    await table(
      'login_attempt',
      [c.id(), c.str('subject', 255), c.big('window_unix'), c.int('failures', 0)],
      [idx('UQ_login_attempt_subject', ['subject'], true)],
    );
  }

  async down(runner: QueryRunner): Promise<void> {
    for (const name of [
      'login_attempt',
      'app_setting',
      'package_blob_upload',
      'package_property',
      'package_file',
      'package_blob',
      'package_version',
      'package',
      'access_token',
      'org_member',
      'user',
    ]) {
      await runner.dropTable(name, true);
    }
  }
}
