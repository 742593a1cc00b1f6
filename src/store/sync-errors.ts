import { sql, type Kysely, type Selectable } from 'kysely';
import type { ErrorCode } from '../domain/errors.js';
import type { Database, SyncErrorsTable } from './schema.js';

export interface SyncErrorRecord {
  id: number;
  source: string;
  itemRef: string | null;
  code: ErrorCode;
  /** What the last occurrence said. */
  message: string;
  /** The last time it happened (= lastSeen; the name older clients know). */
  at: string;
  firstSeen: string;
  lastSeen: string;
  /** How often it happened since firstSeen. */
  count: number;
  /** When it went away (the source synced again, or an admin dismissed it); null while current. */
  resolvedAt: string | null;
}

/** Which rows a listing returns: the problems that still stand, the resolved ones, or both. */
export type SyncErrorState = 'current' | 'resolved' | 'all';

export interface SyncErrorFilter {
  source?: string | undefined;
  code?: ErrorCode | undefined;
  state?: SyncErrorState | undefined;
}

/**
 * Per-item and per-source failures, kept so the admin UI and the sync summary can show them: one
 * row per problem, (source, item, code), counting how often it happened (issue 16: a wrong
 * password is one problem, not a row per pass). A problem that went away stays as history and
 * becomes current again when it comes back.
 */
export class SyncErrorRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async record(source: string, itemRef: string | null, code: ErrorCode, message: string, at = new Date().toISOString()): Promise<void> {
    const text = message.slice(0, 2000);
    await this.db
      .insertInto('sync_errors')
      .values({ source, item_ref: itemRef, item_key: itemRef ?? '', code, message: text, at, first_seen: at, count: 1, resolved_at: null })
      .onConflict((oc) =>
        oc.columns(['source', 'item_key', 'code']).doUpdateSet({
          message: text,
          at,
          // Back after it had gone: counted afresh from now.
          count: sql<number>`CASE WHEN sync_errors.resolved_at IS NULL THEN sync_errors.count + 1 ELSE 1 END`,
          first_seen: sql<string>`CASE WHEN sync_errors.resolved_at IS NULL THEN sync_errors.first_seen ELSE ${at} END`,
          resolved_at: null,
        }),
      )
      .execute();
  }

  /**
   * The source synced to the end of a pass that started at `passStarted`: its problems with the
   * whole source that this pass did not see again (an unreachable server, a refused login, a held
   * mass deletion since undone) are over. Item problems stay until an admin dismisses them.
   */
  async resolveSource(source: string, passStarted: string, at = new Date().toISOString()): Promise<number> {
    const result = await this.db
      .updateTable('sync_errors')
      .set({ resolved_at: at })
      .where('source', '=', source)
      .where('item_key', '=', '')
      .where('resolved_at', 'is', null)
      .where('at', '<', passStarted)
      .executeTakeFirst();
    return Number(result.numUpdatedRows);
  }

  /** An admin dismissed the problem: it leaves the current view (and comes back if it happens again). */
  async dismiss(id: number, at = new Date().toISOString()): Promise<boolean> {
    const result = await this.db.updateTable('sync_errors').set({ resolved_at: at }).where('id', '=', id).where('resolved_at', 'is', null).executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }

  /** Most recently seen first; the current problems unless `state` says otherwise. */
  async recent(limit: number, source?: string, code?: ErrorCode, state: SyncErrorState = 'current'): Promise<SyncErrorRecord[]> {
    return this.list(limit, { source, code, state });
  }

  async list(limit: number, filter: SyncErrorFilter = {}): Promise<SyncErrorRecord[]> {
    let query = this.db.selectFrom('sync_errors').selectAll().orderBy('at', 'desc').orderBy('id', 'desc').limit(limit);
    if (filter.source !== undefined) query = query.where('source', '=', filter.source);
    if (filter.code !== undefined) query = query.where('code', '=', filter.code);
    const state = filter.state ?? 'current';
    if (state === 'current') query = query.where('resolved_at', 'is', null);
    if (state === 'resolved') query = query.where('resolved_at', 'is not', null);
    return (await query.execute()).map(toRecord);
  }

  async get(id: number): Promise<SyncErrorRecord | undefined> {
    const row = await this.db.selectFrom('sync_errors').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? toRecord(row) : undefined;
  }
}

function toRecord(row: Selectable<SyncErrorsTable>): SyncErrorRecord {
  return {
    id: Number(row.id),
    source: row.source,
    itemRef: row.item_ref,
    code: row.code as ErrorCode,
    message: row.message,
    at: row.at,
    firstSeen: row.first_seen ?? row.at,
    lastSeen: row.at,
    count: Number(row.count),
    resolvedAt: row.resolved_at,
  };
}
