import { z } from 'zod';
import { busyStatuses, endNotBeforeStart, percentComplete, priorities, regardingSchema, reminderMinutes, type ActivityWrite, type PartyInput } from './activity.js';
import { dayOrTimestamp, emailAddress, longText, nullable, shortText, userId } from './fields.js';

/**
 * The calendar-shaped API of CONTRACT.md: appointments (meetings when they have attendees) and tasks
 * (tasks and follow-ups). Both are stored as activities; these schemas only give them their own,
 * simpler input shape.
 */
const appointmentFields = {
  owner: userId,
  subject: shortText.min(1),
  start: dayOrTimestamp,
  end: dayOrTimestamp,
  allDay: z.boolean().optional(),
  timeZone: nullable(shortText).optional().describe('IANA time zone, e.g. Europe/Berlin'),
  location: nullable(shortText).optional(),
  description: nullable(longText).optional(),
  busyStatus: z.enum(busyStatuses).optional(),
  reminderMinutes: nullable(reminderMinutes).optional().describe('minutes before the start (RFC 5545 §3.6.6 VALARM); null: no reminder'),
  attendees: z.array(emailAddress).max(500).optional(),
  regarding: nullable(regardingSchema).optional(),
};

export const appointmentInputSchema = z
  .object(appointmentFields)
  .strict()
  .refine(endNotBeforeStart, { message: 'end must not be before start', path: ['end'] })
  .meta({ id: 'AppointmentInput' });
export const appointmentPatchSchema = z
  .object(appointmentFields)
  .partial()
  .strict()
  .refine(endNotBeforeStart, { message: 'end must not be before start', path: ['end'] })
  .meta({ id: 'AppointmentPatch' });
export type AppointmentInput = z.infer<typeof appointmentInputSchema>;
export type AppointmentPatch = z.infer<typeof appointmentPatchSchema>;

// Also the RFC 5545 number (§3.8.1.9: 1-4 high, 5 medium, 6-9 low, 0 undefined), as task clients send it.
const taskPriority = z.union([
  z.enum(priorities),
  z
    .number()
    .int()
    .min(0)
    .max(9)
    .transform((value): (typeof priorities)[number] => (value >= 1 && value <= 4 ? 'high' : value >= 6 ? 'low' : 'normal')),
]);

const taskFields = {
  owner: userId,
  kind: z.enum(['task', 'follow_up']).optional(),
  subject: shortText.min(1),
  due: nullable(dayOrTimestamp).optional(),
  status: z.enum(['open', 'completed']).optional(),
  priority: taskPriority.optional(),
  percentComplete: nullable(percentComplete).optional().describe('RFC 5545 §3.8.1.8; completing a task sets 100'),
  description: nullable(longText).optional(),
  regarding: nullable(regardingSchema).optional(),
};
export const taskInputSchema = z.object(taskFields).strict().meta({ id: 'TaskInput' });
export const taskPatchSchema = z.object(taskFields).omit({ kind: true }).partial().strict().meta({ id: 'TaskPatch' });
export type TaskInput = z.infer<typeof taskInputSchema>;
export type TaskPatch = z.infer<typeof taskPatchSchema>;

export function attendeeParties(attendees: readonly string[]): PartyInput[] {
  return attendees.map((address) => ({ role: 'attendee' as const, address }));
}

/** An appointment request as an activity: a meeting when it has attendees (CONTRACT.md). */
export function appointmentToActivity(input: AppointmentInput): ActivityWrite {
  const attendees = input.attendees ?? [];
  return {
    kind: attendees.length > 0 ? 'meeting' : 'appointment',
    subject: input.subject,
    owner: input.owner,
    start: input.start,
    end: input.end,
    allDay: input.allDay ?? false,
    timeZone: input.timeZone ?? null,
    location: input.location ?? null,
    bodyText: input.description ?? null,
    busyStatus: input.busyStatus ?? 'busy',
    reminderMinutes: input.reminderMinutes ?? null,
    parties: attendeeParties(attendees),
    regarding: input.regarding ?? null,
  };
}

export function taskToActivity(input: TaskInput): ActivityWrite {
  return {
    kind: input.kind ?? 'task',
    subject: input.subject,
    owner: input.owner,
    due: input.due ?? null,
    status: input.status ?? 'open',
    priority: input.priority ?? 'normal',
    percentComplete: input.percentComplete ?? null,
    bodyText: input.description ?? null,
    regarding: input.regarding ?? null,
  };
}

export const appointmentKinds = ['appointment', 'meeting'] as const;
export const taskKinds = ['task', 'follow_up'] as const;
