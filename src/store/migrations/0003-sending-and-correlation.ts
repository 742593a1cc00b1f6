import type { Kysely } from 'kysely';

/**
 * Sending from the CRM (issue 4): the outbox with its delivery state, Idempotency-Key replay, the
 * per-user tracking-token counters, and what correlation needs on activities (tracking token,
 * normalised subject).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('outbox')
    .addColumn('activity_id', 'text', (c) => c.primaryKey())
    .addColumn('user_id', 'text', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('next_attempt_at', 'text')
    .addColumn('last_error', 'text')
    .addColumn('raw_sha256', 'text', (c) => c.notNull())
    .addColumn('envelope_json', 'text', (c) => c.notNull())
    .addColumn('sent_at', 'text')
    .addColumn('sent_copy', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('outbox_state').on('outbox').columns(['state', 'next_attempt_at']).execute();

  await db.schema
    .createTable('idempotency_keys')
    .addColumn('token_name', 'text', (c) => c.notNull())
    .addColumn('key', 'text', (c) => c.notNull())
    .addColumn('request_hash', 'text', (c) => c.notNull())
    .addColumn('status', 'integer', (c) => c.notNull())
    .addColumn('response_json', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('idempotency_keys_pk', ['token_name', 'key'])
    .execute();

  await db.schema
    .createTable('token_counters')
    .addColumn('user_id', 'text', (c) => c.primaryKey())
    .addColumn('user_number', 'integer', (c) => c.notNull().unique())
    .addColumn('counter', 'integer', (c) => c.notNull())
    .execute();

  await db.schema.alterTable('activities').addColumn('tracking_token', 'text').execute();
  await db.schema.alterTable('activities').addColumn('subject_key', 'text').execute();
  await db.schema.createIndex('activities_tracking_token').unique().on('activities').column('tracking_token').execute();
  await db.schema.createIndex('activities_subject_key').on('activities').column('subject_key').execute();

  // The messages an activity answers (In-Reply-To and References, as message keys), so a message
  // that arrives after its replies finds them with one index lookup.
  await db.schema
    .createTable('activity_references')
    .addColumn('activity_id', 'text', (c) => c.notNull().references('activities.id').onDelete('cascade'))
    .addColumn('message_key', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('activity_references_pk', ['activity_id', 'message_key'])
    .execute();
  await db.schema.createIndex('activity_references_key').on('activity_references').column('message_key').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('activity_references').ifExists().execute();
  await db.schema.dropIndex('activities_subject_key').ifExists().execute();
  await db.schema.dropIndex('activities_tracking_token').ifExists().execute();
  await db.schema.alterTable('activities').dropColumn('subject_key').execute();
  await db.schema.alterTable('activities').dropColumn('tracking_token').execute();
  for (const table of ['token_counters', 'idempotency_keys', 'outbox']) await db.schema.dropTable(table).ifExists().execute();
}
