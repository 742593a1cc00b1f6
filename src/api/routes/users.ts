import { z } from 'zod';
import { BridgeError } from '../../domain/errors.js';
import { idParams, ref } from '../common.js';
import type { ApiContext } from '../context.js';
import { defineRoute } from '../route.js';

export const userSchema = z
  .object({ id: z.string(), name: z.string(), email: z.string(), createdAt: z.string(), updatedAt: z.string() })
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
      return user;
    },
  }),
];
