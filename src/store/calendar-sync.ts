import type { Kysely } from 'kysely';
import type { Database } from './schema.js';

export interface MirrorEntry {
  href: string;
  collection: string;
  etag: string;
  uid: string | null;
}

export interface MirrorBusy {
  start: string;
  end: string;
  type: string;
}

/**
 * Calendar and task sync state beyond sync_status and sync_base (migration 0004): the mirror of
 * every synced calendar's objects with their busy periods (free/busy).
 */
export class CalendarSyncRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async mirrorOf(userId: string, collection: string): Promise<MirrorEntry[]> {
    const rows = await this.db.selectFrom('calendar_mirror').selectAll().where('user_id', '=', userId).where('collection', '=', collection).execute();
    return rows.map((row) => ({ href: row.href, collection: row.collection, etag: row.etag, uid: row.uid }));
  }

  async mirrorCollections(userId: string): Promise<string[]> {
    const rows = await this.db.selectFrom('calendar_mirror').select('collection').distinct().where('user_id', '=', userId).execute();
    return rows.map((row) => row.collection);
  }

  /** Replace what is known of one object: its mirror row and its busy periods. */
  async putMirror(userId: string, entry: MirrorEntry, busy: readonly MirrorBusy[], now = new Date().toISOString()): Promise<void> {
    const values = { collection: entry.collection, etag: entry.etag, uid: entry.uid, updated_at: now };
    await this.db
      .insertInto('calendar_mirror')
      .values({ user_id: userId, href: entry.href, ...values })
      .onConflict((oc) => oc.columns(['user_id', 'href']).doUpdateSet(values))
      .execute();
    await this.db.deleteFrom('calendar_busy').where('user_id', '=', userId).where('href', '=', entry.href).execute();
    // Bounded batches: SQLite limits the number of bound parameters per statement.
    for (let i = 0; i < busy.length; i += 100) {
      await this.db
        .insertInto('calendar_busy')
        .values(busy.slice(i, i + 100).map((period) => ({ user_id: userId, href: entry.href, start_at: period.start, end_at: period.end, fb_type: period.type })))
        .execute();
    }
  }

  async removeMirror(userId: string, href: string): Promise<void> {
    await this.db.deleteFrom('calendar_busy').where('user_id', '=', userId).where('href', '=', href).execute();
    await this.db.deleteFrom('calendar_mirror').where('user_id', '=', userId).where('href', '=', href).execute();
  }

  /** Busy periods of the user's synced calendars overlapping [from, to). */
  async busyBetween(userId: string, from: string, to: string): Promise<MirrorBusy[]> {
    const rows = await this.db
      .selectFrom('calendar_busy')
      .select(['start_at', 'end_at', 'fb_type'])
      .where('user_id', '=', userId)
      .where('start_at', '<', to)
      .where('end_at', '>', from)
      .orderBy('start_at')
      .limit(50_000)
      .execute();
    return rows.map((row) => ({ start: row.start_at, end: row.end_at, type: row.fb_type }));
  }
}
