import type { Kysely } from 'kysely';
import { BridgeError } from '../domain/errors.js';
import type { Database, WebhooksTable } from './schema.js';
import type { SecretBox } from './secret-box.js';

export interface Webhook {
  id: string;
  url: string;
  events: string[];
  origin: 'config' | 'api';
  active: boolean;
  /** Last change-feed sequence this endpoint acknowledged with a 2xx. */
  cursorSeq: number;
  attempts: number;
  nextAttemptAt: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface WebhookDelivery {
  id: number;
  webhookId: string;
  changeSeq: number;
  attempt: number;
  outcome: 'delivered' | 'failed';
  httpStatus: number | null;
  error: string | null;
  durationMs: number;
  at: string;
}

export class WebhookRepository {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly box: SecretBox,
  ) {}

  async list(): Promise<Webhook[]> {
    const rows = await this.db.selectFrom('webhooks').selectAll().orderBy('id').execute();
    return rows.map(toWebhook);
  }

  async get(id: string): Promise<Webhook | undefined> {
    const row = await this.db.selectFrom('webhooks').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? toWebhook(row) : undefined;
  }

  async require(id: string): Promise<Webhook> {
    const hook = await this.get(id);
    if (!hook) throw new BridgeError('NOT_FOUND', `webhook ${id} not found`);
    return hook;
  }

  async secretOf(id: string): Promise<string> {
    const row = await this.db.selectFrom('webhooks').select('secret').where('id', '=', id).executeTakeFirstOrThrow();
    return this.box.decrypt(row.secret, `webhook/${id}`);
  }

  /**
   * Create or refresh an endpoint. A new endpoint starts at `startSeq` (the current end of the
   * feed), so it receives what happens from now on rather than the whole history.
   */
  async upsert(hook: { id: string; url: string; secret: string; events: string[]; origin: Webhook['origin'] }, startSeq: number, now = new Date().toISOString()): Promise<Webhook> {
    const sealed = this.box.encrypt(hook.secret, `webhook/${hook.id}`);
    const events = JSON.stringify(hook.events);
    await this.db
      .insertInto('webhooks')
      .values({ id: hook.id, url: hook.url, secret: sealed, events_json: events, origin: hook.origin, active: 1, cursor_seq: startSeq, attempts: 0, next_attempt_at: null, created_at: now, updated_at: now })
      .onConflict((oc) => oc.column('id').doUpdateSet({ url: hook.url, secret: sealed, events_json: events, origin: hook.origin, active: 1, updated_at: now }))
      .execute();
    return this.require(hook.id);
  }

  async deactivate(id: string, now = new Date().toISOString()): Promise<void> {
    await this.db.updateTable('webhooks').set({ active: 0, updated_at: now }).where('id', '=', id).execute();
  }

  async remove(id: string): Promise<void> {
    await this.db.deleteFrom('webhook_deliveries').where('webhook_id', '=', id).execute();
    await this.db.deleteFrom('webhooks').where('id', '=', id).execute();
  }

  /** Move past a change: delivered, or not subscribed to. */
  async advance(id: string, seq: number, now = new Date().toISOString()): Promise<void> {
    await this.db.updateTable('webhooks').set({ cursor_seq: seq, attempts: 0, next_attempt_at: null, updated_at: now }).where('id', '=', id).execute();
  }

  async scheduleRetry(id: string, attempts: number, nextAttemptAt: string, now = new Date().toISOString()): Promise<void> {
    await this.db.updateTable('webhooks').set({ attempts, next_attempt_at: nextAttemptAt, updated_at: now }).where('id', '=', id).execute();
  }

  async logDelivery(delivery: Omit<WebhookDelivery, 'id'>): Promise<void> {
    await this.db
      .insertInto('webhook_deliveries')
      .values({
        webhook_id: delivery.webhookId,
        change_seq: delivery.changeSeq,
        attempt: delivery.attempt,
        outcome: delivery.outcome,
        http_status: delivery.httpStatus,
        error: delivery.error,
        duration_ms: delivery.durationMs,
        at: delivery.at,
      })
      .execute();
  }

  async deliveries(webhookId: string, limit: number): Promise<WebhookDelivery[]> {
    const rows = await this.db.selectFrom('webhook_deliveries').selectAll().where('webhook_id', '=', webhookId).orderBy('id', 'desc').limit(limit).execute();
    return rows.map((row) => ({
      id: Number(row.id),
      webhookId: row.webhook_id,
      changeSeq: row.change_seq,
      attempt: row.attempt,
      outcome: row.outcome as WebhookDelivery['outcome'],
      httpStatus: row.http_status,
      error: row.error,
      durationMs: row.duration_ms,
      at: row.at,
    }));
  }
}

function toWebhook(row: WebhooksTable): Webhook {
  return {
    id: row.id,
    url: row.url,
    events: JSON.parse(row.events_json) as string[],
    origin: row.origin as Webhook['origin'],
    active: row.active === 1,
    cursorSeq: row.cursor_seq,
    attempts: row.attempts,
    nextAttemptAt: row.next_attempt_at,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}
