/**
 * Between the sync engine's field sets and the two sides' shapes: a calendar object read as fields
 * (plus what the planner needs: organizer, end, last change), and merged fields written as an
 * activity change or as iCalendar text into a copy of the base object. Pure (no IO).
 */
import type { Activity, ActivityChange, ActivityWrite, PartyInput } from '../../domain/activity.js';
import { normalizeEmail } from '../../domain/fields.js';
import { activityToEvent, eventToActivity, type EventActivity, type EventActivityInput } from '../../calendar/event-mapping.js';
import type { CalendarObject } from '../../calendar/ical-parse.js';
import { modifiedAtOf } from '../../calendar/modified-at.js';
import { todoToActivity, todoToIcal, type TodoActivity } from '../../calendar/todo-mapping.js';
import { eventFieldNames, eventFieldsOfActivity, eventFieldsOfRemote, taskFieldNames, taskFieldsOfActivity, taskFieldsOfRemote, type BusyStatusMap, type EventFields, type ItemFields, type TaskFields } from './fields.js';

export type FamilyName = 'events' | 'tasks';

export interface UserContext {
  userId: string;
  email: string;
  name: string;
  /** CRM users by normalised address. */
  userEmails: ReadonlyMap<string, string>;
  /** How the CRM's busy statuses show in this user's calendar; absent: as themselves. */
  busyStatusMap?: BusyStatusMap;
}

/** What a remote object says, in the engine's terms. */
export interface RemoteRead {
  family: FamilyName;
  uid: string;
  fields: ItemFields;
  /** ORGANIZER address, or null (the user's own item). */
  organizer: string | null;
  /** End (events) or due date (tasks), UTC ISO, or null. */
  end: string | null;
  recurring: boolean;
  categories: string[];
  modifiedAt: string | null;
  warnings: string[];
  event?: EventActivity;
  todo?: TodoActivity;
}

/** The base row's content: agreed fields plus what deletion rules need when the item is gone. */
export interface BaseRecord {
  fields: ItemFields;
  organizer: string | null;
  end: string | null;
  recurring: boolean;
}

export const fieldNamesOf = (family: FamilyName): readonly string[] => (family === 'events' ? eventFieldNames : taskFieldNames);

export function familyOf(object: CalendarObject): FamilyName {
  return object.kind === 'todo' ? 'tasks' : 'events';
}

export function readRemote(object: CalendarObject, user: UserContext): RemoteRead {
  const modifiedAt = modifiedAtOf(object);
  if (object.kind === 'todo') {
    const todo = todoToActivity(object);
    return { family: 'tasks', uid: object.uid, fields: taskFieldsOfRemote(todo), organizer: null, end: todo.due, recurring: false, categories: todo.categories, modifiedAt, warnings: todo.warnings, todo };
  }
  const event = eventToActivity(object, { ownerEmail: user.email, userEmails: user.userEmails });
  const organizer = event.parties.find((party) => party.role === 'organizer')?.address ?? null;
  return { family: 'events', uid: object.uid, fields: eventFieldsOfRemote(event, user.email), organizer, end: event.end, recurring: event.recurring, categories: event.categories, modifiedAt, warnings: event.warnings, event };
}

export function crmFieldsOf(family: FamilyName, activity: Activity, user: UserContext): ItemFields {
  return family === 'events' ? eventFieldsOfActivity(activity, user.email, user.busyStatusMap) : taskFieldsOfActivity(activity);
}

export function baseOfRemote(read: RemoteRead): BaseRecord {
  return { fields: read.fields, organizer: read.organizer, end: read.end, recurring: read.recurring };
}

export function organisedBy(organizer: string | null, user: UserContext): boolean {
  return organizer === null || normalizeEmail(organizer) === normalizeEmail(user.email);
}

/** Now or in the future: a recurring series, an item without an end, or one ending at or after `now`. */
export function isCurrent(base: Pick<BaseRecord, 'end' | 'recurring'>, now: Date): boolean {
  return base.recurring || base.end === null || Date.parse(base.end) >= now.getTime();
}

function attendeeParty(key: string, activity: Activity | null, read: RemoteRead | null): PartyInput {
  const index = key.indexOf(':');
  const role = key.slice(0, index) as 'attendee' | 'optional_attendee';
  const address = key.slice(index + 1);
  const known = activity?.parties.find((party) => normalizeEmail(party.address) === address) ?? read?.event?.parties.find((party) => normalizeEmail(party.address) === address);
  return { role, address: known?.address ?? address, name: known?.name ?? null, userId: known?.userId ?? null };
}

