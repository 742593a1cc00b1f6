import type { Kysely, Selectable } from 'kysely';
import type { ErrorCode } from '../domain/errors.js';
import type { Database, SyncErrorsTable } from './schema.js';

export interface SyncErrorRecord {
  id: number;
  source: string;
  itemRef: string | null;
  code: ErrorCode;
  message: string;
  at: string;
}

/** Per-item and per-source failures, kept so the admin UI and the sync summary can show them. */
export class SyncErrorRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async record(source: string, itemRef: string | null, code: ErrorCode, message: string, at = new Date().toISOString()): Promise<void> {
    await this.db.insertInto('sync_errors').values({ source, item_ref: itemRef, code, message: message.slice(0, 2000), at }).execute();
  }

  /** Newest first, of one source and one code when given. */
  async recent(limit: number, source?: string, code?: ErrorCode): Promise<SyncErrorRecord[]> {
    let query = this.db.selectFrom('sync_errors').selectAll().orderBy('id', 'desc').limit(limit);
    if (source !== undefined) query = query.where('source', '=', source);
    if (code !== undefined) query = query.where('code', '=', code);
    return (await query.execute()).map(toRecord);
  }

  async get(id: number): Promise<SyncErrorRecord | undefined> {
    const row = await this.db.selectFrom('sync_errors').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? toRecord(row) : undefined;
  }
}

function toRecord(row: Selectable<SyncErrorsTable>): SyncErrorRecord {
  return { id: Number(row.id), source: row.source, itemRef: row.item_ref, code: row.code as ErrorCode, message: row.message, at: row.at };
}
