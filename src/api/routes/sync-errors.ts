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
    /** What the last occurrence said. */
    message: z.string(),
    /** The last time it happened (the same as lastSeen). */
    at: z.string(),
    firstSeen: z.string(),
    lastSeen: z.string(),
    /** How often it happened since firstSeen: one row per source, item and code. */
    count: z.number().int().min(1),
    /** When it went away (the source synced again, or an admin dismissed it); null while it stands. */
    resolvedAt: z.string().nullable(),
  })
  .meta({ id: 'SyncError' });

const syncErrorQuery = z.object({
  source: z.string().max(200).optional().describe('only this source, e.g. carddav:alice'),
  code: z.enum(errorCodes).optional().describe('only this code, e.g. CONFLICT for the review list of conflicts and ambiguous duplicates'),
  state: z.enum(['current', 'resolved', 'all']).default('current').describe('current: the problems that stand (default); resolved: history; all: both'),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});

/**
 * What the sync passes recorded: per-item failures, conflicts (the CRM value kept, client edits
 * reverted) and duplicates left for review, most recently seen first, so a CRM can show them next
 * to its data. One row per problem (source, item, code) with how often and since when it happened.
 */
export const syncErrorRoutes = (ctx: ApiContext) => [
  defineRoute({
    method: 'get',
    path: '/sync-errors',
    tag: 'sync',
    summary: 'Recorded sync failures, conflicts and duplicates to review: one row per problem, most recently seen first',
    query: syncErrorQuery,
    response: { description: 'the errors', schema: { type: 'object', properties: { items: { type: 'array', items: ref('SyncError') } } } },
    handler: async ({ query }) => {
      return { items: await ctx.store.syncErrors.list(query.limit, { source: query.source, code: query.code, state: query.state }) };
    },
  }),
];