/** Merged fields as iCalendar text, written into a copy of `base` (null: a new object with `uid`). */
export function fieldsToIcal(family: FamilyName, fields: ItemFields, activity: Activity | null, base: CalendarObject | null, read: RemoteRead | null, uid: string, user: UserContext, now: Date): string {
  if (family === 'tasks') {
    const task = fields as TaskFields;
    return todoToIcal(
      {
        kind: task.kind,
        subject: task.subject,
        start: activity?.start ?? read?.todo?.start ?? null,
        due: task.due,
        allDay: activity?.allDay ?? read?.todo?.allDay ?? false,
        timeZone: activity?.timeZone ?? read?.todo?.timeZone ?? null,
        status: task.status,
        priority: task.priority,
        percentComplete: task.percentComplete,
        bodyText: task.description,
      },
      base,
      { uid, now },
    );
  }
  const event = fields as EventFields;
  const organizer = activity?.parties.find((party) => party.role === 'organizer') ?? read?.event?.parties.find((party) => party.role === 'organizer');
  const parties: EventActivityInput['parties'] = [...(organizer ? [{ role: organizer.role, address: organizer.address, name: organizer.name ?? null }] : []), ...event.attendees.map((key) => attendeeParty(key, activity, read))];
  return activityToEvent(
    {
      subject: event.subject,
      start: event.start,
      end: event.end,
      allDay: event.allDay,
      timeZone: activity?.timeZone ?? read?.event?.timeZone ?? null,
      location: event.location,
      bodyText: event.description,
      status: event.status,
      busyStatus: event.busyStatus,
      reminderMinutes: event.reminderMinutes,
      parties,
    },
    base,
    { uid, organizerEmail: user.email, organizerName: user.name, now },
  );
}

/** A new activity for a calendar item (parties already resolved to contacts and users). */
export function activityOfRemote(read: RemoteRead, userId: string, parties: PartyInput[]): ActivityWrite {
  if (read.todo) {
    const todo = read.todo;
    return {
      kind: todo.kind,
      subject: todo.subject || '(no title)',
      owner: userId,
      start: todo.start,
      due: todo.due,
      allDay: todo.allDay,
      timeZone: todo.timeZone,
      status: todo.status,
      priority: todo.priority,
      percentComplete: todo.percentComplete,
      bodyText: todo.bodyText,
    };
  }
  const event = read.event!;
  return {
    kind: event.kind,
    subject: event.subject || '(no title)',
    owner: userId,
    start: event.start,
    end: event.end,
    allDay: event.allDay,
    timeZone: event.timeZone,
    location: event.location,
    bodyText: event.bodyText,
    status: event.status,
    busyStatus: event.busyStatus,
    reminderMinutes: event.reminderMinutes,
    parties,
  };
}

/**
 * The change that makes `activity` hold the merged fields; only fields that differ are in it.
 * `attendeeParties` is the merged attendee list resolved to contacts and users.
 */
export function activityChangeOf(family: FamilyName, merged: ItemFields, current: ItemFields, attendeeParties: readonly PartyInput[], activity: Activity): ActivityChange {
  const change: ActivityChange = {};
  const differs = (name: string) => JSON.stringify((merged as unknown as Record<string, unknown>)[name]) !== JSON.stringify((current as unknown as Record<string, unknown>)[name]);
  if (family === 'tasks') {
    const task = merged as TaskFields;
    if (differs('kind')) change.kind = task.kind;
    if (differs('subject')) change.subject = task.subject || '(no title)';
    if (differs('due')) change.due = task.due;
    if (differs('status')) change.status = task.status;
    if (differs('priority')) change.priority = task.priority;
    if (differs('percentComplete')) change.percentComplete = task.percentComplete;
    if (differs('description')) change.bodyText = task.description;
    return change;
  }
  const event = merged as EventFields;
  if (differs('subject')) change.subject = event.subject || '(no title)';
  if (differs('start')) change.start = event.start;
  if (differs('end')) change.end = event.end;
  if (differs('allDay')) change.allDay = event.allDay;
  if (differs('location')) change.location = event.location;
  if (differs('description')) change.bodyText = event.description;
  if (differs('status')) change.status = event.status;
  if (differs('busyStatus')) change.busyStatus = event.busyStatus;
  if (differs('reminderMinutes')) change.reminderMinutes = event.reminderMinutes;
  if (differs('attendees')) {
    const others = activity.parties.filter((party) => party.role !== 'attendee' && party.role !== 'optional_attendee');
    change.parties = [...others.map((party) => ({ role: party.role, address: party.address, name: party.name, contactId: party.contactId, accountId: party.accountId, leadId: party.leadId, userId: party.userId })), ...attendeeParties];
    change.kind = event.attendees.length > 0 ? 'meeting' : 'appointment';
  }
  return change;
}
