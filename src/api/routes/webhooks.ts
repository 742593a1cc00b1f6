import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { BridgeError } from '../../domain/errors.js';
import { idPrefixes, newId } from '../../domain/ids.js';
import { idParams, ref } from '../common.js';
import type { ApiContext } from '../context.js';
import { defineRoute } from '../route.js';
import { literalTargetRefusal, targetPolicyOf, webhookUrlProblem } from '../../webhooks/target-policy.js';

export const webhookSchema = z
  .object({
    id: z.string(),
    url: z.string(),
    events: z.array(z.string()),
    origin: z.enum(['config', 'api']),
    active: z.boolean(),
    cursorSeq: z.number().int().describe('last change sequence acknowledged by the endpoint'),
    attempts: z.number().int().describe('failed attempts at the next change'),
    nextAttemptAt: z.string().nullable(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .meta({ id: 'Webhook' });

const eventPattern = z.string().regex(/^(\*|[a-z_]+)(\.(\*|created|updated|deleted))?$/, 'expected *, entity.*, entity.op or *.op');

export const webhookInputSchema = z
  .object({
    url: z.url({ protocol: /^https?$/ }),
    secret: z.string().min(16).max(200).optional().describe('HMAC key; generated and returned once when omitted'),
    events: z.array(eventPattern).min(1).max(50).default(['*']).describe('e.g. ["*"], ["contact.*", "activity.created"]'),
  })
  .strict()
  .meta({ id: 'WebhookInput' });

export const deliverySchema = z
  .object({
    id: z.number().int(),
    webhookId: z.string(),
    changeSeq: z.number().int(),
    attempt: z.number().int(),
    outcome: z.enum(['delivered', 'failed']),
    httpStatus: z.number().int().nullable(),
    error: z.string().nullable(),
    durationMs: z.number().int(),
    at: z.string(),
  })
  .meta({ id: 'WebhookDelivery' });

export const webhookRoutes = (ctx: ApiContext) => [
  defineRoute({
    method: 'get',
    path: '/webhooks',
    tag: 'webhooks',
    summary: 'List webhook endpoints (secrets are never returned)',
    response: { description: 'the endpoints', schema: { type: 'object', properties: { items: { type: 'array', items: ref('Webhook') } } } },
    handler: async () => ({ items: await ctx.store.webhooks.list() }),
  }),
  defineRoute({
    method: 'post',
    path: '/webhooks',
    tag: 'webhooks',
    summary: 'Register an endpoint; it receives every matching change from now on, signed with HMAC-SHA256',
    body: webhookInputSchema,
    status: 201,
    errors: [400],
    response: {
      description: 'the endpoint, with its secret (shown only here)',
      schema: { allOf: [ref('Webhook'), { type: 'object', properties: { secret: { type: 'string' } } }] },
    },
    handler: async ({ body }) => {
      // Credentials in the URL, or an IP literal on a network the policy refuses (target-policy.ts).
      const problem = webhookUrlProblem(body.url) ?? literalTargetRefusal(ctx.webhookPolicy ?? targetPolicyOf(ctx.config), body.url);
      if (problem) throw new BridgeError('INVALID_INPUT', `url: ${problem}`, { details: [{ path: 'url', message: problem }] });
      const secret = body.secret ?? randomBytes(24).toString('base64url');
      const hook = await ctx.store.webhooks.upsert({ id: newId(idPrefixes.webhook), url: body.url, secret, events: body.events, origin: 'api' }, await ctx.store.changes.latestSeq());
      ctx.notifyChange();
      return { ...hook, secret };
    },
  }),
  defineRoute({
    method: 'get',
    path: '/webhooks/:id',
    tag: 'webhooks',
    summary: 'Get one webhook endpoint',
    params: idParams,
    errors: [404],
    response: { description: 'the endpoint', schema: ref('Webhook') },
    handler: async ({ params }) => ctx.store.webhooks.require(params.id),
  }),
  defineRoute({
    method: 'delete',
    path: '/webhooks/:id',
    tag: 'webhooks',
    summary: 'Remove an endpoint registered through the API (configured ones are removed from the configuration)',
    params: idParams,
    status: 204,
    errors: [404, 409],
    response: { description: 'removed' },
    handler: async ({ params }) => {
      const hook = await ctx.store.webhooks.require(params.id);
      if (hook.origin === 'config') throw new BridgeError('CONFLICT', `webhook ${hook.id} comes from the configuration file; remove it there`);
      await ctx.store.webhooks.remove(hook.id);
    },
  }),
  defineRoute({
    method: 'get',
    path: '/webhooks/:id/deliveries',
    tag: 'webhooks',
    summary: 'The delivery log of an endpoint, newest first',
    params: idParams,
    query: z.object({ limit: z.coerce.number().int().min(1).max(1000).default(100) }),
    errors: [404],
    response: { description: 'delivery attempts', schema: { type: 'object', properties: { items: { type: 'array', items: ref('WebhookDelivery') } } } },
    handler: async ({ params, query }) => {
      await ctx.store.webhooks.require(params.id);
      return { items: await ctx.store.webhooks.deliveries(params.id, query.limit) };
    },
  }),
];
