/**
 * IANA time zones for ical.js, built from the runtime's own tz database through Intl.
 *
 * ical.js only knows the zones it is given: the VTIMEZONE components of the object being parsed
 * (RFC 5545 §3.6.5) and whatever is registered in its global TimezoneService (UTC only, out of the
 * box). Many producers (Google, some CalDAV servers, RFC 7809 "timezones by reference") send a TZID
 * without a VTIMEZONE, and when we write an event in a zone we must include a VTIMEZONE for it
 * (RFC 5545 §3.2.19: every TZID used must have a matching VTIMEZONE). Node ships full ICU, so we
 * probe `Intl.DateTimeFormat` for the UTC offset, find every transition in a window of years by
 * weekly sampling plus a binary search to the minute, and describe those transitions as a VTIMEZONE:
 * runs of yearly-repeating transitions become one STANDARD/DAYLIGHT block with an RRULE (as Outlook
 * and Google write them), one-off transitions become blocks of their own. No time-zone data package
 * is needed.
 */
import ICAL from 'ical.js';
import { isIanaTimeZone, offsetMinutes } from '../domain/wall-clock.js';

const MINUTE = 60_000;
const WEEK = 7 * 24 * 60 * MINUTE;
/** Window of years described by a VTIMEZONE built for parsing. ical.js extrapolates the last rule
 * of each observance beyond it, which matches how tz rules are written for the future. */
const PARSE_WINDOW: readonly [number, number] = [1970, 2037];

interface Transition {
  /** First instant with the new offset. */
  at: number;
  from: number;
  to: number;
}

function findTransitions(timeZone: string, fromYear: number, toYear: number): Transition[] {
  const transitions: Transition[] = [];
  const end = Date.UTC(toYear + 1, 0, 1);
  let previousAt = Date.UTC(fromYear, 0, 1);
  let previousOffset = offsetMinutes(timeZone, previousAt);
  for (let probe = previousAt + WEEK; previousAt < end; probe += WEEK) {
    const at = Math.min(probe, end);
    const offset = offsetMinutes(timeZone, at);
    if (offset !== previousOffset) {
      // Binary search to the minute: tz transitions since 1970 fall on whole minutes.
      let low = previousAt;
      let high = at;
      while (high - low > MINUTE) {
        const middle = low + Math.floor((high - low) / 2 / MINUTE) * MINUTE;
        if (offsetMinutes(timeZone, middle) === previousOffset) low = middle;
        else high = middle;
      }
      transitions.push({ at: high, from: previousOffset, to: offsetMinutes(timeZone, high) });
      previousOffset = offsetMinutes(timeZone, high);
    }
    previousAt = at;
  }
  return transitions;
}

const weekdays = ['SU', 'MO', 'TU', 'WE', 'TH', 'FR', 'SA'] as const;

function pad(value: number, width = 2): string {
  return String(Math.abs(value)).padStart(width, '0');
}

function formatOffset(minutes: number): string {
  return `${minutes < 0 ? '-' : '+'}${pad(Math.floor(Math.abs(minutes) / 60))}${pad(Math.abs(minutes) % 60)}`;
}

/** Local time of a transition, in the offset in force before it (RFC 5545 §3.6.5: DTSTART and RDATE
 * of an observance are local times relative to TZOFFSETFROM). */
function localBefore(transition: Transition): Date {
  return new Date(transition.at + transition.from * MINUTE);
}

function formatLocal(local: Date): string {
  return `${pad(local.getUTCFullYear(), 4)}${pad(local.getUTCMonth() + 1)}${pad(local.getUTCDate())}T${pad(local.getUTCHours())}${pad(local.getUTCMinutes())}${pad(local.getUTCSeconds())}`;
}

/** `BYMONTH=3;BYDAY=-1SU` style rule of a transition plus its local time of day, or the weekday
 * ordinal from the start of the month when it is not in the last week. */
function ruleSignature(transition: Transition): string {
  const local = localBefore(transition);
  const day = local.getUTCDate();
  const daysInMonth = new Date(Date.UTC(local.getUTCFullYear(), local.getUTCMonth() + 1, 0)).getUTCDate();
  const ordinal = day + 7 > daysInMonth ? -1 : Math.ceil(day / 7);
  return `BYMONTH=${local.getUTCMonth() + 1};BYDAY=${ordinal}${weekdays[local.getUTCDay()]!}|${local.getUTCHours()}:${local.getUTCMinutes()}`;
}

