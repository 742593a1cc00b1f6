import type { Kysely } from 'kysely';
import { underPairs } from './pair-scope.js';
import type { Database } from './schema.js';

/** What the admin status page shows of one source, read from the sync bookkeeping tables. */
export class SourceOverview {
  constructor(private readonly db: Kysely<Database>) {}

  /** When a cursor of these pairs (or a pair below them) was last written; null when none exists. */
  async lastCursorAt(pairs: readonly string[]): Promise<string | null> {
    const row = await this.db.selectFrom('sync_cursors').select((eb) => eb.fn.max('updated_at').as('at')).where(underPairs(pairs)).executeTakeFirst();
    return row?.at ?? null;
  }

  /** Items these pairs hold in sync_status. */
  async itemsInSync(pairs: readonly string[]): Promise<number> {
    const row = await this.db.selectFrom('sync_status').select((eb) => eb.fn.countAll<number>().as('n')).where(underPairs(pairs)).executeTakeFirst();
    return Number(row?.n ?? 0);
  }

  /** Messages a mail source has seen, by state (seen, tracked, failed, gone, untrack). */
  async messagesByState(sourceId: string): Promise<Map<string, number>> {
    const rows = await this.db.selectFrom('mail_messages').select(['state', (eb) => eb.fn.countAll<number>().as('n')]).where('source_id', '=', sourceId).groupBy('state').execute();
    return new Map(rows.map((row) => [row.state, Number(row.n)]));
  }
}
