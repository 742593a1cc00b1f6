/**
 * One calendar object resource (RFC 4791 §4.1): a VCALENDAR holding the components of one UID,
 * either VEVENTs or VTODOs: the master and its overrides (RFC 5545 §3.8.4.4 RECURRENCE-ID).
 *
 * Everything the mapping modules read is decoded here once, so that a broken value fails while
 * parsing, as one INVALID_INPUT error for that item, instead of half-way through a mapping.
 *
 * Parsing costs time and memory in proportion to the text (ical.js builds a jCal tree several times
 * its size), so an object larger than `maxBytes` is refused before it is parsed; the time-zone and
 * recurrence work it triggers is bounded by recurrence-guard.ts.
 */
import ICAL from 'ical.js';
import { BridgeError } from '../domain/errors.js';
import { fromIcalTime, isValidTimeValue } from './ical-time.js';
import './recurrence-guard.js';
import { ensureIanaTimezone } from './timezones.js';

export type CalendarObjectKind = 'event' | 'todo';

export interface CalendarObject {
  uid: string;
  kind: CalendarObjectKind;
  /** The component without RECURRENCE-ID; null when the resource holds only overrides (an
   * invitation to single instances, RFC 6638 §3.2.6). */
  master: ICAL.Component | null;
  /** Overrides by RECURRENCE-ID as UTC ISO (all-day: midnight UTC; floating: wall clock as UTC). */
  overrides: Map<string, ICAL.Component>;
  /** The parsed VCALENDAR, kept whole so that writing back keeps what the CRM does not model. */
  raw: ICAL.Component;
  /** Things that were tolerated: unknown time zones read as floating, and the like. */
  warnings: string[];
}

const timeProperties = ['dtstart', 'dtend', 'due', 'recurrence-id', 'exdate', 'rdate', 'completed', 'dtstamp', 'created', 'last-modified'];

