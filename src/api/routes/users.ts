import { z } from 'zod';
import { BridgeError } from '../../domain/errors.js';
import { idParams, ref } from '../common.js';
import type { ApiContext } from '../context.js';
import { publicBaseUrl } from '../public-url.js';
import { defineRoute } from '../route.js';
import { resetScopes, resetUserSync } from '../../sync/reset-user-sync.js';


const resetInputSchema = z
  .object({
    scope: z.enum(resetScopes),
    /** One CRM record (contact or activity id); all of the scope when absent. Not for mail. */
    itemId: z.string().min(1).max(100).optional(),
  })
  .strict()
  .meta({ id: 'ResetInput' });

export const resetResultSchema = z
  .object({
    user: z.string(),
    scope: z.enum(resetScopes),
    itemId: z.string().nullable(),
    /** Sync mappings (or per-message states, for mail) forgotten. */
    mappings: z.number().int(),
    cursors: z.number().int(),
  })
  .meta({ id: 'ResetResult' });

export const userSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    email: z.string(),
    freeBusyUrl: z.string().nullable().optional().describe("GET /api/v1/users/:id only: the user's free/busy file with its token (as shown in the admin UI)"),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .meta({ id: 'User' });

export const userRoutes = (ctx: ApiContext) => [
  defineRoute({
    method: 'get',
    path: '/users',
    tag: 'users',
    summary: 'The CRM users (from the configuration file)',
    response: { description: 'the users', schema: { type: 'object', properties: { items: { type: 'array', items: ref('User') } } } },
    handler: async () => ({ items: await ctx.store.users.list() }),
  }),
  defineRoute({
    method: 'get',
    path: '/users/:id',
    tag: 'users',
    summary: 'One CRM user',
    params: idParams,
    errors: [404],
    response: { description: 'the user', schema: ref('User') },
    handler: async ({ params }) => {
      const user = await ctx.store.users.get(params.id);
      if (!user) throw new BridgeError('NOT_FOUND', `user ${params.id} not found`);
      // The bearer of an API token may read every free/busy file anyway; this hands a CRM the URL to
      // give to calendar clients (Outlook's Internet Free/Busy search path), as the admin UI does.
      const token = await ctx.store.credentials.get('user', user.id, 'freebusy-token');
      const base = publicBaseUrl(ctx.config.server, ctx.boundPort);
      // `@` may stand in a path segment (RFC 3986 §3.3).
      const freeBusyUrl = token === undefined ? null : `${base}/freebusy/${encodeURIComponent(user.email).replace('%40', '@')}.vfb?token=${encodeURIComponent(token)}`;
      return { ...user, freeBusyUrl };
    },
  }),
  defineRoute({
    method: 'post',
    path: '/users/:id/reset',
    tag: 'users',
    summary:
      "Forget what was delivered (mappings, tombstones, cursors) for a user's contacts, calendar, tasks or mail, or for one CRM record, so the next pass delivers it again; nothing is duplicated and no data is deleted",
    params: idParams,
    body: resetInputSchema,
    errors: [404],
    response: { description: 'what was forgotten', schema: ref('ResetResult') },
    handler: async ({ params, body }) => {
      const user = await ctx.store.users.get(params.id);
      if (!user) throw new BridgeError('NOT_FOUND', `user ${params.id} not found`);
      const counts = await resetUserSync(ctx.store, user.id, body.scope, body.itemId);
      ctx.log.info({ user: user.id, scope: body.scope, itemId: body.itemId, ...counts }, 'sync state reset');
      return { user: user.id, scope: body.scope, itemId: body.itemId ?? null, ...counts };
    },
  }),
];
