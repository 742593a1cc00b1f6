import { createHash } from 'node:crypto';
import { BridgeError } from '../../domain/errors.js';
import { emailInputSchema, queueEmail } from '../../mail/compose-email.js';
import { attemptNow, cancelSend, retrySend } from '../../mail/send-control.js';
import { idParams, ref } from '../common.js';
import type { ApiContext } from '../context.js';
import { defineRoute } from '../route.js';
import { RESERVED_STATUS, type StoredResponse } from '../../store/idempotency.js';
import type { Store } from '../../store/store.js';

/** Another request (perhaps in another process) reserved the Idempotency-Key first. */
class KeyTaken extends Error {}

/** Requests with the same Idempotency-Key are handled one after the other by one app (process). */
function serialiser() {
  const inFlight = new Map<string, Promise<unknown>>();
  return async <T>(key: string, work: () => Promise<T>): Promise<T> => {
    while (inFlight.has(key)) await inFlight.get(key)!.catch(() => undefined);
    const running = work();
    inFlight.set(key, running);
    try {
      return await running;
    } finally {
      inFlight.delete(key);
    }
  };
}

export const emailRoutes = (ctx: ApiContext, serialised = serialiser()) => [
  defineRoute({
    method: 'post',
    path: '/emails',
    tag: 'emails',
    summary: "Send mail from a user through their SMTP server; returns the email_out activity with its delivery state (sent, or queued for retry when the server is unavailable)",
    body: emailInputSchema,
    status: 201,
    errors: [409, 503],
    headers: [{ name: 'Idempotency-Key', description: 'a unique key per message: a repeated request with the same key and body returns the first response and sends nothing' }],
    response: { description: 'the email_out activity', schema: ref('Activity') },
    handler: async ({ body, req, res }) => {
      const mail = ctx.mail;
      if (!mail) throw new BridgeError('UNSUPPORTED', 'sending is not available in this process');
      const key = req.header('idempotency-key');
      const send = async (reserve?: (tx: Store, activityId: string) => Promise<void>) => {
        const activity = await queueEmail(ctx.store, ctx.config, mail.sender, body, new Date(), reserve);
        await attemptNow(mail.outbox, activity.id, ctx.log);
        return ctx.store.activities.require(activity.id);
      };
      if (!key) return send();
      if (key.length > 255) throw new BridgeError('INVALID_INPUT', 'Idempotency-Key: at most 255 characters', { details: [{ path: 'Idempotency-Key', message: 'at most 255 characters' }] });
      const tokenName = String(res.locals['tokenName'] ?? '');
      const requestHash = createHash('sha256').update(JSON.stringify(body)).digest('hex');
      /** The answer for a key used before (here or by another process): its response, or while that is not recorded yet, its activity as it is now. */
      const replay = async (stored: StoredResponse) => {
        if (stored.requestHash !== requestHash) throw new BridgeError('CONFLICT', 'Idempotency-Key was already used for a different request');
        res.setHeader('Idempotent-Replayed', 'true');
        return stored.status === RESERVED_STATUS ? ctx.store.activities.require((stored.body as { activityId: string }).activityId) : stored.body;
      };
      return serialised(`${tokenName}\u0000${key}`, async () => {
        const stored = await ctx.store.idempotency.get(tokenName, key);
        if (stored) return replay(stored);
        let activity: unknown;
        try {
          // The key is reserved in the transaction that creates the mail: of two processes given
          // the same key at once, one creates and sends it, the other answers with the same activity.
          activity = await send(async (tx, activityId) => {
            if (!(await tx.idempotency.reserve(tokenName, key, requestHash, activityId))) throw new KeyTaken();
          });
        } catch (error) {
          if (!(error instanceof KeyTaken)) throw error;
          return replay((await ctx.store.idempotency.get(tokenName, key))!);
        }
        await ctx.store.idempotency.put(tokenName, key, { requestHash, status: 201, body: activity });
        return activity;
      });
    },
  }),
  defineRoute({
    method: 'post',
    path: '/emails/:id/retry',
    tag: 'emails',
    summary: 'Send a failed or uncertain mail again (an uncertain one may then arrive twice); returns the email_out activity with its new delivery state',
    params: idParams,
    errors: [404, 409, 503],
    response: { description: 'the email_out activity', schema: ref('Activity') },
    handler: async ({ params }) => {
      if (!ctx.mail) throw new BridgeError('UNSUPPORTED', 'sending is not available in this process');
      return retrySend(ctx.store, ctx.mail.outbox, params.id, ctx.log);
    },
  }),
  defineRoute({
    method: 'post',
    path: '/emails/:id/cancel',
    tag: 'emails',
    summary: 'Give up a queued, failed or uncertain mail: it is never sent (again); the activity becomes cancelled',
    params: idParams,
    errors: [404, 409],
    response: { description: 'the email_out activity', schema: ref('Activity') },
    handler: async ({ params }) => cancelSend(ctx.store, params.id, ctx.log),
  }),
];
