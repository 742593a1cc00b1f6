import type { Kysely } from 'kysely';

/**
 * Contact sync (issue 6): the merge base of each synced contact, i.e. the fields both sides agreed
 * on at the last sync and the vCard as the server last held it, so that a write back keeps the
 * properties and groups the CRM does not model and a three-way merge can tell who changed what.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('contact_sync_base')
    .addColumn('pair', 'text', (c) => c.notNull())
    .addColumn('identity', 'text', (c) => c.notNull())
    .addColumn('fields_json', 'text', (c) => c.notNull())
    .addColumn('vcard', 'text')
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('contact_sync_base_pk', ['pair', 'identity'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('contact_sync_base').execute();
}
