import { createHash } from 'node:crypto';
import { BridgeError } from '../../domain/errors.js';
import { emailInputSchema, queueEmail } from '../../mail/compose-email.js';
import { ref } from '../common.js';
import type { ApiContext } from '../context.js';
import { defineRoute } from '../route.js';

const firstAttemptWaitMs = 15_000;

/** Requests with the same Idempotency-Key are handled one after the other within this process. */
const inFlight = new Map<string, Promise<unknown>>();

async function serialised<T>(key: string, work: () => Promise<T>): Promise<T> {
  while (inFlight.has(key)) await inFlight.get(key)!.catch(() => undefined);
  const running = work();
  inFlight.set(key, running);
  try {
    return await running;
  } finally {
    inFlight.delete(key);
  }
}

export const emailRoutes = (ctx: ApiContext) => [
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
      const send = async () => {
        const activity = await queueEmail(ctx.store, ctx.config, mail.sender, body);
        // Try at once, so the answer usually says whether it went out; a slow server does not hold
        // the request longer than firstAttemptWaitMs (the attempt goes on; the activity shows it).
        const attempt = mail.outbox.deliver(activity.id).catch((error: unknown) => ctx.log.error({ err: error, activity: activity.id }, 'delivery attempt failed'));
        await Promise.race([attempt, new Promise((resolve) => setTimeout(resolve, firstAttemptWaitMs).unref())]);
        return ctx.store.activities.require(activity.id);
      };
      if (!key) return send();
      if (key.length > 255) throw new BridgeError('INVALID_INPUT', 'Idempotency-Key: at most 255 characters', { details: [{ path: 'Idempotency-Key', message: 'at most 255 characters' }] });
      const tokenName = String(res.locals['tokenName'] ?? '');
      const requestHash = createHash('sha256').update(JSON.stringify(body)).digest('hex');
      return serialised(`${tokenName}\u0000${key}`, async () => {
        const stored = await ctx.store.idempotency.get(tokenName, key);
        if (stored) {
          if (stored.requestHash !== requestHash) throw new BridgeError('CONFLICT', 'Idempotency-Key was already used for a different request');
          res.setHeader('Idempotent-Replayed', 'true');
          return stored.body;
        }
        const activity = await send();
        await ctx.store.idempotency.put(tokenName, key, { requestHash, status: 201, body: activity });
        return activity;
      });
    },
  }),
];
