import type { Kysely } from 'kysely';
import type { Database } from './schema.js';

/**
 * What both sides agreed on at the last sync of one item of a DAV pair (events, tasks, contacts):
 * the base of the three-way merge (src/sync/engine/merge.ts). `data` is the iCalendar object or
 * vCard as last written or read; a write starts from it to keep what the CRM does not model.
 */
export interface SyncBaseEntry<F = Record<string, unknown>> {
  fields: F;
  data: string | null;
}

/** The merge bases of every DAV pair, one table (migration 0011). */
export class SyncBaseRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async get<F = Record<string, unknown>>(pair: string, identity: string): Promise<SyncBaseEntry<F> | undefined> {
    const row = await this.db.selectFrom('sync_base').select(['fields_json', 'data']).where('pair', '=', pair).where('identity', '=', identity).executeTakeFirst();
    return row ? { fields: JSON.parse(row.fields_json) as F, data: row.data } : undefined;
  }

  async listPair<F = Record<string, unknown>>(pair: string): Promise<Map<string, SyncBaseEntry<F>>> {
    const rows = await this.db.selectFrom('sync_base').select(['identity', 'fields_json', 'data']).where('pair', '=', pair).execute();
    return new Map(rows.map((row) => [row.identity, { fields: JSON.parse(row.fields_json) as F, data: row.data }]));
  }

  async put(pair: string, identity: string, base: SyncBaseEntry<unknown>, now = new Date().toISOString()): Promise<void> {
    const values = { fields_json: JSON.stringify(base.fields), data: base.data, updated_at: now };
    await this.db
      .insertInto('sync_base')
      .values({ pair, identity, ...values })
      .onConflict((oc) => oc.columns(['pair', 'identity']).doUpdateSet(values))
      .execute();
  }

  async remove(pair: string, identity: string): Promise<void> {
    await this.db.deleteFrom('sync_base').where('pair', '=', pair).where('identity', '=', identity).execute();
  }

  /** Forget every base of `pair`; how many went. */
  async removePair(pair: string): Promise<number> {
    const result = await this.db.deleteFrom('sync_base').where('pair', '=', pair).executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}
