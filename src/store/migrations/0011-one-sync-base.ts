import { sql, type Kysely } from 'kysely';

/**
 * One merge-base table for every DAV pair (issue 13): calendar_sync_base (events and tasks,
 * migration 0004) and contact_sync_base (migration 0005) had one shape, the fields both sides
 * agreed on and the object as the server last held it; the engine now keeps them in `sync_base`,
 * whatever the codec. The pairs of the two tables never collide (`calendar:`/`tasks:` against
 * `contacts:`), so the rows move as they are.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('sync_base')
    .addColumn('pair', 'text', (c) => c.notNull())
    .addColumn('identity', 'text', (c) => c.notNull())
    .addColumn('fields_json', 'text', (c) => c.notNull())
    // The iCalendar object or vCard as last written or read (null until one was).
    .addColumn('data', 'text')
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('sync_base_pk', ['pair', 'identity'])
    .execute();
  await sql`insert into sync_base (pair, identity, fields_json, data, updated_at) select pair, identity, fields_json, ical, updated_at from calendar_sync_base`.execute(db);
  await sql`insert into sync_base (pair, identity, fields_json, data, updated_at) select pair, identity, fields_json, vcard, updated_at from contact_sync_base`.execute(db);
  await db.schema.dropTable('calendar_sync_base').execute();
  await db.schema.dropTable('contact_sync_base').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('calendar_sync_base')
    .addColumn('pair', 'text', (c) => c.notNull())
    .addColumn('identity', 'text', (c) => c.notNull())
    .addColumn('fields_json', 'text', (c) => c.notNull())
    .addColumn('ical', 'text')
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('calendar_sync_base_pk', ['pair', 'identity'])
    .execute();
  await db.schema
    .createTable('contact_sync_base')
    .addColumn('pair', 'text', (c) => c.notNull())
    .addColumn('identity', 'text', (c) => c.notNull())
    .addColumn('fields_json', 'text', (c) => c.notNull())
    .addColumn('vcard', 'text')
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('contact_sync_base_pk', ['pair', 'identity'])
    .execute();
  await sql`insert into contact_sync_base (pair, identity, fields_json, vcard, updated_at) select pair, identity, fields_json, data, updated_at from sync_base where substr(pair, 1, 9) = 'contacts:'`.execute(db);
  await sql`insert into calendar_sync_base (pair, identity, fields_json, ical, updated_at) select pair, identity, fields_json, data, updated_at from sync_base where substr(pair, 1, 9) <> 'contacts:'`.execute(db);
  await db.schema.dropTable('sync_base').execute();
}
