import { PostgresAdapter, type ColumnDefinitionBuilder, type Kysely } from 'kysely';

/**
 * The only place that knows which SQL dialect is in use. Migrations and repositories ask here
 * instead of writing dialect-specific SQL, so a Postgres dialect needs changes only in this file
 * and in database.ts.
 */
export function isPostgres(db: Kysely<unknown>): boolean {
  return db.getExecutor().adapter instanceof PostgresAdapter;
}

/** Column type for an auto-incrementing integer key: `integer ... autoincrement` vs `serial`. */
export function autoIncrementType(db: Kysely<unknown>): 'integer' | 'serial' {
  return isPostgres(db) ? 'serial' : 'integer';
}

export function autoIncrementKey(db: Kysely<unknown>) {
  return (column: ColumnDefinitionBuilder) => (isPostgres(db) ? column.primaryKey() : column.primaryKey().autoIncrement());
}
