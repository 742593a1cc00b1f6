/**
 * VEVENT (RFC 5545 §3.6.1) <-> CRM appointment/meeting.
 *
 * Calendar -> CRM: an event with other people in it (ORGANIZER/ATTENDEE, §3.8.4.3, §3.8.4.1) is a
 * meeting, one without an appointment. CRM -> calendar: the activity is written into a copy of the
 * object we last read, changing only the properties the CRM models, so that a sync never strips
 * what the CRM does not know (X- properties, ATTACH, other VALARMs, RRULE/EXDATE, overrides).
 */
import ICAL from 'ical.js';
import type { Activity, PartyInput } from '../domain/activity.js';
import { BridgeError } from '../domain/errors.js';
import { normalizeEmail } from '../domain/fields.js';
import { type BusyStatus, busyFromIcal, busyToIcal } from './busy-status.js';
import { categoriesOf, mainComponent, replaceProperty, serialize, setCategories, setText, stamp, startCalendar, textOf, truncate } from './component-edit.js';
import type { CalendarObject } from './ical-parse.js';
import { type CalendarTime, fromIcalTime, timeProperty } from './ical-time.js';
import { isIanaTimeZone } from '../domain/wall-clock.js';
import { chooseTimeForm, ensureVtimezone, expectedTime, sameTime } from './write-time.js';

/** Limits of the CRM fields (src/domain/fields.ts shortText/longText). */
const SHORT_TEXT = 500;
const LONG_TEXT = 1_000_000;

export interface EventReadContext {
  /** Address of the CRM user whose calendar this is. */
  ownerEmail: string;
  /** CRM users by normalised e-mail address -> user id, to mark parties that are users. */
  userEmails: ReadonlyMap<string, string>;
}

/** Activity fields read from an event, plus what the activity model does not hold. */
export interface EventActivity {
  kind: 'appointment' | 'meeting';
  subject: string;
  start: string;
  end: string;
  allDay: boolean;
  /** A floating time (RFC 5545 §3.3.5 form 1): `start`/`end` hold the wall clock as if it were UTC. */
  floating: boolean;
  timeZone: string | null;
  location: string | null;
  bodyText: string | null;
  status: 'open' | 'cancelled';
  busyStatus: BusyStatus;
  parties: PartyInput[];
  categories: string[];
  /** Minutes before the start of the first reminder (VALARM, §3.6.6), or null. */
  reminderMinutes: number | null;
  recurring: boolean;
  sequence: number;
  /** What was tolerated or cut (unknown zone, over-long text, non-mailto addresses). */
  warnings: string[];
}

interface EventTimes {
  start: CalendarTime;
  end: CalendarTime;
}

function eventTimes(component: ICAL.Component): EventTimes {
  const startProperty = component.getFirstProperty('dtstart')!;
  const start = startProperty.getFirstValue() as ICAL.Time;
  const endProperty = component.getFirstProperty('dtend');
  if (endProperty) return { start: fromIcalTime(start, startProperty), end: fromIcalTime(endProperty.getFirstValue() as ICAL.Time, endProperty) };
  // Without DTEND: DURATION, else one day for a DATE and zero length for a DATE-TIME (§3.6.1).
  const end = start.clone();
  const duration = component.getFirstPropertyValue('duration');
  if (duration instanceof ICAL.Duration) end.addDuration(duration);
  else if (start.isDate) end.day += 1;
  return { start: fromIcalTime(start, startProperty), end: fromIcalTime(end, startProperty) };
}

function mailAddress(value: unknown): string | null {
  if (typeof value !== 'string') return null;
  const address = value.replace(/^mailto:/i, '').trim();
  return /^[^\s@]+@[^\s@]+$/.test(address) ? address : null;
}

function partyName(property: ICAL.Property): string | null {
  const name = property.getFirstParameter('cn');
  return typeof name === 'string' && name.trim() !== '' ? truncate(name.trim(), SHORT_TEXT) : null;
}

function attendeeRole(property: ICAL.Property): 'attendee' | 'optional_attendee' {
  // ROLE (§3.2.16): OPT-PARTICIPANT is optional; NON-PARTICIPANT (copied for information) is not
  // required either. CHAIR and REQ-PARTICIPANT (the default) are required.
  const role = String(property.getFirstParameter('role') ?? 'REQ-PARTICIPANT').toUpperCase();
  return role === 'OPT-PARTICIPANT' || role === 'NON-PARTICIPANT' ? 'optional_attendee' : 'attendee';
}

