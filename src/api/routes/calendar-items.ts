import { z } from 'zod';
import type { Activity, ActivityChange, ActivityKind } from '../../domain/activity.js';
import {
  appointmentInputSchema,
  appointmentKinds,
  appointmentPatchSchema,
  appointmentToActivity,
  attendeeParties,
  taskInputSchema,
  taskKinds,
  taskPatchSchema,
  taskToActivity,
} from '../../domain/appointment.js';
import { BridgeError } from '../../domain/errors.js';
import { timestamp } from '../../domain/fields.js';
import { idParams, listOf, pageQuery, ref } from '../common.js';
import type { ApiContext } from '../context.js';
import { defineRoute, type AnyRoute } from '../route.js';

/** The activity, if it is one of `kinds`; other kinds are "not found" on these routes. */
async function requireKind(ctx: ApiContext, id: string, kinds: readonly ActivityKind[], noun: string): Promise<Activity> {
  const activity = await ctx.store.activities.get(id);
  if (!activity || !kinds.includes(activity.kind)) throw new BridgeError('NOT_FOUND', `${noun} ${id} not found`);
  return activity;
}

/**
 * /api/v1/appointments and /api/v1/tasks (CONTRACT.md): calendar-shaped views of activities. They are
 * written to the owner's CalDAV calendar / task list by the calendar sync.
 */
export const calendarItemRoutes = (ctx: ApiContext): AnyRoute[] => {
  const routes: AnyRoute[] = [];
  const family = (resource: string, noun: string, kinds: readonly ActivityKind[], input: z.ZodType, patch: z.ZodType, toActivity: (body: never) => ReturnType<typeof appointmentToActivity>, toChange: (body: never, current: Activity) => ActivityChange) => {
    routes.push(
      defineRoute({
        method: 'get',
        path: `/${resource}`,
        tag: resource,
        summary: `List ${resource}`,
        query: z.object({ owner: z.string().optional(), since: timestamp.optional().describe('changed at or after this instant'), ...pageQuery }),
        response: { description: `a page of ${resource}`, schema: listOf('Activity') },
        handler: async ({ query }) => {
          const q = query as { owner?: string; since?: string; limit: number; cursor?: string };
          return ctx.store.activities.list({ kinds, owner: q.owner, since: q.since }, { limit: q.limit, cursor: q.cursor });
        },
      }),
      defineRoute({
        method: 'get',
        path: `/${resource}/:id`,
        tag: resource,
        summary: `Get one ${noun}`,
        params: idParams,
        errors: [404],
        response: { description: `the ${noun}`, schema: ref('Activity') },
        handler: async ({ params }) => requireKind(ctx, params.id, kinds, noun),
      }),
      defineRoute({
        method: 'post',
        path: `/${resource}`,
        tag: resource,
        summary: `Create ${noun === 'appointment' ? 'an appointment (a meeting when it has attendees)' : 'a task or follow-up'}; it appears in the owner's ${noun === 'appointment' ? 'CRM calendar' : 'CRM task list'}`,
        body: input,
        status: 201,
        response: { description: `the ${noun} as an activity`, schema: ref('Activity') },
        handler: async ({ body }) => ctx.store.activities.create(toActivity(body as never)),
      }),
      defineRoute({
        method: 'patch',
        path: `/${resource}/:id`,
        tag: resource,
        summary: `Change some fields of ${noun === 'appointment' ? 'an appointment' : 'a task'}`,
        params: idParams,
        body: patch,
        errors: [404],
        response: { description: `the ${noun}`, schema: ref('Activity') },
        handler: async ({ params, body }) => {
          const current = await requireKind(ctx, params.id, kinds, noun);
          return ctx.store.activities.update(current.id, toChange(body as never, current));
        },
      }),
      defineRoute({
        method: 'delete',
        path: `/${resource}/:id`,
        tag: resource,
        summary: `Delete ${noun === 'appointment' ? 'an appointment' : 'a task'}`,
        params: idParams,
        status: 204,
        errors: [404],
        response: { description: 'deleted' },
        handler: async ({ params }) => {
          await requireKind(ctx, params.id, kinds, noun);
          await ctx.store.activities.delete(params.id);
        },
      }),
    );
  };

  family('appointments', 'appointment', appointmentKinds, appointmentInputSchema, appointmentPatchSchema, appointmentToActivity as never, ((body: z.infer<typeof appointmentPatchSchema>) => {
    const change: ActivityChange = {};
    if (body.owner !== undefined) change.owner = body.owner;
    if (body.subject !== undefined) change.subject = body.subject;
    if (body.start !== undefined) change.start = body.start;
    if (body.end !== undefined) change.end = body.end;
    if (body.allDay !== undefined) change.allDay = body.allDay;
    if (body.timeZone !== undefined) change.timeZone = body.timeZone;
    if (body.location !== undefined) change.location = body.location;
    if (body.description !== undefined) change.bodyText = body.description;
    if (body.busyStatus !== undefined) change.busyStatus = body.busyStatus;
    if (body.regarding !== undefined) change.regarding = body.regarding;
    if (body.attendees !== undefined) {
      change.parties = attendeeParties(body.attendees);
      change.kind = body.attendees.length > 0 ? 'meeting' : 'appointment';
    }
    return change;
  }) as never);

  family('tasks', 'task', taskKinds, taskInputSchema, taskPatchSchema, taskToActivity as never, ((body: z.infer<typeof taskPatchSchema>) => {
    const change: ActivityChange = {};
    if (body.owner !== undefined) change.owner = body.owner;
    if (body.subject !== undefined) change.subject = body.subject;
    if (body.due !== undefined) change.due = body.due;
    if (body.status !== undefined) change.status = body.status;
    if (body.priority !== undefined) change.priority = body.priority;
    if (body.description !== undefined) change.bodyText = body.description;
    if (body.regarding !== undefined) change.regarding = body.regarding;
    return change;
  }) as never);
  return routes;
};
