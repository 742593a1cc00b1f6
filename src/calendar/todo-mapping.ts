/**
 * VTODO (RFC 5545 §3.6.2) <-> CRM task / follow-up.
 *
 * Completion is spread over three properties that clients keep more or less in step: STATUS
 * (§3.8.1.11: NEEDS-ACTION, IN-PROCESS, COMPLETED, CANCELLED), COMPLETED (§3.8.2.1, a UTC time) and
 * PERCENT-COMPLETE (§3.8.1.8). They are rewritten only when the CRM's status or percentage differs
 * from what we read, so that a client's own combination survives a sync that did not touch it.
 */
import ICAL from 'ical.js';
import type { Activity, priorities } from '../domain/activity.js';
import { BridgeError } from '../domain/errors.js';
import { categoriesOf, mainComponent, replaceProperty, serialize, setCategories, setText, stamp, startCalendar, textOf, truncate } from './component-edit.js';
import type { CalendarObject } from './ical-parse.js';
import { type CalendarTime, fromIcalTime, timeProperty } from './ical-time.js';
import { isIanaTimeZone } from '../domain/wall-clock.js';
import { chooseTimeForm, ensureVtimezone, expectedTime, sameTime } from './write-time.js';

export type Priority = (typeof priorities)[number];
export type TaskKind = 'task' | 'follow_up';

/** Vendor property that tells a follow-up from a plain task; iCalendar has no such notion. */
const KIND_PROPERTY = 'x-crm-bridge-kind';
const SHORT_TEXT = 500;
const LONG_TEXT = 1_000_000;

/**
 * PRIORITY (§3.8.1.9): 1 is highest, 9 lowest, 0 undefined. The RFC's three-level reading:
 * 1-4 high, 5 medium, 6-9 low; undefined is normal.
 */
export function priorityFromIcal(value: number | null): Priority {
  if (value === null || value === 0 || !Number.isInteger(value)) return 'normal';
  if (value >= 1 && value <= 4) return 'high';
  if (value === 5) return 'normal';
  return value >= 6 && value <= 9 ? 'low' : 'normal';
}

/** The value the RFC gives as the example for each level (§3.8.1.9: 1 high, 5 medium, 9 low). */
export function priorityToIcal(priority: Priority): number {
  return priority === 'high' ? 1 : priority === 'low' ? 9 : 5;
}

export interface TodoActivity {
  kind: TaskKind;
  subject: string;
  start: string | null;
  due: string | null;
  allDay: boolean;
  floating: boolean;
  timeZone: string | null;
  status: 'open' | 'completed' | 'cancelled';
  priority: Priority;
  /** PERCENT-COMPLETE 0-100; 100 for a completed to-do without it; null when absent otherwise. */
  percentComplete: number | null;
  /** COMPLETED as UTC ISO, or null. */
  completedAt: string | null;
  bodyText: string | null;
  categories: string[];
  warnings: string[];
}

function timeOf(component: ICAL.Component, name: string): CalendarTime | null {
  const property = component.getFirstProperty(name);
  const value = property?.getFirstValue();
  return value instanceof ICAL.Time ? fromIcalTime(value, property) : null;
}

