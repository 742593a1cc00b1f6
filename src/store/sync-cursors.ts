import type { Kysely } from 'kysely';
import { underPairs } from './pair-scope.js';
import type { Database } from './schema.js';

/**
 * Per-collection cursors (DESIGN.md principle 2): IMAP `{uidValidity, highestUid, highestModseq}`,
 * DAV `{syncToken, ctag}`. Stored as JSON; the adapter that owns a cursor validates it on read and
 * drops it (full resync) when it no longer fits.
 */
export class SyncCursorRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async get(pair: string, collection: string): Promise<unknown> {
    const row = await this.db.selectFrom('sync_cursors').select('cursor').where('pair', '=', pair).where('collection', '=', collection).executeTakeFirst();
    return row ? (JSON.parse(row.cursor) as unknown) : undefined;
  }

  async put(pair: string, collection: string, cursor: unknown, now = new Date().toISOString()): Promise<void> {
    const text = JSON.stringify(cursor, (_key, value: unknown) => (typeof value === 'bigint' ? value.toString() : value));
    await this.db
      .insertInto('sync_cursors')
      .values({ pair, collection, cursor: text, updated_at: now })
      .onConflict((oc) => oc.columns(['pair', 'collection']).doUpdateSet({ cursor: text, updated_at: now }))
      .execute();
  }

  async remove(pair: string, collection: string): Promise<void> {
    await this.db.deleteFrom('sync_cursors').where('pair', '=', pair).where('collection', '=', collection).execute();
  }

  /** Forget the cursors of `pairs` and of the pairs below them; how many went. */
  async removeUnder(pairs: readonly string[]): Promise<number> {
    const result = await this.db.deleteFrom('sync_cursors').where(underPairs(pairs)).executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  /** Forget every cursor of exactly `pair` (all its collections); how many went. */
  async removePair(pair: string): Promise<number> {
    const result = await this.db.deleteFrom('sync_cursors').where('pair', '=', pair).executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}
