import { sql, type Kysely } from 'kysely';
import { isPostgres } from './dialect.js';
import { CHANGE_FEED_LOCK_SPACE } from './lock-spaces.js';
import type { Database } from './schema.js';

export const changeEntities = ['account', 'contact', 'lead', 'opportunity', 'activity'] as const;
export type ChangeEntity = (typeof changeEntities)[number];
export type ChangeOp = 'created' | 'updated' | 'deleted';

export interface Change {
  seq: number;
  entity: ChangeEntity;
  id: string;
  op: ChangeOp;
  at: string;
  /** The record as it was after the change; null for deletions. */
  data: unknown;
}

/**
 * The ordered change feed (`GET /api/v1/changes?after=N`) and the source webhooks deliver from.
 * Rows are appended in the same transaction as the change itself, so the feed never misses one.
 * A follower that read up to N asks for `after=N` next, so a row may become visible only after
 * every row with a smaller seq: sequence order must be commit order. SQLite serialises writers,
 * so it is. On PostgreSQL a sequence value is taken at insert time and concurrent transactions
 * commit in any order (a row with seq 7 can be visible while 6 is still uncommitted, and a
 * follower at 7 would never see 6). There, every transaction that appends a change first takes one
 * transaction-level advisory lock (held to its commit or rollback): the next appender gets its seq
 * only after the previous one committed. Writers of changes serialise from their first change to
 * their commit; transactions without changes (sync status, cursors) never wait.
 */
export class ChangeRepository {
  constructor(private readonly db: Kysely<Database>) {}

  /**
   * Take the feed's turn for this transaction (PostgreSQL; nothing on SQLite). The record
   * repositories call it before their first row write, not only at the append: a transaction
   * that locked a record row and then waited for the feed, while the feed's holder waited for that
   * row, would deadlock. Re-entrant: later calls in the same transaction cost one round trip.
   */
  async takeTurn(): Promise<void> {
    if (!isPostgres(this.db)) return;
    // Outside a transaction the lock would end with its own statement and order nothing.
    if (!this.db.isTransaction) throw new Error('a change is appended inside the transaction that makes it');
    await sql`select pg_advisory_xact_lock(${CHANGE_FEED_LOCK_SPACE}, 0)`.execute(this.db);
  }

  /** Append a change; call inside the transaction that makes it (every repository does). */
  async append(entity: ChangeEntity, id: string, op: ChangeOp, data: unknown, at: string): Promise<number> {
    await this.takeTurn();
    const row = await this.db
      .insertInto('changes')
      .values({ entity, entity_id: id, op, at, data: data === null ? null : JSON.stringify(data) })
      .returning('seq')
      .executeTakeFirstOrThrow();
    return Number(row.seq);
  }

  async listAfter(after: number, limit: number): Promise<Change[]> {
    const rows = await this.db.selectFrom('changes').selectAll().where('seq', '>', after).orderBy('seq', 'asc').limit(limit).execute();
    return rows.map((row) => ({
      seq: Number(row.seq),
      entity: row.entity as ChangeEntity,
      id: row.entity_id,
      op: row.op as ChangeOp,
      at: row.at,
      data: row.data === null ? null : (JSON.parse(row.data) as unknown),
    }));
  }

  async latestSeq(): Promise<number> {
    const row = await this.db.selectFrom('changes').select((eb) => eb.fn.max('seq').as('seq')).executeTakeFirst();
    return Number(row?.seq ?? 0);
  }
}
