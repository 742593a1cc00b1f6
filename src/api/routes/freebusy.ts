import { z } from 'zod';
import { busyOfUser } from '../../calendar/user-busy.js';
import { BridgeError } from '../../domain/errors.js';
import { normalizeEmail, timestamp } from '../../domain/fields.js';
import type { ApiContext } from '../context.js';
import { defineRoute } from '../route.js';

export function defaultWindow(config: ApiContext['config'], now = new Date()): { from: Date; to: Date } {
  return { from: new Date(now.getTime() - config.freebusy.daysBefore * 86_400_000), to: new Date(now.getTime() + config.freebusy.daysAfter * 86_400_000) };
}

export const freeBusyRoutes = (ctx: ApiContext) => [
  defineRoute({
    method: 'get',
    path: '/freebusy',
    tag: 'freebusy',
    summary: 'Busy periods per attendee (CRM users: appointments and meetings in the CRM), with their source',
    query: z.object({
      attendees: z.string().min(3).max(10_000).describe('comma-separated e-mail addresses or user ids'),
      from: timestamp.optional().describe(`default: freebusy.daysBefore days ago`),
      to: timestamp.optional().describe(`default: freebusy.daysAfter days ahead`),
    }),
    response: {
      description: 'per attendee: whether the bridge knows their calendar, and their busy periods',
      schema: {
        type: 'object',
        properties: {
          from: { type: 'string' },
          to: { type: 'string' },
          attendees: {
            type: 'array',
            items: {
              type: 'object',
              properties: {
                attendee: { type: 'string' },
                userId: { type: 'string', nullable: true },
                known: { type: 'boolean', description: 'false: not a CRM user; no busy time is known' },
                busy: { type: 'array', items: { type: 'object', properties: { start: { type: 'string' }, end: { type: 'string' }, type: { type: 'string', enum: ['BUSY', 'BUSY-TENTATIVE', 'BUSY-UNAVAILABLE'] }, source: { type: 'string' } } } },
              },
            },
          },
        },
      },
    },
    handler: async ({ query }) => {
      const window = defaultWindow(ctx.config);
      const from = query.from ? new Date(query.from) : window.from;
      const to = query.to ? new Date(query.to) : window.to;
      if (to.getTime() <= from.getTime()) throw new BridgeError('INVALID_INPUT', 'to: must be after from', { details: [{ path: 'to', message: 'must be after from' }] });
      if (to.getTime() - from.getTime() > 366 * 86_400_000) throw new BridgeError('INVALID_INPUT', 'to: the window may span at most 366 days', { details: [{ path: 'to', message: 'at most 366 days after from' }] });
      const wanted = query.attendees.split(',').map((entry) => entry.trim()).filter(Boolean).slice(0, 100);
      const users = await ctx.store.users.list();
      return {
        from: from.toISOString(),
        to: to.toISOString(),
        attendees: await Promise.all(
          wanted.map(async (attendee) => {
            const user = users.find((candidate) => candidate.id === attendee || normalizeEmail(candidate.email) === normalizeEmail(attendee));
            const busy = user ? await busyOfUser(ctx.store, user.id, from, to) : [];
            return { attendee, userId: user?.id ?? null, known: user !== undefined, busy: busy.map((period) => ({ start: period.start.toISOString(), end: period.end.toISOString(), type: period.type, source: period.source })) };
          }),
        ),
      };
    },
  }),
];
