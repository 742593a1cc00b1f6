import type { Logger } from 'pino';
import { BridgeError } from '../domain/errors.js';
import type { Activity } from '../domain/activity.js';
import type { Store } from '../store/store.js';

/** What retrying needs of the outbox worker: one delivery attempt now. */
export interface DeliversNow {
  deliver(activityId: string): Promise<void>;
}

/** How long a request waits for its attempt before answering (the attempt goes on; the activity shows it). */
const attemptWaitMs = 15_000;

/**
 * One delivery attempt now, waited for at most attemptWaitMs: the answer usually says whether the
 * mail went out, and a slow server does not hold the request longer (POST /emails, retry).
 */
export async function attemptNow(outbox: DeliversNow, activityId: string, log: Logger): Promise<void> {
  const attempt = outbox.deliver(activityId).catch((error: unknown) => log.error({ err: error, activity: activityId }, 'delivery attempt failed'));
  await Promise.race([attempt, new Promise((resolve) => setTimeout(resolve, attemptWaitMs).unref())]);
}

/**
 * Retry and cancel of mail sent from the CRM, for the REST API and the admin UI alike (issue 16):
 * a failed send (refused for good) or an uncertain one (the bridge stopped mid-transaction; a retry
 * may deliver it twice, which is why it never happens by itself) is queued again and attempted at
 * once; a queued, failed or uncertain one can be given up. Anything else is a CONFLICT naming the
 * state it is in.
 */
export async function retrySend(store: Store, outbox: DeliversNow, id: string, log: Logger): Promise<Activity> {
  const entry = await outboxEntryOf(store, id);
  if (!(await store.outbox.requeue(entry.activityId))) throw await notNow(store, entry.activityId, 'retried');
  log.info({ activity: entry.activityId, was: entry.state }, 'mail queued again on request');
  await attemptNow(outbox, entry.activityId, log);
  return store.activities.require(entry.activityId);
}

export async function cancelSend(store: Store, id: string, log: Logger): Promise<Activity> {
  const entry = await outboxEntryOf(store, id);
  if (!(await store.outbox.cancel(entry.activityId))) throw await notNow(store, entry.activityId, 'cancelled');
  await store.activities.update(entry.activityId, { status: 'cancelled' });
  log.info({ activity: entry.activityId, was: entry.state }, 'mail cancelled on request');
  return store.activities.require(entry.activityId);
}

/** The outbox entry of mail sent from the CRM, or NOT_FOUND naming the id. */
async function outboxEntryOf(store: Store, id: string) {
  const entry = await store.outbox.get(id);
  if (!entry) throw new BridgeError('NOT_FOUND', `no mail sent from the CRM with id "${id}"`);
  return entry;
}

/** CONFLICT naming the state the mail is in now (the update may have lost to a sender that claimed it meanwhile). */
async function notNow(store: Store, id: string, what: 'retried' | 'cancelled'): Promise<BridgeError> {
  const state = (await store.outbox.get(id))?.state ?? 'gone';
  const allowed = what === 'retried' ? 'a failed or uncertain one' : 'a queued, failed or uncertain one';
  return new BridgeError('CONFLICT', `mail ${id} is ${state}: only ${allowed} can be ${what}`);
}
