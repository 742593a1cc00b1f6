import { sql, type Kysely } from 'kysely';

/**
 * A message's identity is its Message-ID key AND a fingerprint of what it says (issue #12): a
 * stranger who reuses the Message-ID of a genuine message gets an activity of their own instead
 * of the genuine message's. So the unique key of e-mail activities becomes (message_key,
 * content_fingerprint). Rows stored before have the empty fingerprint: the next copy of such a
 * message that arrives lends it its fingerprint (src/mail/message-identity.ts).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('activities').addColumn('content_fingerprint', 'text', (c) => c.notNull().defaultTo(sql`''`)).execute();
  await db.schema.dropIndex('activities_message_key').execute();
  await db.schema.createIndex('activities_message_identity').unique().on('activities').columns(['message_key', 'content_fingerprint']).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('activities_message_identity').execute();
  await db.schema.createIndex('activities_message_key').unique().on('activities').column('message_key').execute();
  await db.schema.alterTable('activities').dropColumn('content_fingerprint').execute();
}
