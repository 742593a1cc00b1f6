/**
 * The fields of an event or task that both sides model, in one normal form, so that the CRM's
 * activity and the calendar's object can be compared field by field against the last synced base
 * (DESIGN.md principle 4). Pure: no IO.
 */
import { createHash } from 'node:crypto';
import type { Activity } from '../../domain/activity.js';
import { normalizeEmail } from '../../domain/fields.js';
import type { EventActivity } from '../../calendar/event-mapping.js';
import type { TodoActivity } from '../../calendar/todo-mapping.js';

export interface EventFields {
  subject: string;
  start: string | null;
  end: string | null;
  allDay: boolean;
  location: string | null;
  description: string | null;
  status: 'open' | 'cancelled';
  busyStatus: 'free' | 'tentative' | 'busy' | 'oof';
  /** Minutes before the start of the reminder (RFC 5545 §3.6.6 VALARM), or null. */
  reminderMinutes: number | null;
  /** `role:address` (normalised), sorted; the organizer and the owner are not in it. */
  attendees: string[];
}

export interface TaskFields {
  kind: 'task' | 'follow_up';
  subject: string;
  due: string | null;
  status: 'open' | 'completed' | 'cancelled';
  priority: 'low' | 'normal' | 'high';
  /** RFC 5545 §3.8.1.8, 0-100 or null; always 100 when completed, so the two sides compare equal. */
  percentComplete: number | null;
  description: string | null;
}

export type ItemFields = EventFields | TaskFields;

/** The fields merged one by one (in this order in conflict messages). */
export const eventFieldNames = ['subject', 'start', 'end', 'allDay', 'location', 'description', 'status', 'busyStatus', 'reminderMinutes', 'attendees'] as const;
export const taskFieldNames = ['kind', 'subject', 'due', 'status', 'priority', 'percentComplete', 'description'] as const;

/** Completion and percentage in one normal form: a completed task is 100 % whatever a side stored. */
function taskPercent(status: TaskFields['status'], percent: number | null): number | null {
  return status === 'completed' ? 100 : percent;
}

function iso(value: string | null | undefined): string | null {
  return value ? new Date(value).toISOString() : null;
}

function attendeeKeys(parties: ReadonlyArray<{ role: string; address: string }>, ownerEmail: string): string[] {
  const owner = normalizeEmail(ownerEmail);
  const keys = parties
    .filter((party) => (party.role === 'attendee' || party.role === 'optional_attendee') && normalizeEmail(party.address) !== owner)
    .map((party) => `${party.role}:${normalizeEmail(party.address)}`);
  return [...new Set(keys)].sort();
}

/** How each CRM busy status is shown in a user's calendar (`users[].calendar.busyStatusMap`). */
export type BusyStatusMap = Readonly<Record<EventFields['busyStatus'], EventFields['busyStatus']>>;

/**
 * The CRM side's fields in "calendar space": busyStatus is the status the user's calendar shows for
 * it (the map), so an `oof` written as busy reads back equal and is not taken as a client edit; a
 * real client edit reaches the CRM as the calendar's value (activityChangeOf in item-codec.ts).
 */
export function eventFieldsOfActivity(activity: Activity, ownerEmail: string, busyStatusMap?: BusyStatusMap): EventFields {
  const busyStatus = activity.busyStatus ?? 'busy';
  return {
    subject: activity.subject,
    start: iso(activity.start),
    end: iso(activity.end),
    allDay: activity.allDay,
    location: activity.location ?? null,
    description: activity.bodyText ?? null,
    status: activity.status === 'cancelled' ? 'cancelled' : 'open',
    busyStatus: busyStatusMap?.[busyStatus] ?? busyStatus,
    reminderMinutes: activity.reminderMinutes ?? null,
    attendees: attendeeKeys(activity.parties, ownerEmail),
  };
}

export function eventFieldsOfRemote(event: EventActivity, ownerEmail: string): EventFields {
  return {
    subject: event.subject,
    start: iso(event.start),
    end: iso(event.end),
    allDay: event.allDay,
    location: event.location,
    description: event.bodyText,
    status: event.status,
    busyStatus: event.busyStatus,
    reminderMinutes: event.reminderMinutes,
    attendees: attendeeKeys(event.parties, ownerEmail),
  };
}

export function taskFieldsOfActivity(activity: Activity): TaskFields {
  return {
    kind: activity.kind === 'follow_up' ? 'follow_up' : 'task',
    subject: activity.subject,
    due: iso(activity.due),
    status: activity.status,
    priority: activity.priority,
    percentComplete: taskPercent(activity.status, activity.percentComplete ?? null),
    description: activity.bodyText ?? null,
  };
}

export function taskFieldsOfRemote(todo: TodoActivity): TaskFields {
  return { kind: todo.kind, subject: todo.subject, due: iso(todo.due), status: todo.status, priority: todo.priority, percentComplete: taskPercent(todo.status, todo.percentComplete), description: todo.bodyText };
}

/** A stable hash of a field set (the `hash` columns of sync_status). */
export function fieldsHash(fields: ItemFields): string {
  const ordered = Object.fromEntries(Object.entries(fields).sort(([a], [b]) => a.localeCompare(b)));
  return createHash('sha256').update(JSON.stringify(ordered)).digest('hex').slice(0, 32);
}
