import { z } from 'zod';
import { changeEntities } from '../../store/changes.js';
import type { ApiContext } from '../context.js';
import { defineRoute } from '../route.js';

export const changeSchema = z
  .object({
    seq: z.number().int(),
    entity: z.enum(changeEntities),
    id: z.string(),
    op: z.enum(['created', 'updated', 'deleted']),
    at: z.string(),
    data: z.unknown().describe('the record after the change; null for deletions'),
  })
  .meta({ id: 'Change' });

export const changeRoutes = (ctx: ApiContext) => [
  defineRoute({
    method: 'get',
    path: '/changes',
    tag: 'changes',
    summary: 'The ordered change feed: every create, update and delete of a CRM record, after sequence number `after`',
    query: z.object({
      after: z.coerce.number().int().min(0).default(0).describe('return changes with a sequence number greater than this'),
      limit: z.coerce.number().int().min(1).max(1000).default(100),
    }),
    response: {
      description: 'changes in sequence order; pass `next` as `after` to continue',
      schema: {
        type: 'object',
        required: ['items', 'next', 'hasMore'],
        properties: {
          items: { type: 'array', items: { $ref: '#/components/schemas/Change' } },
          next: { type: 'integer', description: 'sequence number to pass as `after` next time' },
          hasMore: { type: 'boolean' },
        },
      },
    },
    handler: async ({ query }) => {
      const rows = await ctx.store.changes.listAfter(query.after, query.limit + 1);
      const items = rows.slice(0, query.limit);
      return { items, next: items.at(-1)?.seq ?? query.after, hasMore: rows.length > query.limit };
    },
  }),
];
