/**
 * Choosing how to write a CRM time into iCalendar, and adding the VTIMEZONE it needs.
 *
 * The CRM keeps an instant plus an optional zone; iCalendar distinguishes DATE, UTC, floating and
 * zoned DATE-TIMEs (RFC 5545 §3.3.4, §3.3.5). All-day stays a DATE, a zone becomes TZID plus a
 * VTIMEZONE (§3.2.19 requires one for every TZID), a floating base stays floating, the rest is UTC.
 */
import type ICAL from 'ical.js';
import type { CalendarTime, TimeForm } from './ical-time.js';
import { vtimezoneComponent } from './timezones.js';
import { isIanaTimeZone } from '../domain/wall-clock.js';

export interface TimeIntent {
  allDay: boolean;
  timeZone: string | null;
  floating?: boolean | undefined;
}

function vtimezoneFor(root: ICAL.Component, tzid: string): ICAL.Component | undefined {
  return root.getAllSubcomponents('vtimezone').find((zone) => zone.getFirstPropertyValue('tzid') === tzid);
}

/** The form to write in; an unknown zone falls back to UTC (the instant stays right) with a warning. */
export function chooseTimeForm(root: ICAL.Component, intent: TimeIntent, baseTime: CalendarTime | null, warnings: string[]): TimeForm {
  if (intent.allDay) return { kind: 'date' };
  if (intent.timeZone) {
    let tzid = intent.timeZone;
    // The base's own TZID stays when it names the same zone (Lightning's custom TZIDs carry the
    // IANA id in X-LIC-LOCATION), so an unchanged zone does not rewrite DTSTART.
    const baseTzid = baseTime && !baseTime.floating ? baseTime.tzid : null;
    if (baseTzid && baseTzid !== tzid) {
      const location = vtimezoneFor(root, baseTzid)?.getFirstPropertyValue('x-lic-location');
      if (location === tzid) tzid = baseTzid;
    }
    // A zone the object defines itself (also a non-IANA one such as Outlook's "W. Europe Standard
    // Time") is used with that definition, so the calendar's VTIMEZONE stays as it was.
    if (vtimezoneFor(root, tzid)) return { kind: 'zone', tzid, zone: root.getTimeZoneByID(tzid) };
    if (isIanaTimeZone(tzid)) return { kind: 'zone', tzid, zone: null };
    warnings.push(`unknown time zone "${tzid}": written in UTC`);
    return { kind: 'utc' };
  }
  if (intent.floating ?? baseTime?.floating ?? false) return { kind: 'floating' };
  return { kind: 'utc' };
}

/** What a time written in `form` reads back as (whole seconds: iCalendar has no fractions). */
export function expectedTime(iso: string, form: TimeForm): CalendarTime {
  if (form.kind === 'date') return { iso: `${iso.slice(0, 10)}T00:00:00.000Z`, date: iso.slice(0, 10), floating: false, tzid: null };
  const whole = new Date(Math.floor(Date.parse(iso) / 1000) * 1000).toISOString();
  return { iso: whole, date: null, floating: form.kind === 'floating', tzid: form.kind === 'zone' ? form.tzid : null };
}

export function sameTime(a: CalendarTime | null, b: CalendarTime | null): boolean {
  if (a === null || b === null) return a === b;
  return a.iso === b.iso && a.date === b.date && a.floating === b.floating && (a.floating || a.tzid === b.tzid);
}

/** Add a VTIMEZONE for a zoned form the object does not define yet, covering the years around
 * `years` (the VTIMEZONE's last rules are open-ended, so later years follow them). */
export function ensureVtimezone(root: ICAL.Component, form: TimeForm, years: readonly number[]): void {
  if (form.kind !== 'zone' || vtimezoneFor(root, form.tzid)) return;
  const vtimezone = vtimezoneComponent(form.tzid, Math.min(...years) - 1, Math.max(...years) + 1);
  if (!vtimezone) return;
  // Conventionally VTIMEZONEs come before the components that use them; ical.js only appends.
  // getAllSubcomponents returns ical.js's own array, which removeAllSubcomponents empties: copy it.
  const components = [...root.getAllSubcomponents()];
  root.removeAllSubcomponents();
  for (const child of [vtimezone, ...components]) root.addSubcomponent(child);
}