function readParties(component: ICAL.Component, context: EventReadContext, warnings: string[]): PartyInput[] {
  const parties: PartyInput[] = [];
  const seen = new Set<string>();
  const add = (property: ICAL.Property, role: PartyInput['role']): void => {
    const address = mailAddress(property.getFirstValue());
    if (!address) {
      warnings.push(`${property.name.toUpperCase()} "${String(property.getFirstValue())}" is not a mailto: address; left out`);
      return;
    }
    const key = normalizeEmail(address);
    // Google and others list the organizer among the attendees too; one party per address.
    if (seen.has(key)) return;
    seen.add(key);
    parties.push({ role, address, name: partyName(property), userId: context.userEmails.get(key) ?? null });
  };
  const organizer = component.getFirstProperty('organizer');
  if (organizer) add(organizer, 'organizer');
  for (const attendee of component.getAllProperties('attendee')) add(attendee, attendeeRole(attendee));
  return parties;
}

/** The bridge's own alarm carries this UID (RFC 9074 §4) so that it is found again. */
function reminderUid(uid: string): string {
  return `${uid}-crm-bridge-reminder`;
}

function relativeMinutes(alarm: ICAL.Component): number | null {
  const trigger = alarm.getFirstProperty('trigger');
  const value = trigger?.getFirstValue();
  // Only alarms relative to the start (§3.8.6.3, RELATED=START is the default) are reminders in
  // the CRM's sense; absolute or end-relative ones are the calendar's own business.
  if (!(value instanceof ICAL.Duration) || String(trigger?.getFirstParameter('related') ?? 'START').toUpperCase() !== 'START') return null;
  const seconds = value.toSeconds();
  return seconds <= 0 ? Math.round(-seconds / 60) : 0;
}

/**
 * Set on the event when the CRM removed its reminder while the client's own start-relative alarms
 * stay: those are then not the CRM's reminder, so the removal reads back as none instead of
 * adopting the next alarm (which a later sync would remove as well).
 */
const NO_REMINDER_PROPERTY = 'x-crm-bridge-reminder';

/**
 * The alarm the CRM's reminder stands for: the bridge's own, else (unless the CRM removed its
 * reminder) the first start-relative one.
 */
function reminderAlarm(component: ICAL.Component): ICAL.Component | null {
  const uid = textOf(component, 'uid') ?? '';
  const alarms = component.getAllSubcomponents('valarm');
  const own = alarms.find((alarm) => alarm.getFirstPropertyValue('uid') === reminderUid(uid));
  if (own) return own;
  if (textOf(component, NO_REMINDER_PROPERTY)?.toUpperCase() === 'NONE') return null;
  return alarms.find((alarm) => relativeMinutes(alarm) !== null) ?? null;
}

function reminderOf(component: ICAL.Component): number | null {
  const alarm = reminderAlarm(component);
  return alarm ? relativeMinutes(alarm) : null;
}

function timeZoneOf(root: ICAL.Component, time: CalendarTime): string | null {
  if (!time.tzid || time.floating) return null;
  if (isIanaTimeZone(time.tzid)) return time.tzid;
  // Lightning/Thunderbird and others name the IANA zone of a custom TZID in X-LIC-LOCATION.
  const vtimezone = root.getAllSubcomponents('vtimezone').find((zone) => zone.getFirstPropertyValue('tzid') === time.tzid);
  const location = vtimezone ? textOf(vtimezone, 'x-lic-location') : null;
  if (location && isIanaTimeZone(location)) return location;
  return vtimezone ? time.tzid : null;
}

function busyOf(component: ICAL.Component): BusyStatus {
  return busyFromIcal({ transp: textOf(component, 'transp'), status: textOf(component, 'status'), cdoBusyStatus: textOf(component, 'x-microsoft-cdo-busystatus') });
}

