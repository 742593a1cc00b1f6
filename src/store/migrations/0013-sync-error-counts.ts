import { sql, type Kysely } from 'kysely';

/**
 * One sync_errors row per problem (issue 16): a source whose password is wrong made a row on every
 * pass. A problem is (source, item, code); `item_key` is the item ref, or '' for the whole source
 * (a unique index treats NULLs as distinct). A row counts its occurrences between `first_seen` and
 * `at` (the last time); `resolved_at` is set when the problem went away (the source synced again,
 * or an admin dismissed it) and cleared when it comes back, so the row is history, then current.
 * Existing duplicates are merged into their latest row.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('sync_errors').addColumn('item_key', 'text', (c) => c.notNull().defaultTo('')).execute();
  await db.schema.alterTable('sync_errors').addColumn('first_seen', 'text').execute();
  await db.schema.alterTable('sync_errors').addColumn('count', 'integer', (c) => c.notNull().defaultTo(1)).execute();
  await db.schema.alterTable('sync_errors').addColumn('resolved_at', 'text').execute();
  await sql`UPDATE sync_errors SET item_key = COALESCE(item_ref, ''), first_seen = at`.execute(db);
  const sameProblem = sql`e.source = sync_errors.source AND e.item_key = sync_errors.item_key AND e.code = sync_errors.code`;
  await sql`UPDATE sync_errors SET
      count = (SELECT COUNT(*) FROM sync_errors e WHERE ${sameProblem}),
      first_seen = (SELECT MIN(e.at) FROM sync_errors e WHERE ${sameProblem})`.execute(db);
  await sql`DELETE FROM sync_errors WHERE id < (SELECT MAX(e.id) FROM sync_errors e WHERE ${sameProblem})`.execute(db);
  await db.schema.createIndex('sync_errors_problem').on('sync_errors').columns(['source', 'item_key', 'code']).unique().execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('sync_errors_problem').execute();
  for (const column of ['resolved_at', 'count', 'first_seen', 'item_key']) await db.schema.alterTable('sync_errors').dropColumn(column).execute();
}
