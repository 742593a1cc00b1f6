import { sql, type Kysely } from 'kysely';

/**
 * How far a task is done (RFC 5545 §3.8.1.8 PERCENT-COMPLETE, 0-100), synced with the VTODO in the
 * user's task list. Null: not stated. Completed tasks are 100 %, as the repository keeps them from now on.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('activities').addColumn('percent_complete', 'integer').execute();
  await sql`update activities set percent_complete = 100 where kind in ('task', 'follow_up') and status = 'completed'`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('activities').dropColumn('percent_complete').execute();
}
