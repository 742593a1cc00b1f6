import type { Logger } from 'pino';
import { backoffSeconds } from '../domain/backoff.js';
import type { Change } from '../store/changes.js';
import type { Store } from '../store/store.js';
import type { Webhook } from '../store/webhooks.js';
import type { Metrics } from '../metrics.js';
import { postWebhook } from './post.js';
import { eventMatches, signPayload, signatureHeader } from './signature.js';
import { RefusedTarget, type TargetPolicy } from './target-policy.js';

export interface DispatcherOptions {
  timeoutMs: number;
  /** Which addresses deliveries may connect to (target-policy.ts). */
  policy: TargetPolicy;
  maxBackoffSeconds: number;
  now?: () => Date;
}

export type DeliveryResult = 'idle' | 'delivered' | 'skipped' | 'failed' | 'waiting';

/**
 * Delivers the change feed to every webhook endpoint, in order and at least once: an endpoint's
 * cursor moves past a change only after a 2xx answer. A failure is logged and retried with capped
 * exponential backoff, for ever; later changes wait behind it so order is kept. Each attempt is
 * written to the delivery log. Receivers de-duplicate with the `X-CRM-Bridge-Delivery` id.
 */
export class WebhookDispatcher {
  private readonly now: () => Date;

  constructor(
    private readonly store: Store,
    private readonly log: Logger,
    private readonly options: DispatcherOptions,
    private readonly metrics?: Metrics,
  ) {
    this.now = options.now ?? (() => new Date());
  }

  /** Try every active endpoint once; returns how many deliveries were attempted. */
  async runOnce(): Promise<number> {
    let attempted = 0;
    for (const hook of await this.store.webhooks.list()) {
      if (!hook.active) continue;
      // Drain this endpoint while it keeps accepting, but stop at the first failure.
      for (let i = 0; i < 100; i += 1) {
        const result = await this.deliverNext(hook.id);
        if (result === 'delivered' || result === 'failed') attempted += 1;
        if (result !== 'delivered' && result !== 'skipped') break;
      }
    }
    return attempted;
  }

  async deliverNext(webhookId: string): Promise<DeliveryResult> {
    const hook = await this.store.webhooks.get(webhookId);
    if (!hook || !hook.active) return 'idle';
    if (hook.nextAttemptAt && Date.parse(hook.nextAttemptAt) > this.now().getTime()) return 'waiting';
    const [change] = await this.store.changes.listAfter(hook.cursorSeq, 1);
    if (!change) return 'idle';
    if (!eventMatches(hook.events, `${change.entity}.${change.op}`)) {
      await this.store.webhooks.advance(hook.id, change.seq);
      return 'skipped';
    }
    return this.attempt(hook, change);
  }

  private async attempt(hook: Webhook, change: Change): Promise<DeliveryResult> {
    const attempt = hook.attempts + 1;
    const event = `${change.entity}.${change.op}`;
    const body = JSON.stringify({ webhookId: hook.id, event, seq: change.seq, entity: change.entity, id: change.id, op: change.op, at: change.at, data: change.data });
    const started = this.now();
    const secret = await this.store.webhooks.secretOf(hook.id);
    let httpStatus: number | null = null;
    let error: string | null = null;
    try {
      httpStatus = await postWebhook(
        hook.url,
        {
          'content-type': 'application/json',
          'user-agent': 'crm-bridge-webhooks/1',
          'x-crm-bridge-event': event,
          'x-crm-bridge-delivery': `${hook.id}:${change.seq}`,
          [signatureHeader]: signPayload(secret, body, Math.floor(started.getTime() / 1000)),
        },
        body,
        { timeoutMs: this.options.timeoutMs, policy: this.options.policy },
      );
      if (httpStatus < 200 || httpStatus >= 300) error = `endpoint answered HTTP ${httpStatus}`;
    } catch (caught) {
      error = describeFetchError(caught);
    }
    const durationMs = this.now().getTime() - started.getTime();
    const at = this.now().toISOString();
    await this.store.webhooks.logDelivery({ webhookId: hook.id, changeSeq: change.seq, attempt, outcome: error ? 'failed' : 'delivered', httpStatus, error, durationMs, at });
    this.metrics?.webhookDeliveries.inc({ outcome: error ? 'failed' : 'delivered' });
    if (!error) {
      await this.store.webhooks.advance(hook.id, change.seq);
      return 'delivered';
    }
    const delay = backoffSeconds(attempt, this.options.maxBackoffSeconds);
    await this.store.webhooks.scheduleRetry(hook.id, attempt, new Date(this.now().getTime() + delay * 1000).toISOString());
    this.log.warn({ webhook: hook.id, seq: change.seq, attempt, httpStatus, error, retryInSeconds: Math.round(delay) }, 'webhook delivery failed');
    return 'failed';
  }
}

function describeFetchError(error: unknown): string {
  if (error instanceof Error) {
    if (error.name === 'TimeoutError' || (error.name === 'AbortError' && (error.cause as Error | undefined)?.name === 'TimeoutError')) return 'timed out';
    if (error instanceof RefusedTarget) return `refused: ${error.message}`;
    const code = (error as NodeJS.ErrnoException).code ?? (error as Error & { cause?: { code?: string } }).cause?.code;
    return code && !error.message.includes(code) ? `${error.message}: ${code}` : error.message;
  }
  return String(error);
}
