import { sql, type Kysely } from 'kysely';
import { ConcurrencyLimit } from '../domain/concurrency-limit.js';
import { inChunks } from './chunks.js';
import { isPostgres } from './dialect.js';
import { SEND_LOCK_SPACE } from './lock-spaces.js';
import type { Database, OutboxTable } from './schema.js';

export const OUTBOX_STATES = ['queued', 'sending', 'sent', 'failed', 'uncertain', 'cancelled'] as const;
export type DeliveryState = (typeof OUTBOX_STATES)[number];

/** Sends that need someone: the server refused them for good, or the bridge stopped in the middle. */
export const STUCK_STATES: readonly DeliveryState[] = ['failed', 'uncertain'];

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
 * On PostgreSQL each send holds a pool connection for its SMTP transaction (the lock below lives
 * on it); at most this many at once, so the pool (10) always has connections for the rest,
 * including the sends' own state updates. More sends wait their turn.
 */
const MAX_CONCURRENT_SENDS = 4;
const sendSlots = new ConcurrencyLimit(MAX_CONCURRENT_SENDS);

/**
 * Mail sent from the CRM until it is delivered. The state machine keeps "a restart never sends
 * twice": a row is `sending` only while an SMTP transaction runs; one found `sending` and not being
 * sent was interrupted at an unknown point and becomes `uncertain` instead of being sent again.
 *
 * Who is sending: one process on SQLite, so at start-up every `sending` row is interrupted. On
 * PostgreSQL several processes send (the API sends at once from whichever process took the
 * request, the outbox loop from one), and a process may die mid-send while the others run on.
 * There the sender holds a session advisory lock on the entry (SEND_LOCK_SPACE) from before its
 * claim until after its last update; the server drops the lock with the sender's connection. A
 * `sending` row whose lock can be taken has no live sender: interrupted, at any time.
 */
export class OutboxRepository {
  constructor(private readonly db: Kysely<Database>) {}

  /** Whether interrupted sends can be told from running ones while other senders run (PostgreSQL). */
  get seesLiveSenders(): boolean {
    return isPostgres(this.db);
  }

  /**
   * Run one send attempt (claim, SMTP, state update) as this entry's visible sender. false when
   * another process is sending it right now (the attempt did not run).
   */
  async whileSending(activityId: string, attempt: () => Promise<void>): Promise<boolean> {
    if (!isPostgres(this.db)) {
      await attempt();
      return true;
    }
    return sendSlots.run(() =>
      this.db.connection().execute(async (connection) => {
        if (!(await tryLock(connection, activityId))) return false;
        try {
          await attempt();
          return true;
        } finally {
          await unlock(connection, activityId);
        }
      }),
    );
  }

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

  /** Failed and uncertain sends, most recent first: what the status page's outbox section lists. */
  async stuck(limit = 50): Promise<OutboxEntry[]> {
    const rows = await this.db.selectFrom('outbox').selectAll().where('state', 'in', [...STUCK_STATES]).orderBy('updated_at', 'desc').limit(limit).execute();
    return rows.map(toEntry);
  }

  /** How many sends are in each state (for /metrics). */
  async countByState(): Promise<Map<DeliveryState, number>> {
    const rows = await this.db.selectFrom('outbox').select((eb) => ['state', eb.fn.countAll<number>().as('n')]).groupBy('state').execute();
    return new Map(rows.map((row) => [row.state as DeliveryState, Number(row.n)]));
  }

  /**
   * Queue a failed or uncertain send again (an admin or the CRM asked: for an uncertain one that
   * accepts a second copy). False when it is in another state: a queued or sending one is on its
   * way, a sent one went out, a cancelled one stays cancelled.
   */
  async requeue(activityId: string, now = new Date().toISOString()): Promise<boolean> {
    const result = await this.db.updateTable('outbox').set({ state: 'queued', next_attempt_at: now, updated_at: now }).where('activity_id', '=', activityId).where('state', 'in', [...STUCK_STATES]).executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  /** Give a send up: never attempted again. False when it went out or is being sent right now. */
  async cancel(activityId: string, now = new Date().toISOString()): Promise<boolean> {
    const result = await this.db.updateTable('outbox').set({ state: 'cancelled', next_attempt_at: null, updated_at: now }).where('activity_id', '=', activityId).where('state', 'in', ['queued', ...STUCK_STATES]).executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
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

  /**
   * Sends that were running when their process died are not repeated blindly: they become
   * uncertain. SQLite: call at start-up only (every `sending` row is then interrupted).
   * PostgreSQL: any time; only rows no live process is sending (see the class comment).
   */
  async markInterrupted(now = new Date().toISOString()): Promise<number> {
    const mark = (db: Kysely<Database>, ids?: string[]) => {
      let query = db.updateTable('outbox').set({ state: 'uncertain', last_error: 'the bridge stopped during the SMTP transaction; the message may or may not have been sent', updated_at: now }).where('state', '=', 'sending');
      if (ids) query = query.where('activity_id', 'in', ids);
      return query.executeTakeFirst();
    };
    if (!isPostgres(this.db)) return Number((await mark(this.db)).numUpdatedRows);
    const sending = await this.db.selectFrom('outbox').select('activity_id').where('state', '=', 'sending').execute();
    if (sending.length === 0) return 0;
    return this.db.connection().execute(async (connection) => {
      let marked = 0;
      for (const { activity_id: id } of sending) {
        // Held: its sender is alive (or is just finishing, and the row says so in a moment).
        if (!(await tryLock(connection, id))) continue;
        try {
          // Still `sending` with nobody holding it: interrupted. (Finished meanwhile: not touched.)
          marked += Number((await mark(connection, [id])).numUpdatedRows);
        } finally {
          await unlock(connection, id);
        }
      }
      return marked;
    });
  }
}

async function tryLock(connection: Kysely<Database>, activityId: string): Promise<boolean> {
  const { rows } = await sql<{ ok: boolean }>`select pg_try_advisory_lock(${SEND_LOCK_SPACE}, hashtext(${activityId})) as ok`.execute(connection);
  return rows[0]?.ok === true;
}

async function unlock(connection: Kysely<Database>, activityId: string): Promise<void> {
  await sql`select pg_advisory_unlock(${SEND_LOCK_SPACE}, hashtext(${activityId}))`.execute(connection);
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
