import { inChunks } from './chunks.js';
import type { Kysely } from 'kysely';
import type { Database, OutboxTable } from './schema.js';

export type DeliveryState = 'queued' | 'sending' | 'sent' | 'failed' | 'uncertain';

export interface OutboxEntry {
  activityId: string;
  userId: string;
  state: DeliveryState;
  attempts: number;
  nextAttemptAt: string | null;
  lastError: string | null;
  rawSha256: string;
  envelope: { from: string; to: string[] };
  sentAt: string | null;
  sentCopy: 'pending' | 'done' | 'failed' | 'none';
}

/**
 * Mail sent from the CRM until it is delivered. The state machine keeps "a restart never sends
 * twice": a row is `sending` only while an SMTP transaction runs; one found `sending` at start-up
 * was interrupted at an unknown point and becomes `uncertain` instead of being sent again.
 */
export class OutboxRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async enqueue(entry: Pick<OutboxEntry, 'activityId' | 'userId' | 'rawSha256' | 'envelope' | 'sentCopy'>, now = new Date().toISOString()): Promise<void> {
    await this.db
      .insertInto('outbox')
      .values({ activity_id: entry.activityId, user_id: entry.userId, state: 'queued', attempts: 0, next_attempt_at: now, last_error: null, raw_sha256: entry.rawSha256, envelope_json: JSON.stringify(entry.envelope), sent_at: null, sent_copy: entry.sentCopy, created_at: now, updated_at: now })
      .execute();
  }

  async get(activityId: string): Promise<OutboxEntry | undefined> {
    const row = await this.db.selectFrom('outbox').selectAll().where('activity_id', '=', activityId).executeTakeFirst();
    return row ? toEntry(row) : undefined;
  }

  async many(activityIds: readonly string[]): Promise<Map<string, OutboxEntry>> {
    if (activityIds.length === 0) return new Map();
    const rows = await inChunks(activityIds, (slice) => this.db.selectFrom('outbox').selectAll().where('activity_id', 'in', slice).execute());
    return new Map(rows.map((row) => [row.activity_id, toEntry(row)]));
  }

  /** Queued mail whose next attempt is due, oldest first. */
  async due(now: string, limit = 20): Promise<OutboxEntry[]> {
    const rows = await this.db.selectFrom('outbox').selectAll().where('state', '=', 'queued').where('next_attempt_at', '<=', now).orderBy('created_at').limit(limit).execute();
    return rows.map(toEntry);
  }

  /** Sent mail whose copy is not yet in the Sent folder and whose next copy attempt is due (next_attempt_at, unused once sent, holds it). */
  async copiesPending(now = new Date().toISOString(), limit = 20): Promise<OutboxEntry[]> {
    const rows = await this.db
      .selectFrom('outbox')
      .selectAll()
      .where('state', '=', 'sent')
      .where('sent_copy', '=', 'pending')
      .where((eb) => eb.or([eb('next_attempt_at', 'is', null), eb('next_attempt_at', '<=', now)]))
      .orderBy('created_at')
      .limit(limit)
      .execute();
    return rows.map(toEntry);
  }

  /** Claim a queued row for one SMTP attempt; false when someone else did or it is not queued. */
  async claim(activityId: string, now = new Date().toISOString()): Promise<boolean> {
    const result = await this.db.updateTable('outbox').set({ state: 'sending', updated_at: now }).where('activity_id', '=', activityId).where('state', '=', 'queued').executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  async update(activityId: string, changes: Partial<Pick<OutboxEntry, 'state' | 'attempts' | 'nextAttemptAt' | 'lastError' | 'sentAt' | 'sentCopy'>>, now = new Date().toISOString()): Promise<void> {
    await this.db
      .updateTable('outbox')
      .set({
        ...(changes.state !== undefined ? { state: changes.state } : {}),
        ...(changes.attempts !== undefined ? { attempts: changes.attempts } : {}),
        ...('nextAttemptAt' in changes ? { next_attempt_at: changes.nextAttemptAt ?? null } : {}),
        ...('lastError' in changes ? { last_error: changes.lastError ?? null } : {}),
        ...('sentAt' in changes ? { sent_at: changes.sentAt ?? null } : {}),
        ...(changes.sentCopy !== undefined ? { sent_copy: changes.sentCopy } : {}),
        updated_at: now,
      })
      .where('activity_id', '=', activityId)
      .execute();
  }

  /** At start-up: sends that were running when the process died are not repeated blindly. */
  async markInterrupted(now = new Date().toISOString()): Promise<number> {
    const result = await this.db
      .updateTable('outbox')
      .set({ state: 'uncertain', last_error: 'the bridge stopped during the SMTP transaction; the message may or may not have been sent', updated_at: now })
      .where('state', '=', 'sending')
      .executeTakeFirst();
    return Number(result.numUpdatedRows);
  }
}

function toEntry(row: OutboxTable): OutboxEntry {
  return {
    activityId: row.activity_id,
    userId: row.user_id,
    state: row.state as DeliveryState,
    attempts: row.attempts,
    nextAttemptAt: row.next_attempt_at,
    lastError: row.last_error,
    rawSha256: row.raw_sha256,
    envelope: JSON.parse(row.envelope_json) as OutboxEntry['envelope'],
    sentAt: row.sent_at,
    sentCopy: row.sent_copy as OutboxEntry['sentCopy'],
  };
}
