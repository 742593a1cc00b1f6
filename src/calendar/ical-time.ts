/**
 * Times between ical.js and the CRM model.
 *
 * RFC 5545 §3.3.4/§3.3.5 knows four kinds of start: a DATE (all-day), a DATE-TIME in UTC (`Z`), one
 * with a TZID, and a floating one that means the same wall-clock time in every zone. The CRM stores
 * ISO timestamps; the kinds that are not instants are kept recognisable:
 *  - all-day: midnight UTC of the date, with `date` set (`2024-05-01`) and `allDay` true;
 *  - floating: the wall-clock time written as if it were UTC, with `floating` true, so that writing
 *    it back gives the same wall-clock time again.
 */
import ICAL from 'ical.js';
import { isIanaTimeZone, wallClock } from '../domain/wall-clock.js';

export interface CalendarTime {
  /** UTC ISO timestamp (see the module comment for all-day and floating times). */
  iso: string;
  /** `YYYY-MM-DD` for a DATE value, else null. */
  date: string | null;
  floating: boolean;
  /** TZID the time was written with, if any (also kept when the zone was unknown and read as floating). */
  tzid: string | null;
}

function pad(value: number, width = 2): string {
  return String(value).padStart(width, '0');
}

function isFloatingZone(zone: ICAL.Timezone | undefined): boolean {
  return !zone || zone === ICAL.Timezone.localTimezone || zone.tzid === 'floating';
}

/** The CRM view of an ical.js time; `property` supplies the TZID parameter as written. */
export function fromIcalTime(time: ICAL.Time, property?: ICAL.Property | null): CalendarTime {
  const tzidParameter = property?.getFirstParameter('tzid');
  const tzid = typeof tzidParameter === 'string' && tzidParameter !== '' ? tzidParameter : null;
  if (time.isDate) {
    const date = `${pad(time.year, 4)}-${pad(time.month)}-${pad(time.day)}`;
    return { iso: `${date}T00:00:00.000Z`, date, floating: false, tzid: null };
  }
  if (isFloatingZone(time.zone)) {
    const iso = new Date(Date.UTC(time.year, time.month - 1, time.day, time.hour, time.minute, time.second)).toISOString();
    return { iso, date: null, floating: true, tzid };
  }
  // ical.js applies the zone's offset (from the VTIMEZONE or the registered IANA zone).
  return { iso: new Date(time.toUnixTime() * 1000).toISOString(), date: null, floating: false, tzid };
}

/** How a time is to be written. */
export type TimeForm =
  | { kind: 'date' }
  | { kind: 'utc' }
  | { kind: 'floating' }
  /** `zone` converts for TZIDs that are not IANA ids (defined by a VTIMEZONE of the base object). */
  | { kind: 'zone'; tzid: string; zone: ICAL.Timezone | null };

function dateOfIso(iso: string): string {
  // The literal date of the ISO text: an all-day start of `2024-05-01T00:00:00+02:00` is 1 May,
  // whatever the offset says in UTC.
  return iso.slice(0, 10);
}

/**
 * A DATE/DATE-TIME property in jCal form (RFC 7265), so that ical.js writes the value verbatim:
 * `['dtstart', { tzid }, 'date-time', '2024-05-01T09:00:00']`.
 */
export function timeProperty(name: string, iso: string, form: TimeForm): ICAL.Property {
  if (form.kind === 'date') return new ICAL.Property([name, {}, 'date', dateOfIso(iso)]);
  const ms = Date.parse(iso);
  const utc = new Date(ms);
  if (form.kind === 'utc') return new ICAL.Property([name, {}, 'date-time', `${utc.toISOString().slice(0, 19)}Z`]);
  if (form.kind === 'floating') return new ICAL.Property([name, {}, 'date-time', utc.toISOString().slice(0, 19)]);
  let local: string;
  if (isIanaTimeZone(form.tzid)) {
    const wall = wallClock(form.tzid, ms);
    local = `${pad(wall.year, 4)}-${pad(wall.month)}-${pad(wall.day)}T${pad(wall.hour)}:${pad(wall.minute)}:${pad(wall.second)}`;
  } else if (form.zone) {
    local = ICAL.Time.fromJSDate(utc, true).convertToZone(form.zone).toString().slice(0, 19);
  } else {
    return new ICAL.Property([name, {}, 'date-time', `${utc.toISOString().slice(0, 19)}Z`]);
  }
  return new ICAL.Property([name, { tzid: form.tzid }, 'date-time', local]);
}

/** `20240501T090000Z`: the UTC basic format of RFC 5545 §3.3.5 form 2. */
export function utcBasic(date: Date): string {
  return date.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
}

const dateValue = /^(\d{4})-(\d{2})-(\d{2})$/;
const dateTimeValue = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})Z?$/;

/**
 * Whether a jCal DATE or DATE-TIME value is a real calendar value. ical.js does not check ranges:
 * `DTSTART:20241345T990000Z` silently becomes a time in February 2025.
 */
export function isValidTimeValue(value: unknown, type: string): boolean {
  if (typeof value !== 'string') return false;
  const match = (type === 'date' ? dateValue : dateTimeValue).exec(value);
  if (!match) return false;
  const [year, month, day, hour = 0, minute = 0, second = 0] = match.slice(1).map(Number) as number[];
  if (month! < 1 || month! > 12 || day! < 1) return false;
  if (day! > new Date(Date.UTC(year!, month!, 0)).getUTCDate()) return false;
  // Second 60 is a leap second (RFC 5545 §3.3.12).
  return hour < 24 && minute < 60 && second <= 60;
}
