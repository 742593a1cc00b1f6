import { z } from 'zod';
import { lookupBusy, type AttendeeBusy } from '../../calendar/attendee-busy.js';
import { proposeSlots } from '../../calendar/slots.js';
import { isIanaTimeZone } from '../../domain/wall-clock.js';
import { BridgeError } from '../../domain/errors.js';
import { dayOrTimestamp } from '../../domain/fields.js';
import { booleanQuery } from '../common.js';
import type { ApiContext } from '../context.js';
import { defineRoute } from '../route.js';

export function defaultWindow(config: ApiContext['config'], now = new Date()): { from: Date; to: Date } {
  return { from: new Date(now.getTime() - config.freebusy.daysBefore * 86_400_000), to: new Date(now.getTime() + config.freebusy.daysAfter * 86_400_000) };
}

const MAX_WINDOW_DAYS = 366;

function checkWindow(from: Date, to: Date): void {
  if (to.getTime() <= from.getTime()) throw new BridgeError('INVALID_INPUT', 'to: must be after from', { details: [{ path: 'to', message: 'must be after from' }] });
  if (to.getTime() - from.getTime() > MAX_WINDOW_DAYS * 86_400_000) {
    throw new BridgeError('INVALID_INPUT', `to: the window may span at most ${MAX_WINDOW_DAYS} days`, { details: [{ path: 'to', message: `at most ${MAX_WINDOW_DAYS} days after from` }] });
  }
}

const attendeesQuery = z.string().min(3).max(10_000).describe('comma-separated e-mail addresses or user ids');

function attendeeList(value: string): string[] {
  return [...new Set(value.split(',').map((entry) => entry.trim()).filter(Boolean))].slice(0, 100);
}

const busySchema = {
  type: 'array',
  items: {
    type: 'object',
    properties: {
      start: { type: 'string' },
      end: { type: 'string' },
      type: { type: 'string', enum: ['BUSY', 'BUSY-TENTATIVE', 'BUSY-UNAVAILABLE'] },
      source: { type: 'string', enum: ['crm', 'caldav', 'schedule-outbox'], description: 'crm: CRM appointments; caldav: the user\'s synced calendars; schedule-outbox: asked from the CalDAV server' },
    },
  },
};

function attendeeJson(entry: AttendeeBusy) {
  return {
    attendee: entry.attendee,
    userId: entry.userId,
    known: entry.known,
    method: entry.method,
    busy: entry.busy.map((period) => ({ start: period.start.toISOString(), end: period.end.toISOString(), type: period.type, source: period.source })),
  };
}

const weekdays = z
  .string()
  .regex(/^[1-7](,[1-7])*$/, 'expected ISO weekdays 1-7, comma-separated (1 = Monday)')
  .transform((value) => [...new Set(value.split(',').map(Number))]);
const clock = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$|^24:00$/, 'expected HH:MM');

export const freeBusyRoutes = (ctx: ApiContext) => {
  const deps = { store: ctx.store, config: ctx.config, log: ctx.log, ...(ctx.freeBusy ? { schedule: ctx.freeBusy } : {}) };
  return [
    defineRoute({
      method: 'get',
      path: '/freebusy',
      tag: 'freebusy',
      summary: 'Busy periods per attendee with their source: users from the store (CRM appointments and synced calendars), others from the CalDAV server\'s schedule outbox where offered, else from CRM appointments they take part in',
      query: z.object({
        attendees: attendeesQuery,
        from: dayOrTimestamp.optional().describe('default: freebusy.daysBefore days ago'),
        to: dayOrTimestamp.optional().describe('default: freebusy.daysAfter days ahead'),
      }),
      response: {
        description: 'per attendee: whether the bridge knows their whole calendar, how it found out, and their busy periods',
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
                  known: { type: 'boolean', description: 'false: neither a CRM user nor answered by a server; busy holds only CRM appointments they take part in' },
                  method: { type: 'string', enum: ['store', 'schedule-outbox', 'crm-activities'] },
                  busy: busySchema,
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
        checkWindow(from, to);
        const answers = await lookupBusy(deps, attendeeList(query.attendees), from, to);
        return { from: from.toISOString(), to: to.toISOString(), attendees: answers.map(attendeeJson) };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/freebusy/slots',
      tag: 'freebusy',
      summary: 'Propose the first free slots for a meeting of the given length within working hours, at which every attendee is free',
      query: z.object({
        attendees: attendeesQuery,
        duration: z.coerce.number().int().min(5).max(24 * 60).describe('meeting length in minutes'),
        from: dayOrTimestamp.optional().describe('default: now'),
        to: dayOrTimestamp.optional().describe('default: 14 days after from'),
        count: z.coerce.number().int().min(1).max(50).default(3).describe('how many slots'),
        step: z.coerce.number().int().min(5).max(120).default(15).describe('slot starts are aligned to this many minutes'),
        workStart: clock.optional().describe('default: freebusy.workingHours.start'),
        workEnd: clock.optional().describe('default: freebusy.workingHours.end'),
        days: weekdays.optional().describe('working ISO weekdays, e.g. 1,2,3,4,5 (default: freebusy.workingHours.days)'),
        timeZone: z.string().max(64).optional().describe('IANA zone of the working hours (default: freebusy.workingHours.timeZone)'),
        tentativeIsFree: booleanQuery.default(false).describe('treat tentative time as free'),
      }),
      response: {
        description: 'the proposed slots (possibly fewer than asked, or none) and the attendees whose calendars are not known',
        schema: {
          type: 'object',
          properties: {
            slots: { type: 'array', items: { type: 'object', properties: { start: { type: 'string' }, end: { type: 'string' } } } },
            unknownAttendees: { type: 'array', items: { type: 'string' } },
          },
        },
      },
      handler: async ({ query }) => {
        const from = query.from ? new Date(query.from) : new Date();
        const to = query.to ? new Date(query.to) : new Date(from.getTime() + 14 * 86_400_000);
        checkWindow(from, to);
        const defaults = ctx.config.freebusy.workingHours;
        const timeZone = query.timeZone ?? defaults.timeZone;
        if (!isIanaTimeZone(timeZone)) throw new BridgeError('INVALID_INPUT', `timeZone: unknown time zone ${timeZone}`, { details: [{ path: 'timeZone', message: 'expected an IANA time zone such as Europe/Berlin' }] });
        const workingHours = { start: query.workStart ?? defaults.start, end: query.workEnd ?? defaults.end, days: query.days ?? defaults.days, timeZone };
        if (workingHours.end <= workingHours.start) throw new BridgeError('INVALID_INPUT', 'workEnd: must be after workStart', { details: [{ path: 'workEnd', message: 'must be after workStart' }] });
        const answers = await lookupBusy(deps, attendeeList(query.attendees), from, to);
        const slots = proposeSlots(
          answers.flatMap((answer) => answer.busy),
          {
            from,
            to,
            durationMinutes: query.duration,
            workingHours,
            count: query.count,
            stepMinutes: query.step,
            blocking: query.tentativeIsFree ? ['BUSY', 'BUSY-UNAVAILABLE'] : ['BUSY', 'BUSY-TENTATIVE', 'BUSY-UNAVAILABLE'],
          },
        );
        return {
          slots: slots.map((slot) => ({ start: slot.start.toISOString(), end: slot.end.toISOString() })),
          unknownAttendees: answers.filter((answer) => !answer.known).map((answer) => answer.attendee),
        };
      },
    }),
  ];
};
