import { z } from 'zod';
import { errorCodes } from '../../domain/errors.js';
import { ref } from '../common.js';
import type { ApiContext } from '../context.js';
import { defineRoute } from '../route.js';

export const syncErrorSchema = z
  .object({
    id: z.number().int(),
    /** The source, e.g. `carddav:alice`, `caldav:alice`, `imap:alice`. */
    source: z.string(),
    /** The item (an href, a message) when the error concerns one; null for the whole source. */
    itemRef: z.string().nullable(),
    code: z.enum(errorCodes),
    message: z.string(),
    at: z.string(),
  })
  .meta({ id: 'SyncError' });

const syncErrorQuery = z.object({
  source: z.string().max(200).optional().describe('only this source, e.g. carddav:alice'),
  code: z.enum(errorCodes).optional().describe('only this code, e.g. CONFLICT for the review list of conflicts and ambiguous duplicates'),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});

/**
 * What the sync passes recorded: per-item failures, conflicts (the CRM value kept, client edits
 * reverted) and duplicates left for review, newest first, so a CRM can show them next to its data.
 */
export const syncErrorRoutes = (ctx: ApiContext) => [
  defineRoute({
    method: 'get',
    path: '/sync-errors',
    tag: 'sync',
    summary: 'Recorded sync failures, conflicts and duplicates to review, newest first',
    query: syncErrorQuery,
    response: { description: 'the errors', schema: { type: 'object', properties: { items: { type: 'array', items: ref('SyncError') } } } },
    handler: async ({ query }) => {
      return { items: await ctx.store.syncErrors.recent(query.limit, query.source, query.code) };
    },
  }),
];