/** Read an event as activity fields. */
export function eventToActivity(object: CalendarObject, context: EventReadContext): EventActivity {
  if (object.kind !== 'event') throw new BridgeError('INVALID_INPUT', 'iCalendar: expected a VEVENT');
  const component = mainComponent(object.raw, 'vevent')!;
  const warnings = [...object.warnings];
  const limited = (name: string, value: string | null, max: number): string | null => {
    if (value === null || value.length <= max) return value;
    warnings.push(`${name} of ${value.length} characters cut to ${max}`);
    return truncate(value, max);
  };
  const { start, end } = eventTimes(component);
  const parties = readParties(component, context, warnings);
  const owner = normalizeEmail(context.ownerEmail);
  const sequence = component.getFirstPropertyValue('sequence');
  return {
    kind: parties.some((party) => normalizeEmail(party.address) !== owner) ? 'meeting' : 'appointment',
    subject: limited('SUMMARY', textOf(component, 'summary'), SHORT_TEXT) ?? '',
    start: start.iso,
    end: end.iso,
    allDay: start.date !== null,
    floating: start.floating,
    timeZone: timeZoneOf(object.raw, start),
    location: limited('LOCATION', textOf(component, 'location'), SHORT_TEXT),
    bodyText: limited('DESCRIPTION', textOf(component, 'description'), LONG_TEXT),
    status: textOf(component, 'status')?.toUpperCase() === 'CANCELLED' ? 'cancelled' : 'open',
    busyStatus: busyOf(component),
    parties,
    categories: categoriesOf(component),
    reminderMinutes: reminderOf(component),
    recurring: component.hasProperty('rrule') || component.hasProperty('rdate') || object.overrides.size > 0,
    sequence: typeof sequence === 'number' ? sequence : 0,
    warnings,
  };
}

/** What activityToEvent needs of an activity; a full Activity fits. */
export type EventActivityInput = Pick<Activity, 'subject' | 'start' | 'end' | 'allDay' | 'timeZone' | 'location' | 'bodyText' | 'status' | 'busyStatus'> & {
  parties: ReadonlyArray<Pick<PartyInput, 'role' | 'address'> & { name?: string | null | undefined }>;
  /** Write floating times; when absent, a base event that was floating stays floating. */
  floating?: boolean;
  /** Minutes before the start for a reminder; null removes the bridge's reminder; absent leaves it. */
  reminderMinutes?: number | null;
  /** Replace the event's categories with these; when absent the calendar's categories stay. */
  categories?: readonly string[];
};

export interface EventWriteContext {
  /** UID for a new event; an existing object keeps its own (§3.8.4.7: the UID never changes). */
  uid: string;
  organizerEmail: string;
  organizerName: string | null;
  now: Date;
  /** Category that marks events the CRM tracks (configuration); added when missing. */
  trackCategory?: string;
}

function addDays(iso: string, days: number): string {
  return new Date(Date.parse(`${iso.slice(0, 10)}T00:00:00Z`) + days * 86_400_000).toISOString();
}

/** The exclusive end date of an all-day activity: a CRM end at midnight is exclusive already, one
 * with a time of day (`23:59`) means that day is included. */
function allDayEnd(startIso: string, endIso: string | null): string {
  if (!endIso) return addDays(startIso, 1);
  const end = /T00:00(:00(\.0+)?)?(Z|[+-]\d{2}:?\d{2})?$/.test(endIso) ? endIso : addDays(endIso, 1);
  return end.slice(0, 10) <= startIso.slice(0, 10) ? addDays(startIso, 1) : end;
}

function writeTimes(root: ICAL.Component, component: ICAL.Component, activity: EventActivityInput, warnings: string[]): boolean {
  if (!activity.start) throw new BridgeError('INVALID_INPUT', 'an appointment needs a start to be written as a VEVENT');
  const before = component.hasProperty('dtstart') ? eventTimes(component) : null;
  const form = chooseTimeForm(root, activity, before?.start ?? null, warnings);
  const endIso = form.kind === 'date' ? allDayEnd(activity.start, activity.end) : activity.end ?? activity.start;
  const startProperty = timeProperty('dtstart', activity.start, form);
  const endProperty = timeProperty('dtend', endIso, form);
  const after = { start: expectedTime(activity.start, form), end: expectedTime(endIso, form) };
  if (before && sameTime(before.start, after.start) && sameTime(before.end, after.end)) return false;
  replaceProperty(component, startProperty);
  component.removeAllProperties('duration');
  replaceProperty(component, endProperty);
  ensureVtimezone(root, form, [Number(activity.start.slice(0, 4)), Number(endIso.slice(0, 4))]);
  return before !== null;
}

