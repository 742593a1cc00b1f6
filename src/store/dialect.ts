import { PostgresAdapter, type ColumnDefinitionBuilder, type Kysely } from 'kysely';

/**
 * The only place that knows which SQL dialect is in use. Migrations and repositories ask here
 * instead of writing dialect-specific SQL, so a Postgres dialect needs changes only in this file
 * and in database.ts.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- any database's schema
export function isPostgres(db: Kysely<any>): boolean {
  return db.getExecutor().adapter instanceof PostgresAdapter;
}

/** Column type for an auto-incrementing integer key: `integer ... autoincrement` vs `serial`. */
export function autoIncrementType(db: Kysely<unknown>): 'integer' | 'serial' {
  return isPostgres(db) ? 'serial' : 'integer';
}

export function autoIncrementKey(db: Kysely<unknown>) {
  return (column: ColumnDefinitionBuilder) => (isPostgres(db) ? column.primaryKey() : column.primaryKey().autoIncrement());
}

/** An 8-byte float on both: SQLite's `real` is one; Postgres's `real` is 4 bytes (about 7 digits, too few for an amount). */
export function floatType(db: Kysely<unknown>): 'real' | 'double precision' {
  return isPostgres(db) ? 'double precision' : 'real';
}

/** Binary content: SQLite `blob`, Postgres `bytea` (both come back as a Buffer). */
export function binaryType(db: Kysely<unknown>): 'blob' | 'bytea' {
  return isPostgres(db) ? 'bytea' : 'blob';
}
