import type { Kysely } from 'kysely';

/**
 * The reminder of an appointment or meeting: minutes before the start (RFC 5545 §3.6.6 VALARM with a
 * start-relative TRIGGER), synced with the bridge's own alarm in the user's CRM calendar. Null: none.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('activities').addColumn('reminder_minutes', 'integer').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('activities').dropColumn('reminder_minutes').execute();
}