function writeBusyAndStatus(component: ICAL.Component, activity: EventActivityInput, isNew: boolean): boolean {
  const wasCancelled = textOf(component, 'status')?.toUpperCase() === 'CANCELLED';
  const cancel = activity.status === 'cancelled';
  const busy = activity.busyStatus ?? 'busy';
  // A new event states TRANSP explicitly; an existing one is only touched when its status differs.
  if (isNew || busyOf(component) !== busy || wasCancelled !== cancel) {
    const wanted = busyToIcal(busy);
    setText(component, 'transp', wanted.transp);
    setText(component, 'x-microsoft-cdo-busystatus', wanted.cdoBusyStatus);
    const status = textOf(component, 'status')?.toUpperCase() ?? null;
    // STATUS (§3.8.1.11): CANCELLED and TENTATIVE are decided here; a plain event keeps its
    // CONFIRMED or absent STATUS, and one that stops being tentative or cancelled is CONFIRMED.
    if (cancel) setText(component, 'status', 'CANCELLED');
    else if (wanted.tentative) setText(component, 'status', 'TENTATIVE');
    else if (status === 'TENTATIVE' || status === 'CANCELLED') setText(component, 'status', 'CONFIRMED');
  }
  return wasCancelled !== cancel;
}

function setCalAddress(property: ICAL.Property, address: string, name: string | null | undefined): void {
  property.setValue(`mailto:${address}`);
  if (name) property.setParameter('cn', name);
  else if (name === null) property.removeParameter('cn');
}

function writeParties(component: ICAL.Component, activity: EventActivityInput, context: EventWriteContext): void {
  const attendees = activity.parties.filter((party) => party.role === 'attendee' || party.role === 'optional_attendee');
  const existing = new Map<string, ICAL.Property>();
  for (const property of component.getAllProperties('attendee')) {
    const address = mailAddress(property.getFirstValue());
    if (address) existing.set(normalizeEmail(address), property);
  }
  const organizerParty = activity.parties.find((party) => party.role === 'organizer');
  const organizerAddress = organizerParty?.address ?? context.organizerEmail;
  const organizerName = organizerParty ? organizerParty.name : context.organizerName;
  const baseOrganizer = component.getFirstProperty('organizer');

  if (attendees.length === 0) {
    // ORGANIZER is for group-scheduled entities only (§3.8.4.3); a CalDAV server with scheduling
    // (RFC 6638) would treat an event with ORGANIZER as an invitation. Attendees that only the
    // calendar knew as the organizer himself (Google lists him) go with it.
    const onlyOrganizer = [...existing.keys()].every((address) => address === normalizeEmail(organizerAddress));
    if (onlyOrganizer) {
      component.removeAllProperties('attendee');
      component.removeAllProperties('organizer');
      return;
    }
  }
  const baseOrganizerAddress = baseOrganizer ? mailAddress(baseOrganizer.getFirstValue()) : null;
  if (!baseOrganizer || !baseOrganizerAddress || normalizeEmail(baseOrganizerAddress) !== normalizeEmail(organizerAddress)) {
    component.removeAllProperties('organizer');
    const property = new ICAL.Property('organizer');
    setCalAddress(property, organizerAddress, organizerName ?? null);
    component.addProperty(property);
  } else if (organizerName !== undefined && organizerName !== partyName(baseOrganizer)) {
    setCalAddress(baseOrganizer, baseOrganizerAddress, organizerName);
  }

  const keep = new Set<string>([normalizeEmail(organizerAddress)]);
  for (const party of attendees) {
    const key = normalizeEmail(party.address);
    keep.add(key);
    const property = existing.get(key);
    if (property) {
      // Keep PARTSTAT, RSVP, CUTYPE, DELEGATED-*, X- parameters: they are the attendee's answer.
      // ROLE changes only when the CRM's role differs from what the calendar's ROLE means (a CHAIR
      // stays CHAIR).
      if (attendeeRole(property) !== party.role) property.setParameter('role', party.role === 'optional_attendee' ? 'OPT-PARTICIPANT' : 'REQ-PARTICIPANT');
      if (party.name !== undefined && party.name !== partyName(property)) setCalAddress(property, mailAddress(property.getFirstValue())!, party.name);
      continue;
    }
    const added = new ICAL.Property('attendee');
    added.setParameter('role', party.role === 'optional_attendee' ? 'OPT-PARTICIPANT' : 'REQ-PARTICIPANT');
    added.setParameter('partstat', 'NEEDS-ACTION');
    added.setParameter('rsvp', 'TRUE');
    setCalAddress(added, party.address, party.name ?? null);
    component.addProperty(added);
  }
  for (const [key, property] of existing) if (!keep.has(key)) component.removeProperty(property);
}

