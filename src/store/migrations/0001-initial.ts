import type { Kysely } from 'kysely';
import { autoIncrementKey, autoIncrementType, floatType } from '../dialect.js';

/** The CRM activity model, the change feed, webhooks and the sync bookkeeping tables. */
export async function up(db: Kysely<unknown>): Promise<void> {
  const serial = autoIncrementType(db);
  const serialKey = autoIncrementKey(db);

  await db.schema
    .createTable('users')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('email', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('credentials')
    .addColumn('owner_type', 'text', (c) => c.notNull())
    .addColumn('owner_id', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('secret', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('credentials_pk', ['owner_type', 'owner_id', 'kind'])
    .execute();

  await db.schema
    .createTable('settings')
    .addColumn('key', 'text', (c) => c.primaryKey())
    .addColumn('value', 'text', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('admin_sessions')
    .addColumn('token_hash', 'text', (c) => c.primaryKey())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'text', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('accounts')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('owner', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('accounts_owner').on('accounts').column('owner').execute();

  await db.schema
    .createTable('account_domains')
    .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
    .addColumn('position', 'integer', (c) => c.notNull())
    .addColumn('domain', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('account_domains_pk', ['account_id', 'position'])
    .execute();
  await db.schema.createIndex('account_domains_domain').on('account_domains').column('domain').execute();

  await db.schema
    .createTable('contacts')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('first_name', 'text')
    .addColumn('last_name', 'text')
    .addColumn('display_name', 'text', (c) => c.notNull())
    .addColumn('company', 'text')
    .addColumn('title', 'text')
    .addColumn('account_id', 'text')
    .addColumn('owner', 'text')
    .addColumn('active', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('contacts_owner').on('contacts').column('owner').execute();
  await db.schema.createIndex('contacts_account').on('contacts').column('account_id').execute();

  await db.schema
    .createTable('contact_emails')
    .addColumn('contact_id', 'text', (c) => c.notNull().references('contacts.id').onDelete('cascade'))
    .addColumn('position', 'integer', (c) => c.notNull())
    .addColumn('email', 'text', (c) => c.notNull())
    .addColumn('email_normalized', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('contact_emails_pk', ['contact_id', 'position'])
    .execute();
  await db.schema.createIndex('contact_emails_email').on('contact_emails').column('email_normalized').execute();

  await db.schema
    .createTable('contact_phones')
    .addColumn('contact_id', 'text', (c) => c.notNull().references('contacts.id').onDelete('cascade'))
    .addColumn('position', 'integer', (c) => c.notNull())
    .addColumn('phone', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('contact_phones_pk', ['contact_id', 'position'])
    .execute();

  await db.schema
    .createTable('leads')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('first_name', 'text')
    .addColumn('last_name', 'text')
    .addColumn('email', 'text')
    .addColumn('email_normalized', 'text')
    .addColumn('company', 'text')
    .addColumn('source', 'text')
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('owner', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('leads_email').on('leads').column('email_normalized').execute();
  await db.schema.createIndex('leads_owner').on('leads').column('owner').execute();

  await db.schema
    .createTable('opportunities')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('account_id', 'text')
    .addColumn('contact_id', 'text')
    .addColumn('stage', 'text', (c) => c.notNull())
    .addColumn('amount', floatType(db))
    .addColumn('currency', 'text')
    .addColumn('close_date', 'text')
    .addColumn('owner', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('opportunities_account').on('opportunities').column('account_id').execute();
  await db.schema.createIndex('opportunities_owner').on('opportunities').column('owner').execute();

  await db.schema
    .createTable('activities')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('subject', 'text', (c) => c.notNull())
    .addColumn('owner', 'text')
    .addColumn('start_at', 'text')
    .addColumn('end_at', 'text')
    .addColumn('due_at', 'text')
    .addColumn('all_day', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('time_zone', 'text')
    .addColumn('location', 'text')
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('priority', 'text', (c) => c.notNull())
    .addColumn('busy_status', 'text')
    .addColumn('message_id', 'text')
    .addColumn('in_reply_to', 'text')
    .addColumn('references_json', 'text', (c) => c.notNull().defaultTo('[]'))
    .addColumn('thread_id', 'text')
    .addColumn('regarding_type', 'text')
    .addColumn('regarding_id', 'text')
    .addColumn('correlation_method', 'text')
    .addColumn('correlation_activity_id', 'text')
    .addColumn('queue', 'text')
    .addColumn('body_text', 'text')
    .addColumn('body_html', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('activities_owner').on('activities').column('owner').execute();
  await db.schema.createIndex('activities_kind').on('activities').column('kind').execute();
  await db.schema.createIndex('activities_message_id').on('activities').column('message_id').execute();
  await db.schema.createIndex('activities_thread').on('activities').column('thread_id').execute();
  await db.schema.createIndex('activities_regarding').on('activities').columns(['regarding_type', 'regarding_id']).execute();
  await db.schema.createIndex('activities_queue').on('activities').column('queue').execute();
  await db.schema.createIndex('activities_updated').on('activities').column('updated_at').execute();

  await db.schema
    .createTable('activity_parties')
    .addColumn('activity_id', 'text', (c) => c.notNull().references('activities.id').onDelete('cascade'))
    .addColumn('position', 'integer', (c) => c.notNull())
    .addColumn('role', 'text', (c) => c.notNull())
    .addColumn('address', 'text', (c) => c.notNull())
    .addColumn('address_normalized', 'text', (c) => c.notNull())
    .addColumn('name', 'text')
    .addColumn('contact_id', 'text')
    .addColumn('account_id', 'text')
    .addColumn('lead_id', 'text')
    .addColumn('user_id', 'text')
    .addPrimaryKeyConstraint('activity_parties_pk', ['activity_id', 'position'])
    .execute();
  await db.schema.createIndex('activity_parties_contact').on('activity_parties').column('contact_id').execute();
  await db.schema.createIndex('activity_parties_account').on('activity_parties').column('account_id').execute();
  await db.schema.createIndex('activity_parties_address').on('activity_parties').column('address_normalized').execute();

  await db.schema
    .createTable('activity_sources')
    .addColumn('activity_id', 'text', (c) => c.notNull().references('activities.id').onDelete('cascade'))
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('source_id', 'text', (c) => c.notNull())
    .addColumn('ref', 'text', (c) => c.notNull())
    .addColumn('seen_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('activity_sources_pk', ['type', 'source_id', 'ref'])
    .execute();
  await db.schema.createIndex('activity_sources_activity').on('activity_sources').column('activity_id').execute();

  await db.schema
    .createTable('attachments')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('activity_id', 'text', (c) => c.notNull().references('activities.id').onDelete('cascade'))
    .addColumn('position', 'integer', (c) => c.notNull())
    .addColumn('filename', 'text')
    .addColumn('content_type', 'text', (c) => c.notNull())
    .addColumn('size', 'integer', (c) => c.notNull())
    .addColumn('sha256', 'text', (c) => c.notNull())
    .addColumn('stored', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('attachments_activity').on('attachments').column('activity_id').execute();
  await db.schema.createIndex('attachments_sha256').on('attachments').column('sha256').execute();

  await db.schema
    .createTable('changes')
    .addColumn('seq', serial, serialKey)
    .addColumn('entity', 'text', (c) => c.notNull())
    .addColumn('entity_id', 'text', (c) => c.notNull())
    .addColumn('op', 'text', (c) => c.notNull())
    .addColumn('at', 'text', (c) => c.notNull())
    .addColumn('data', 'text')
    .execute();

  await db.schema
    .createTable('webhooks')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('url', 'text', (c) => c.notNull())
    .addColumn('secret', 'text', (c) => c.notNull())
    .addColumn('events_json', 'text', (c) => c.notNull())
    .addColumn('origin', 'text', (c) => c.notNull())
    .addColumn('active', 'integer', (c) => c.notNull())
    .addColumn('cursor_seq', 'integer', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('next_attempt_at', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('webhook_deliveries')
    .addColumn('id', serial, serialKey)
    .addColumn('webhook_id', 'text', (c) => c.notNull())
    .addColumn('change_seq', 'integer', (c) => c.notNull())
    .addColumn('attempt', 'integer', (c) => c.notNull())
    .addColumn('outcome', 'text', (c) => c.notNull())
    .addColumn('http_status', 'integer')
    .addColumn('error', 'text')
    .addColumn('duration_ms', 'integer', (c) => c.notNull())
    .addColumn('at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('webhook_deliveries_webhook').on('webhook_deliveries').columns(['webhook_id', 'id']).execute();

  await db.schema
    .createTable('sync_status')
    .addColumn('pair', 'text', (c) => c.notNull())
    .addColumn('identity', 'text', (c) => c.notNull())
    .addColumn('crm_ref', 'text')
    .addColumn('crm_version', 'text')
    .addColumn('crm_hash', 'text')
    .addColumn('remote_ref', 'text')
    .addColumn('remote_version', 'text')
    .addColumn('remote_hash', 'text')
    .addColumn('origin', 'text', (c) => c.notNull())
    .addColumn('tombstone', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('pending', 'text')
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('sync_status_pk', ['pair', 'identity'])
    .execute();
  await db.schema.createIndex('sync_status_remote').on('sync_status').columns(['pair', 'remote_ref']).execute();
  await db.schema.createIndex('sync_status_crm').on('sync_status').columns(['pair', 'crm_ref']).execute();

  await db.schema
    .createTable('sync_cursors')
    .addColumn('pair', 'text', (c) => c.notNull())
    .addColumn('collection', 'text', (c) => c.notNull())
    .addColumn('cursor', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('sync_cursors_pk', ['pair', 'collection'])
    .execute();

  await db.schema
    .createTable('sync_errors')
    .addColumn('id', serial, serialKey)
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('item_ref', 'text')
    .addColumn('code', 'text', (c) => c.notNull())
    .addColumn('message', 'text', (c) => c.notNull())
    .addColumn('at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('sync_errors_source').on('sync_errors').columns(['source', 'id']).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  const tables = [
    'sync_errors', 'sync_cursors', 'sync_status', 'webhook_deliveries', 'webhooks', 'changes', 'attachments',
    'activity_sources', 'activity_parties', 'activities', 'opportunities', 'leads', 'contact_phones',
    'contact_emails', 'contacts', 'account_domains', 'accounts', 'admin_sessions', 'settings', 'credentials', 'users',
  ];
  for (const table of tables) await db.schema.dropTable(table).ifExists().execute();
}
