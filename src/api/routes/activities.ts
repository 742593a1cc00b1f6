import { z } from 'zod';
import { activityInputSchema, activityKinds, activityPatchSchema, regardingSchema, regardingTypes } from '../../domain/activity.js';
import { dayOrTimestamp } from '../../domain/fields.js';
import { idParams, ref } from '../common.js';
import type { ApiContext } from '../context.js';
import { crudRoutes } from '../crud.js';
import { defineRoute } from '../route.js';

/**
 * `?regarding=` is a record id or `type:id`; the part before the first `:` is read as the type, so
 * an unknown type there is a bad value (400), not a filter that silently matches nothing.
 */
const regardingFilter = z
  .string()
  .min(1)
  .refine((value) => !value.includes(':') || (regardingTypes as readonly string[]).includes(value.slice(0, value.indexOf(':'))), {
    message: `expected a record id or type:id with type ${regardingTypes.join(', ')}`,
  })
  .describe('id of the regarding record, or type:id (type: account, contact, lead or opportunity)');

export const activityRoutes = (ctx: ApiContext) => [
  ...crudRoutes({
    resource: 'activities',
    schemaId: 'Activity',
    noun: 'activity',
    input: activityInputSchema,
    patch: activityPatchSchema,
    filters: {
      kind: z.enum(activityKinds).optional(),
      owner: z.string().optional().describe('owner user id'),
      contact: z.string().optional().describe('contact id: a party of the activity, or what it is regarding'),
      account: z.string().optional().describe('account id: a party at the account, or what it is regarding'),
      regarding: regardingFilter.optional(),
      queue: z.string().optional().describe('shared mailbox id'),
      since: dayOrTimestamp.optional().describe('changed at or after this instant'),
      messageId: z.string().optional().describe('RFC 5322 Message-ID'),
      thread: z.string().max(1000).optional().describe('threadId: the activities of one conversation'),
    },
    toFilter: (query) => query,
    repository: () => ctx.store.activities,
  }),
  defineRoute({
    method: 'get',
    path: '/threads/:id',
    tag: 'activities',
    summary: 'The activities of one conversation (same threadId), oldest first by date',
    params: z.object({ id: z.string().min(1).max(1000) }),
    response: { description: 'the thread', schema: { type: 'object', properties: { items: { type: 'array', items: ref('Activity') } } } },
    handler: async ({ params }) => ({ items: await ctx.store.activities.thread(params.id) }),
  }),
  defineRoute({
    method: 'post',
    path: '/activities/:id/regarding',
    tag: 'activities',
    summary: 'Set the record an activity is regarding (PATCH with regarding: null clears it)',
    params: idParams,
    body: regardingSchema,
    errors: [404],
    response: { description: 'the updated activity', schema: ref('Activity') },
    handler: async ({ params, body }) => ctx.store.activities.setRegarding(params.id, body),
  }),
];
