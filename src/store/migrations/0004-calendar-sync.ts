import type { Kysely } from 'kysely';

/**
 * Calendar and task sync (issue 5): the base snapshot of each synced item (the fields both sides
 * agreed on at the last sync, and the iCalendar object as last written or read, so that a write
 * keeps what the CRM does not model), and a mirror of every synced calendar's busy time for
 * free/busy.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('calendar_sync_base')
    .addColumn('pair', 'text', (c) => c.notNull())
    .addColumn('identity', 'text', (c) => c.notNull())
    .addColumn('fields_json', 'text', (c) => c.notNull())
    .addColumn('ical', 'text')
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('calendar_sync_base_pk', ['pair', 'identity'])
    .execute();

  // One row per calendar object of a user's calendars (any calendar, not only the CRM one).
  await db.schema
    .createTable('calendar_mirror')
    .addColumn('user_id', 'text', (c) => c.notNull())
    .addColumn('href', 'text', (c) => c.notNull())
    .addColumn('collection', 'text', (c) => c.notNull())
    .addColumn('etag', 'text', (c) => c.notNull())
    .addColumn('uid', 'text')
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('calendar_mirror_pk', ['user_id', 'href'])
    .execute();
  await db.schema.createIndex('calendar_mirror_collection').on('calendar_mirror').columns(['user_id', 'collection']).execute();

  // Busy periods of those objects, recurrences expanded within a bounded window.
  await db.schema
    .createTable('calendar_busy')
    .addColumn('user_id', 'text', (c) => c.notNull())
    .addColumn('href', 'text', (c) => c.notNull())
    .addColumn('start_at', 'text', (c) => c.notNull())
    .addColumn('end_at', 'text', (c) => c.notNull())
    .addColumn('fb_type', 'text', (c) => c.notNull())
    .execute();
  // Covering: a free/busy query reads only the index.
  await db.schema.createIndex('calendar_busy_user_time').on('calendar_busy').columns(['user_id', 'start_at', 'end_at', 'fb_type']).execute();
  await db.schema.createIndex('calendar_busy_href').on('calendar_busy').columns(['user_id', 'href']).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of ['calendar_busy', 'calendar_mirror', 'calendar_sync_base']) await db.schema.dropTable(table).ifExists().execute();
}
