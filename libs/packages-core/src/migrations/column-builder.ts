import type { QueryRunner, TableColumnOptions } from 'typeorm';

/** Column definitions that mean the same on both databases. */
export function columnBuilder(runner: QueryRunner) {
  const mysql =
    runner.connection.options.type === 'mysql' || runner.connection.options.type === 'mariadb';
  const strType = (length: number): Partial<TableColumnOptions> & { type: string } =>
    mysql
      ? { type: 'varchar', length: String(length), charset: 'utf8mb4', collation: 'utf8mb4_bin' }
      : { type: 'varchar', length: String(length) };
  return {
    mysql,
    strType,
    id: (): TableColumnOptions =>
      mysql
        ? {
            name: 'id',
            type: 'bigint',
            isPrimary: true,
            isGenerated: true,
            generationStrategy: 'increment',
          }
        : {
            name: 'id',
            type: 'integer',
            isPrimary: true,
            isGenerated: true,
            generationStrategy: 'increment',
          },
    str: (name: string, length: number, dflt?: string): TableColumnOptions => ({
      name,
      ...strType(length),
      isNullable: false,
      ...(dflt !== undefined ? { default: `'${dflt}'` } : {}),
    }),
    text: (name: string, nullable = false): TableColumnOptions => ({
      name,
      type: mysql ? 'longtext' : 'text',
      isNullable: nullable,
      ...(mysql ? { charset: 'utf8mb4', collation: 'utf8mb4_bin' } : {}),
    }),
    big: (name: string, nullable = false, dflt?: number): TableColumnOptions => ({
      name,
      type: 'bigint',
      isNullable: nullable,
      ...(dflt !== undefined ? { default: dflt } : {}),
    }),
    int: (name: string, dflt?: number): TableColumnOptions => ({
      name,
      type: 'integer',
      isNullable: false,
      ...(dflt !== undefined ? { default: dflt } : {}),
    }),
    bool: (name: string, dflt: boolean): TableColumnOptions => ({
      name,
      type: 'boolean',
      isNullable: false,
      default: dflt ? 1 : 0,
    }),
  };
}
