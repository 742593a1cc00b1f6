import { CompiledQuery, type Insertable, type Kysely } from 'kysely';
import type { Database } from './schema.js';

/**
 * Inserts whose SQL is compiled once. kysely builds and compiles a query tree on every call, which
 * for a wide insert (activities has 31 columns) costs more than SQLite's work: measured, about a
 * fifth of a mail import's store time went to query building. These inserts run for every imported
 * message, always with the same columns, so the SQL kysely generated the first time is kept (per
 * table, column list, row count and conflict clause) and later calls only bind new parameters.
 * The SQL is still kysely's, for whatever dialect the database has.
 */
const compiledByAdapter = new WeakMap<object, Map<string, string>>();

/** SQL text depends on the dialect: one cache per dialect adapter (a transaction shares its database's). */
function cacheOf(db: Kysely<Database>): Map<string, string> {
  const adapter = db.getExecutor().adapter;
  let cache = compiledByAdapter.get(adapter);
  if (cache === undefined) {
    cache = new Map();
    compiledByAdapter.set(adapter, cache);
  }
  return cache;
}

type Row<T extends keyof Database> = Insertable<Database[T]>;

function columnsOf(rows: readonly object[]): string[] | null {
  const columns = Object.keys(rows[0]!);
  for (const row of rows) {
    const keys = Object.keys(row);
    // kysely leaves undefined values out, so such a row has another shape: no shortcut for it.
    if (keys.length !== columns.length || keys.some((key, index) => key !== columns[index] || (row as Record<string, unknown>)[key] === undefined)) return null;
  }
  return columns;
}

/** `insert into table (...) values (...), ...` for rows that all have the same columns. */
export async function insertRows<T extends keyof Database & string>(db: Kysely<Database>, table: T, rows: ReadonlyArray<Row<T>>): Promise<void> {
  if (rows.length === 0) return;
  const columns = columnsOf(rows);
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the row type is checked by the signature
  const build = () => db.insertInto(table).values(rows as any);
  if (columns === null) {
    await build().execute();
    return;
  }
  const key = `insert\u0000${table}\u0000${columns.join(',')}\u0000${rows.length}`;
  const compiled = cacheOf(db);
  let text = compiled.get(key);
  if (text === undefined) {
    text = build().compile().sql;
    compiled.set(key, text);
  }
  await db.executeQuery(CompiledQuery.raw(text, rows.flatMap((row) => columns.map((column) => (row as Record<string, unknown>)[column]))));
}

/**
 * `insert ... on conflict (conflict) do update set update = excluded values`: one row, updating the
 * given columns to the row's values when a row with the same conflict key exists.
 */
export async function upsertRow<T extends keyof Database & string>(db: Kysely<Database>, table: T, row: Row<T>, conflict: readonly string[], update: readonly string[]): Promise<void> {
  const columns = columnsOf([row]);
  const values = row as Record<string, unknown>;
  const set = Object.fromEntries(update.map((column) => [column, values[column]]));
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the row type is checked by the signature
  const build = () => db.insertInto(table).values(row as any).onConflict((oc) => oc.columns(conflict as any).doUpdateSet(set as any));
  if (columns === null || update.some((column) => values[column] === undefined)) {
    await build().execute();
    return;
  }
  const key = `upsert\u0000${table}\u0000${columns.join(',')}\u0000${conflict.join(',')}\u0000${update.join(',')}`;
  const compiled = cacheOf(db);
  let text = compiled.get(key);
  if (text === undefined) {
    text = build().compile().sql;
    compiled.set(key, text);
  }
  await db.executeQuery(CompiledQuery.raw(text, [...columns.map((column) => values[column]), ...update.map((column) => values[column])]));
}