function observance(transition: Transition, extra: string[]): string[] {
  // DAYLIGHT when the clocks go forward; this matches every zone that follows the northern or
  // southern summer-time pattern. The offsets, which are what ical.js computes with, are exact either way.
  const name = transition.to > transition.from ? 'DAYLIGHT' : 'STANDARD';
  return [
    `BEGIN:${name}`,
    `DTSTART:${formatLocal(localBefore(transition))}`,
    ...extra,
    `TZOFFSETFROM:${formatOffset(transition.from)}`,
    `TZOFFSETTO:${formatOffset(transition.to)}`,
    `END:${name}`,
  ];
}

/**
 * VTIMEZONE text for an IANA zone covering `fromYear`..`toYear`, or null when the runtime does not
 * know the zone. The first observance fixes the offset in force at the start of the window.
 */
export function vtimezoneText(timeZone: string, fromYear: number, toYear: number): string | null {
  if (!isIanaTimeZone(timeZone)) return null;
  const start = Date.UTC(fromYear, 0, 1);
  const initial = offsetMinutes(timeZone, start);
  const lines = ['BEGIN:VTIMEZONE', `TZID:${timeZone}`, `X-LIC-LOCATION:${timeZone}`];
  lines.push(...observance({ at: start - initial * MINUTE, from: initial, to: initial }, []));

  const transitions = findTransitions(timeZone, fromYear, toYear);
  // Group transitions of the same kind (offset pair and yearly rule) into runs of consecutive years.
  const byKind = new Map<string, Transition[]>();
  for (const transition of transitions) {
    const key = `${transition.from}|${transition.to}|${ruleSignature(transition)}`;
    byKind.set(key, [...(byKind.get(key) ?? []), transition]);
  }
  const runs: Transition[][] = [];
  for (const group of byKind.values()) {
    let run: Transition[] = [];
    for (const transition of group) {
      const last = run[run.length - 1];
      if (last && new Date(transition.at).getUTCFullYear() !== new Date(last.at).getUTCFullYear() + 1) {
        runs.push(run);
        run = [];
      }
      run.push(transition);
    }
    if (run.length > 0) runs.push(run);
  }
  const lastYear = transitions.length > 0 ? new Date(transitions[transitions.length - 1]!.at).getUTCFullYear() : fromYear;
  runs.sort((a, b) => a[0]!.at - b[0]!.at);
  for (const run of runs) {
    const first = run[0]!;
    const last = run[run.length - 1]!;
    if (run.length === 1) {
      lines.push(...observance(first, []));
      continue;
    }
    const rule = ruleSignature(first).split('|')[0]!;
    // A run that reaches the last year with transitions is the rule in force today: leave it open
    // so that ical.js extrapolates it; older runs end with UNTIL (in UTC, RFC 5545 §3.3.10).
    const until = new Date(last.at).getUTCFullYear() >= lastYear ? '' : `;UNTIL=${formatLocal(new Date(last.at))}Z`;
    lines.push(...observance(first, [`RRULE:FREQ=YEARLY;${rule}${until}`]));
  }
  lines.push('END:VTIMEZONE');
  return lines.join('\r\n');
}

/** VTIMEZONE component for an IANA zone (see vtimezoneText), or null for an unknown zone. */
export function vtimezoneComponent(timeZone: string, fromYear: number, toYear: number): ICAL.Component | null {
  const text = vtimezoneText(timeZone, fromYear, toYear);
  return text === null ? null : ICAL.Component.fromString(text);
}

/**
 * Make `tzid` known to ical.js's TimezoneService when it is an IANA id the runtime knows. Returns
 * false for unknown ids; ical.js then reads times in that zone as floating (RFC 5545 §3.3.5 form 1).
 * Registration is global on purpose: an IANA id means the same zone in every calendar. Zones defined
 * by a VTIMEZONE inside an object are not registered; ical.js resolves those through the object.
 */
export function ensureIanaTimezone(tzid: string): boolean {
  if (ICAL.TimezoneService.has(tzid)) return true;
  const component = vtimezoneComponent(tzid, PARSE_WINDOW[0], PARSE_WINDOW[1]);
  if (!component) return false;
  ICAL.TimezoneService.register(new ICAL.Timezone({ component, tzid }));
  return true;
}
