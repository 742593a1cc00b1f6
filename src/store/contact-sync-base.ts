import type { Kysely } from 'kysely';
import type { CardFields } from '../contacts/card-fields.js';
import type { Database } from './schema.js';

export interface ContactSyncBase {
  fields: CardFields;
  /** The vCard as the server last held it (null until one was read or written). */
  vcard: string | null;
}

/** The merge base per synced contact (migration 0005): see src/sync/contacts/address-book-sync.ts. */
export class ContactSyncBaseRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async listPair(pair: string): Promise<Map<string, ContactSyncBase>> {
    const rows = await this.db.selectFrom('contact_sync_base').selectAll().where('pair', '=', pair).execute();
    return new Map(rows.map((row) => [row.identity, { fields: JSON.parse(row.fields_json) as CardFields, vcard: row.vcard }]));
  }

  async put(pair: string, identity: string, base: ContactSyncBase, now = new Date().toISOString()): Promise<void> {
    const values = { fields_json: JSON.stringify(base.fields), vcard: base.vcard, updated_at: now };
    await this.db
      .insertInto('contact_sync_base')
      .values({ pair, identity, ...values })
      .onConflict((oc) => oc.columns(['pair', 'identity']).doUpdateSet(values))
      .execute();
  }

  async remove(pair: string, identity: string): Promise<void> {
    await this.db.deleteFrom('contact_sync_base').where('pair', '=', pair).where('identity', '=', identity).execute();
  }

  async removePair(pair: string): Promise<number> {
    const result = await this.db.deleteFrom('contact_sync_base').where('pair', '=', pair).executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}
