import ICAL from 'ical.js';
import type { CalendarObject } from './ical-parse.js';

/**
 * When the calendar last changed an object: LAST-MODIFIED (RFC 5545 §3.8.7.3), else DTSTAMP
 * (§3.8.7.2, which clients refresh on every save when there is no METHOD), of the master or the
 * first override. Null when neither is there. Used by the `newest` conflict policy.
 */
export function modifiedAtOf(object: CalendarObject): string | null {
  const component = object.master ?? [...object.overrides.values()][0];
  if (!component) return null;
  for (const name of ['last-modified', 'dtstamp']) {
    const value = component.getFirstPropertyValue(name);
    if (value instanceof ICAL.Time) return new Date(value.toUnixTime() * 1000).toISOString();
  }
  return null;
}