function invalid(message: string, cause?: unknown): BridgeError {
  return new BridgeError('INVALID_INPUT', `iCalendar: ${message}`, cause === undefined ? {} : { cause });
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** TZIDs referenced anywhere below `component` (DTSTART, EXDATE, ... of every subcomponent). */
function collectTzids(component: ICAL.Component, into: Set<string>): void {
  if (component.name === 'vtimezone') return;
  for (const property of component.getAllProperties()) {
    const tzid = property.getFirstParameter('tzid');
    if (typeof tzid === 'string' && tzid !== '') into.add(tzid);
  }
  for (const child of component.getAllSubcomponents()) collectTzids(child, into);
}

/**
 * Resolve every TZID before any value is decoded (ical.js decodes lazily and looks the zone up at
 * that moment): a VTIMEZONE in the object wins (ical.js finds it through the component tree), then
 * an IANA id the runtime knows (registered from Intl data), else the time is floating and we say so.
 */
function resolveTimezones(root: ICAL.Component, warnings: string[]): void {
  const defined = new Set<string>();
  for (const vtimezone of root.getAllSubcomponents('vtimezone')) {
    const tzid = vtimezone.getFirstPropertyValue('tzid');
    if (typeof tzid !== 'string' || tzid === '') throw invalid('VTIMEZONE without TZID');
    if (vtimezone.getAllSubcomponents().length === 0) throw invalid(`VTIMEZONE ${tzid} has neither STANDARD nor DAYLIGHT`);
    defined.add(tzid);
  }
  const used = new Set<string>();
  collectTzids(root, used);
  for (const tzid of used) {
    if (defined.has(tzid)) continue;
    if (!ensureIanaTimezone(tzid)) warnings.push(`unknown time zone "${tzid}": its times are read as floating`);
  }
}

/** Check and decode the time and recurrence values of one component. */
function validateComponent(component: ICAL.Component, label: string): void {
  for (const property of component.getAllProperties()) {
    if (!timeProperties.includes(property.name)) continue;
    const type = property.type;
    if (type !== 'date' && type !== 'date-time') continue;
    for (const value of (property.jCal as unknown[]).slice(3)) {
      if (!isValidTimeValue(value, type)) throw invalid(`${label}: ${property.name.toUpperCase()} has an invalid ${type} value "${String(value)}"`);
    }
    try {
      property.getValues();
    } catch (error) {
      throw invalid(`${label}: ${property.name.toUpperCase()}: ${errorText(error)}`, error);
    }
  }
  for (const property of component.getAllProperties('rrule')) {
    try {
      const recur = property.getFirstValue();
      if (!(recur instanceof ICAL.Recur) || !recur.freq) throw new Error('no FREQ');
    } catch (error) {
      throw invalid(`${label}: RRULE: ${errorText(error)}`, error);
    }
  }
}

function recurrenceKey(component: ICAL.Component): string {
  const property = component.getFirstProperty('recurrence-id')!;
  return fromIcalTime(property.getFirstValue() as ICAL.Time, property).iso;
}

/**
 * Default size limit of one calendar object resource (users[].calendar.maxObjectBytes). Real events,
 * even with long descriptions (a 1 MB DESCRIPTION is still synced, shortened), dozens of overrides
 * and attendees, stay below it. Parsing 2 MB of short properties takes ~100-200 ms (bench/RESULTS.md).
 */
export const MAX_CALENDAR_OBJECT_BYTES = 2 * 1024 * 1024;

export interface ParseCalendarOptions {
  /** Larger objects are refused with PAYLOAD_TOO_LARGE before parsing; default MAX_CALENDAR_OBJECT_BYTES. */
  maxBytes?: number;
}

/**
 * Parse one calendar object resource; throws BridgeError INVALID_INPUT naming what is wrong, or
 * PAYLOAD_TOO_LARGE for an object over the size limit.
 */
export function parseCalendarObject(text: string, options: ParseCalendarOptions = {}): CalendarObject {
  const maxBytes = options.maxBytes ?? MAX_CALENDAR_OBJECT_BYTES;
  // UTF-8 is at most 3 bytes per UTF-16 unit: the exact count is only needed near the limit.
  if (text.length * 3 > maxBytes) {
    const bytes = Buffer.byteLength(text, 'utf8');
    if (bytes > maxBytes) throw new BridgeError('PAYLOAD_TOO_LARGE', `iCalendar: the object is ${bytes} bytes, over the limit of ${maxBytes} (users[].calendar.maxObjectBytes): not parsed`);
  }
  let root: ICAL.Component;
  try {
    root = new ICAL.Component(ICAL.parse(text) as unknown[]);
  } catch (error) {
    throw invalid(errorText(error), error);
  }
  if (root.name !== 'vcalendar') throw invalid(`expected VCALENDAR, found ${root.name.toUpperCase()}`);
  const warnings: string[] = [];
  resolveTimezones(root, warnings);

  const events = root.getAllSubcomponents('vevent');
  const todos = root.getAllSubcomponents('vtodo');
  if (events.length > 0 && todos.length > 0) throw invalid('an object holds either VEVENTs or VTODOs, not both (RFC 4791 §4.1)');
  const kind: CalendarObjectKind = todos.length > 0 ? 'todo' : 'event';
  const components = kind === 'todo' ? todos : events;
  if (components.length === 0) throw invalid('no VEVENT or VTODO');

  let uid: string | null = null;
  let master: ICAL.Component | null = null;
  const overrides = new Map<string, ICAL.Component>();
  for (const component of components) {
    const componentUid = component.getFirstPropertyValue('uid');
    if (typeof componentUid !== 'string' || componentUid === '') throw invalid(`${component.name.toUpperCase()} without UID`);
    if (uid !== null && componentUid !== uid) throw invalid(`more than one UID in one object ("${uid}", "${componentUid}")`);
    uid = componentUid;
    const label = `${component.name.toUpperCase()} ${componentUid}`;
    validateComponent(component, label);
    // RFC 5545 §3.6.1: without a METHOD, DTSTART is required in a VEVENT.
    if (kind === 'event' && !component.hasProperty('dtstart')) throw invalid(`${label} has no DTSTART`);
    if (component.hasProperty('recurrence-id')) {
      overrides.set(recurrenceKey(component), component);
    } else {
      if (master) throw invalid(`${label}: two components without RECURRENCE-ID`);
      master = component;
    }
    for (const alarm of component.getAllSubcomponents('valarm')) validateComponent(alarm, `${label} VALARM`);
  }
  return { uid: uid!, kind, master, overrides, raw: root, warnings };
}