function numberOf(component: ICAL.Component, name: string): number | null {
  const value = component.getFirstPropertyValue(name);
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

function statusOf(component: ICAL.Component): TodoActivity['status'] {
  const status = textOf(component, 'status')?.toUpperCase() ?? null;
  if (status === 'COMPLETED') return 'completed';
  if (status === 'CANCELLED') return 'cancelled';
  if (status === 'NEEDS-ACTION' || status === 'IN-PROCESS') return 'open';
  // No STATUS: clients that only set COMPLETED or 100 % still mean done.
  return component.hasProperty('completed') || numberOf(component, 'percent-complete') === 100 ? 'completed' : 'open';
}

/** Read a to-do as activity fields. */
export function todoToActivity(object: CalendarObject): TodoActivity {
  if (object.kind !== 'todo') throw new BridgeError('INVALID_INPUT', 'iCalendar: expected a VTODO');
  const component = mainComponent(object.raw, 'vtodo')!;
  const warnings = [...object.warnings];
  const limited = (name: string, value: string | null, max: number): string | null => {
    if (value === null || value.length <= max) return value;
    warnings.push(`${name} of ${value.length} characters cut to ${max}`);
    return truncate(value, max);
  };
  const start = timeOf(component, 'dtstart');
  const due = timeOf(component, 'due');
  const anchor = due ?? start;
  const tzid = anchor && !anchor.floating ? anchor.tzid : null;
  const percent = numberOf(component, 'percent-complete');
  const status = statusOf(component);
  return {
    kind: textOf(component, KIND_PROPERTY)?.toLowerCase() === 'follow_up' ? 'follow_up' : 'task',
    subject: limited('SUMMARY', textOf(component, 'summary'), SHORT_TEXT) ?? '',
    start: start?.iso ?? null,
    due: due?.iso ?? null,
    allDay: anchor?.date !== null && anchor?.date !== undefined,
    floating: anchor?.floating ?? false,
    timeZone: tzid && isIanaTimeZone(tzid) ? tzid : null,
    status,
    priority: priorityFromIcal(numberOf(component, 'priority')),
    // A completed to-do without PERCENT-COMPLETE is 100 % done (§3.8.1.8).
    percentComplete: percent === null ? (status === 'completed' ? 100 : null) : Math.min(100, Math.max(0, Math.round(percent))),
    completedAt: timeOf(component, 'completed')?.iso ?? null,
    bodyText: limited('DESCRIPTION', textOf(component, 'description'), LONG_TEXT),
    categories: categoriesOf(component),
    warnings,
  };
}

/** What todoToIcal needs of an activity; a full Activity fits. */
export type TodoActivityInput = Pick<Activity, 'subject' | 'start' | 'due' | 'allDay' | 'timeZone' | 'status' | 'priority' | 'bodyText'> & {
  kind: TaskKind;
  percentComplete?: number | null;
  /** When the task was completed; defaults to `now` when the CRM completes it. */
  completedAt?: string | null;
  floating?: boolean;
  categories?: readonly string[];
};

export interface TodoWriteContext {
  uid: string;
  now: Date;
  trackCategory?: string;
}

function utcProperty(name: string, iso: string): ICAL.Property {
  return new ICAL.Property([name, {}, 'date-time', `${new Date(iso).toISOString().slice(0, 19)}Z`]);
}

function writeTime(root: ICAL.Component, component: ICAL.Component, name: 'dtstart' | 'due', iso: string | null, activity: TodoActivityInput, warnings: string[]): boolean {
  const before = timeOf(component, name);
  if (iso === null) {
    component.removeAllProperties(name);
    return before !== null;
  }
  const form = chooseTimeForm(root, activity, before, warnings);
  if (sameTime(before, expectedTime(iso, form))) return false;
  replaceProperty(component, timeProperty(name, iso, form));
  ensureVtimezone(root, form, [Number(iso.slice(0, 4))]);
  return before !== null;
}

function writeCompletion(component: ICAL.Component, activity: TodoActivityInput, now: Date, isNew: boolean): boolean {
  const statusBefore = statusOf(component);
  // Read as todoToActivity does: a completed to-do without PERCENT-COMPLETE counts as 100 %.
  const percentBefore = numberOf(component, 'percent-complete') ?? (statusBefore === 'completed' ? 100 : null);
  const percent = activity.percentComplete;
  const percentChanged = percent !== undefined && percent !== percentBefore;
  // A new to-do states its STATUS; an existing one is only touched when something differs.
  if (!isNew && statusBefore === activity.status && !percentChanged) return false;
  if (activity.status === 'completed') {
    setText(component, 'status', 'COMPLETED');
    if (!component.hasProperty('completed') || activity.completedAt) replaceProperty(component, utcProperty('completed', activity.completedAt ?? now.toISOString()));
    component.updatePropertyWithValue('percent-complete', 100);
  } else {
    component.removeAllProperties('completed');
    if (percent !== undefined) {
      if (percent === null) component.removeAllProperties('percent-complete');
      else component.updatePropertyWithValue('percent-complete', Math.min(100, Math.max(0, Math.round(percent))));
    } else if (percentBefore === 100) {
      // Reopened: 100 % would contradict NEEDS-ACTION.
      component.removeAllProperties('percent-complete');
    }
    if (activity.status === 'cancelled') setText(component, 'status', 'CANCELLED');
    else {
      const current = numberOf(component, 'percent-complete') ?? 0;
      setText(component, 'status', current > 0 ? 'IN-PROCESS' : 'NEEDS-ACTION');
    }
  }
  return statusBefore !== activity.status;
}

/** Like todoToIcal, with what was tolerated (an unknown time zone written in UTC). */
export function todoToIcalWithWarnings(activity: TodoActivityInput, base: CalendarObject | null, context: TodoWriteContext): { text: string; warnings: string[] } {
  if (base && base.kind !== 'todo') throw new BridgeError('INVALID_INPUT', 'iCalendar: the base object is not a VTODO');
  const warnings: string[] = [];
  const root = startCalendar(base);
  let component = mainComponent(root, 'vtodo');
  const isNew = component === null;
  if (!component) {
    component = new ICAL.Component('vtodo');
    component.addPropertyWithValue('uid', context.uid);
    root.addSubcomponent(component);
  }
  stamp(component, context.now, isNew);
  setText(component, 'summary', activity.subject);
  // RFC 5545 §3.8.2.3: DUE has the value type of DTSTART; both are written in the same form.
  const startChanged = writeTime(root, component, 'dtstart', activity.start ?? null, activity, warnings);
  const dueChanged = writeTime(root, component, 'due', activity.due ?? null, activity, warnings);
  // DUE and DURATION exclude each other (§3.6.2).
  if (component.hasProperty('due')) component.removeAllProperties('duration');
  const statusChanged = writeCompletion(component, activity, context.now, isNew);
  if (priorityFromIcal(numberOf(component, 'priority')) !== activity.priority) component.updatePropertyWithValue('priority', priorityToIcal(activity.priority));
  setText(component, 'description', activity.bodyText);
  const kindBefore = textOf(component, KIND_PROPERTY)?.toLowerCase() === 'follow_up' ? 'follow_up' : 'task';
  if (kindBefore !== activity.kind) setText(component, KIND_PROPERTY, activity.kind === 'follow_up' ? 'follow_up' : null);
  setCategories(component, activity.categories, context.trackCategory);

  // SEQUENCE (§3.8.7.4): up when the dates or the status change, as for events.
  const sequenceValue = numberOf(component, 'sequence') ?? 0;
  const next = isNew ? 0 : startChanged || dueChanged || statusChanged ? sequenceValue + 1 : sequenceValue;
  if (isNew || next !== sequenceValue) component.updatePropertyWithValue('sequence', next);
  return { text: serialize(root), warnings };
}

/** The task as full VCALENDAR text with one VTODO, written into a copy of `base` when there is one. */
export function todoToIcal(activity: TodoActivityInput, base: CalendarObject | null, context: TodoWriteContext): string {
  return todoToIcalWithWarnings(activity, base, context).text;
}
