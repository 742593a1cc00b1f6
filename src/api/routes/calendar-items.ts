import { z } from 'zod';
import type { Activity, ActivityChange, ActivityKind, ActivityWrite } from '../../domain/activity.js';
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
  type AppointmentPatch,
  type TaskPatch,
} from '../../domain/appointment.js';
import type { PartyInput } from '../../domain/activity.js';
import { BridgeError } from '../../domain/errors.js';
import { dayOrTimestamp } from '../../domain/fields.js';
import { resolveParties } from '../../domain/resolve-parties.js';
import { StoreDirectory } from '../../store/party-directory.js';
import { idParams, listOf, pageQuery, ref } from '../common.js';
import type { ApiContext } from '../context.js';
import { defineRoute, type AnyRoute } from '../route.js';

interface ItemFamily<I extends z.ZodType, P extends z.ZodType> {
  resource: 'appointments' | 'tasks';
  noun: string;
  kinds: readonly ActivityKind[];
  input: I;
  patch: P;
  toActivity: (body: z.output<I>) => ActivityWrite;
  toChange: (body: z.output<P>) => ActivityChange;
}

/**
 * /api/v1/appointments and /api/v1/tasks (CONTRACT.md): calendar-shaped views of activities. The
 * calendar sync writes them to the owner's CalDAV calendar / task list.
 */
function itemRoutes<I extends z.ZodType, P extends z.ZodType>(ctx: ApiContext, family: ItemFamily<I, P>): AnyRoute[] {
  const { resource, noun, kinds } = family;
  // Another kind of activity under this id is "not found" here.
  const requireItem = async (id: string): Promise<Activity> => {
    const activity = await ctx.store.activities.get(id);
    if (!activity || !kinds.includes(activity.kind)) throw new BridgeError('NOT_FOUND', `${noun} ${id} not found`);
    return activity;
  };
  // Attendees are matched to users, contacts, leads and accounts as mail parties are, so a meeting
  // shows up under the contact's and the account's activities.
  const resolved = async <T extends { parties?: PartyInput[] | undefined }>(write: T): Promise<T> => {
    if (!write.parties || write.parties.length === 0) return write;
    const addresses = write.parties.map((party) => ({ address: party.address, name: party.name ?? null, role: party.role }));
    return { ...write, parties: await resolveParties(addresses, new StoreDirectory(ctx.store, ctx.config.users)) };
  };
  return [
    defineRoute({
      method: 'get',
      path: `/${resource}`,
      tag: resource,
      summary: `List ${resource}`,
      query: z.object({ owner: z.string().optional(), since: dayOrTimestamp.optional().describe('changed at or after this instant'), ...pageQuery }),
      response: { description: `a page of ${resource}`, schema: listOf('Activity') },
      handler: async ({ query }) => ctx.store.activities.list({ kinds, owner: query.owner, since: query.since }, { limit: query.limit, cursor: query.cursor }),
    }),
    defineRoute({
      method: 'get',
      path: `/${resource}/:id`,
      tag: resource,
      summary: `Get one ${noun}`,
      params: idParams,
      errors: [404],
      response: { description: `the ${noun}`, schema: ref('Activity') },
      handler: async ({ params }) => requireItem(params.id),
    }),
    defineRoute({
      method: 'post',
      path: `/${resource}`,
      tag: resource,
      summary: `Create ${noun === 'appointment' ? 'an appointment (a meeting when it has attendees)' : 'a task or follow-up'}`,
      body: family.input,
      status: 201,
      response: { description: `the ${noun} as an activity`, schema: ref('Activity') },
      handler: async ({ body }) => ctx.store.activities.create(await resolved(family.toActivity(body))),
    }),
    defineRoute({
      method: 'patch',
      path: `/${resource}/:id`,
      tag: resource,
      summary: `Change some fields of ${noun === 'appointment' ? 'an appointment' : 'a task'}`,
      params: idParams,
      body: family.patch,
      errors: [404],
      response: { description: `the ${noun}`, schema: ref('Activity') },
      handler: async ({ params, body }) => ctx.store.activities.update((await requireItem(params.id)).id, await resolved(family.toChange(body))),
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
        await ctx.store.activities.delete((await requireItem(params.id)).id);
      },
    }),
  ];
}

/** The fields a PATCH sent, renamed where the activity calls them differently. */
function changeOf(body: AppointmentPatch | TaskPatch): ActivityChange {
  const { description, ...rest } = body as AppointmentPatch & TaskPatch;
  const change: ActivityChange = {};
  for (const [key, value] of Object.entries(rest)) if (value !== undefined && key !== 'attendees') (change as Record<string, unknown>)[key] = value;
  if (description !== undefined) change.bodyText = description;
  return change;
}

export const calendarItemRoutes = (ctx: ApiContext): AnyRoute[] => [
  ...itemRoutes(ctx, {
    resource: 'appointments',
    noun: 'appointment',
    kinds: appointmentKinds,
    input: appointmentInputSchema,
    patch: appointmentPatchSchema,
    toActivity: appointmentToActivity,
    toChange: (body) => ({
      ...changeOf(body),
      // Attendees make an appointment a meeting, and removing them makes it an appointment again.
      ...(body.attendees !== undefined ? { parties: attendeeParties(body.attendees), kind: body.attendees.length > 0 ? 'meeting' : 'appointment' } : {}),
    }),
  }),
  ...itemRoutes(ctx, {
    resource: 'tasks',
    noun: 'task',
    kinds: taskKinds,
    input: taskInputSchema,
    patch: taskPatchSchema,
    toActivity: taskToActivity,
    toChange: changeOf,
  }),
];
