import type { Kysely } from 'kysely';

/**
 * Mail ingestion (issue 3): the per-message sync status of every IMAP message the bridge has looked
 * at, the folders that stand for a regarding record (`CRM/<account or opportunity>`), and the
 * classification of mail activities (auto-reply, out-of-office, bounce).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('mail_messages')
    .addColumn('source_id', 'text', (c) => c.notNull())
    .addColumn('folder', 'text', (c) => c.notNull())
    .addColumn('uid_validity', 'text', (c) => c.notNull())
    .addColumn('uid', 'integer', (c) => c.notNull())
    .addColumn('message_key', 'text')
    .addColumn('flags_json', 'text', (c) => c.notNull())
    .addColumn('modseq', 'text')
    .addColumn('activity_id', 'text')
    .addColumn('tracked_by', 'text')
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('last_error', 'text')
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('mail_messages_pk', ['source_id', 'folder', 'uid_validity', 'uid'])
    .execute();
  await db.schema.createIndex('mail_messages_key').on('mail_messages').columns(['source_id', 'message_key']).execute();
  await db.schema.createIndex('mail_messages_activity').on('mail_messages').column('activity_id').execute();
  await db.schema.createIndex('mail_messages_state').on('mail_messages').columns(['source_id', 'state']).execute();

  await db.schema
    .createTable('mail_folder_links')
    .addColumn('source_id', 'text', (c) => c.notNull())
    .addColumn('folder', 'text', (c) => c.notNull())
    .addColumn('regarding_type', 'text', (c) => c.notNull())
    .addColumn('regarding_id', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('mail_folder_links_pk', ['source_id', 'folder'])
    .execute();

  await db.schema.alterTable('activities').addColumn('classification', 'text').execute();
  await db.schema.alterTable('activities').addColumn('message_key', 'text').execute();
  // One activity per e-mail, however many mailboxes hold it (NULLs, i.e. non-mail activities, may repeat).
  await db.schema.createIndex('activities_message_key').unique().on('activities').column('message_key').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('activities_message_key').ifExists().execute();
  await db.schema.alterTable('activities').dropColumn('message_key').execute();
  await db.schema.alterTable('activities').dropColumn('classification').execute();
  await db.schema.dropTable('mail_folder_links').ifExists().execute();
  await db.schema.dropTable('mail_messages').ifExists().execute();
}
