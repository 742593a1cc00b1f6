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

/** A change made in a transaction, appended to the feed when the transaction is about to commit. */
interface PendingChange {
  entity: ChangeEntity;
  entity_id: string;
  op: ChangeOp;
  at: string;
  data: string | null;
}

/** The changes each open transaction (opened by Store.transaction) has made so far, in order. */
const pendingByTransaction = new WeakMap<Kysely<Database>, PendingChange[]>();

/** Rows per INSERT when a transaction's changes are appended (5 parameters each). */
const APPEND_SLICE = 200;

/**
 * The ordered change feed (`GET /api/v1/changes?after=N`) and the source webhooks deliver from.
 * Rows are appended in the same transaction as the change itself, so the feed never misses one.
 * A follower that read up to N asks for `after=N` next, so a row may become visible only after
 * every row with a smaller seq: sequence order must be commit order. SQLite serialises writers,
 * so it is. On PostgreSQL a sequence value is taken at insert time and concurrent transactions
 * commit in any order (a row with seq 7 can be visible while 6 is still uncommitted, and a
 * follower at 7 would never see 6). There, the transaction takes one transaction-level advisory
 * lock (held to its commit) before it appends: the next appender gets its seq only after the
 * previous one committed.
 *
 * The changes of a transaction are collected while it runs and appended at its end, just before
 * the commit (Store.transaction calls appendPending): the lock is held only for those inserts and
 * the commit, so concurrent writers (several processes importing mail) wait for each other that
 * long, not for whole import batches. And the lock holder waits for nothing else (it only inserts
 * feed rows), so a transaction holding record rows while it waits for the lock cannot deadlock.
 */
export class ChangeRepository {
  constructor(private readonly db: Kysely<Database>) {}

  /** Record a change; call inside the transaction that makes it (every repository does). */
  async append(entity: ChangeEntity, id: string, op: ChangeOp, data: unknown, at: string): Promise<void> {
    const change: PendingChange = { entity, entity_id: id, op, at, data: data === null ? null : JSON.stringify(data) };
    const pending = pendingByTransaction.get(this.db);
    if (pending) pending.push(change);
    else await insertChanges(this.db, [change]);
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

/** Start collecting the changes of a transaction Store.transaction just opened. */
export function collectChanges(transaction: Kysely<Database>): void {
  pendingByTransaction.set(transaction, []);
}

/** How many changes the transaction has collected (a savepoint's starting point). */
export function pendingMark(transaction: Kysely<Database>): number {
  return pendingByTransaction.get(transaction)?.length ?? 0;
}

/** A savepoint was rolled back: forget the changes made under it. */
export function discardPendingAfter(transaction: Kysely<Database>, mark: number): void {
  pendingByTransaction.get(transaction)?.splice(mark);
}

/** Append what the transaction collected, as its last statements before the commit. */
export async function appendPending(transaction: Kysely<Database>): Promise<void> {
  const pending = pendingByTransaction.get(transaction) ?? [];
  pendingByTransaction.delete(transaction);
  if (pending.length > 0) await insertChanges(transaction, pending);
}

async function insertChanges(db: Kysely<Database>, changes: readonly PendingChange[]): Promise<void> {
  if (isPostgres(db)) {
    // Outside a transaction the lock would end with its own statement and order nothing.
    if (!db.isTransaction) throw new Error('a change is appended inside the transaction that makes it');
    await sql`select pg_advisory_xact_lock(${CHANGE_FEED_LOCK_SPACE}, 0)`.execute(db);
  }
  // Rows of one INSERT take their seq in VALUES order, so the feed keeps the order they were made in.
  for (let start = 0; start < changes.length; start += APPEND_SLICE) await db.insertInto('changes').values(changes.slice(start, start + APPEND_SLICE)).execute();
}