function writeReminder(component: ICAL.Component, minutes: number | null | undefined): void {
  if (minutes === undefined || reminderOf(component) === minutes) return;
  const alarm = reminderAlarm(component);
  if (minutes === null) {
    if (alarm) component.removeSubcomponent(alarm);
    // The client's other reminders stay; they are not the CRM's (see NO_REMINDER_PROPERTY).
    if (component.getAllSubcomponents('valarm').some((other) => relativeMinutes(other) !== null)) component.updatePropertyWithValue(NO_REMINDER_PROPERTY, 'NONE');
    return;
  }
  component.removeAllProperties(NO_REMINDER_PROPERTY);
  const trigger = ICAL.Duration.fromSeconds(-Math.round(minutes) * 60);
  if (alarm) {
    // Change the reminder in place: its ACTION, sound, X-WR-ALARMUID and the like stay.
    alarm.getFirstProperty('trigger')!.setValue(trigger);
    return;
  }
  const added = new ICAL.Component('valarm');
  added.addPropertyWithValue('uid', reminderUid(textOf(component, 'uid') ?? ''));
  // DISPLAY alarms need ACTION, TRIGGER and DESCRIPTION (§3.6.6).
  added.addPropertyWithValue('action', 'DISPLAY');
  added.addPropertyWithValue('trigger', trigger);
  added.addPropertyWithValue('description', 'Reminder');
  component.addSubcomponent(added);
}

/** Like activityToEvent, with what was tolerated (an unknown time zone written in UTC). */
export function activityToEventWithWarnings(activity: EventActivityInput, base: CalendarObject | null, context: EventWriteContext): { text: string; warnings: string[] } {
  if (base && base.kind !== 'event') throw new BridgeError('INVALID_INPUT', 'iCalendar: the base object is not a VEVENT');
  const warnings: string[] = [];
  const root = startCalendar(base);
  let component = mainComponent(root, 'vevent');
  const isNew = component === null;
  if (!component) {
    component = new ICAL.Component('vevent');
    component.addPropertyWithValue('uid', context.uid);
    root.addSubcomponent(component);
  }
  stamp(component, context.now, isNew);
  const location = component.hasProperty('location') ? textOf(component, 'location') : null;
  setText(component, 'summary', activity.subject);
  const timesChanged = writeTimes(root, component, activity, warnings);
  setText(component, 'location', activity.location);
  const descriptionBefore = textOf(component, 'description');
  setText(component, 'description', activity.bodyText);
  // Outlook's HTML twin of DESCRIPTION would contradict a changed text.
  if (descriptionBefore !== textOf(component, 'description')) component.removeAllProperties('x-alt-desc');
  const statusChanged = writeBusyAndStatus(component, activity, isNew);
  writeParties(component, activity, context);
  writeReminder(component, activity.reminderMinutes);
  setCategories(component, activity.categories, context.trackCategory);

  // SEQUENCE (§3.8.7.4, RFC 5546 §2.1.4) goes up when attendees must look again: a new time or
  // place, or a cancellation; other edits keep it.
  const sequenceValue = component.getFirstPropertyValue('sequence');
  const sequence = typeof sequenceValue === 'number' ? sequenceValue : 0;
  const locationChanged = !isNew && (location ?? null) !== (textOf(component, 'location') ?? null);
  const next = isNew ? 0 : timesChanged || locationChanged || statusChanged ? sequence + 1 : sequence;
  if (isNew || next !== sequence) component.updatePropertyWithValue('sequence', next);
  return { text: serialize(root), warnings };
}

/** The activity as full VCALENDAR text, written into a copy of `base` when there is one. */
export function activityToEvent(activity: EventActivityInput, base: CalendarObject | null, context: EventWriteContext): string {
  return activityToEventWithWarnings(activity, base, context).text;
}
