import type { Kysely } from 'kysely';

/**
 * Free/busy lookups (GET /api/v1/freebusy, /freebusy/<user>.vfb) read a user's appointments by
 * owner and time, and the meetings they attend through activity_parties.user_id; without these
 * indexes each lookup scanned every activity, mail included.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.createIndex('activities_owner_start').on('activities').columns(['owner', 'start_at']).execute();
  await db.schema.createIndex('activity_parties_user').on('activity_parties').column('user_id').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('activity_parties_user').execute();
  await db.schema.dropIndex('activities_owner_start').execute();
}
