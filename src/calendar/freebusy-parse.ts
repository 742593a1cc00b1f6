/**
 * Reading a VFREEBUSY (RFC 5545 §3.6.4) that a server answered, e.g. in an RFC 6638 schedule
 * response or a CalDAV free-busy-query: its FREEBUSY periods with their FBTYPE (§3.2.9).
 */
import ICAL from 'ical.js';
import './recurrence-guard.js';
import type { FreeBusyType } from './busy-status.js';
import type { BusyPeriod } from './freebusy.js';

const busyTypes: readonly string[] = ['BUSY', 'BUSY-TENTATIVE', 'BUSY-UNAVAILABLE'];

function toDate(value: ICAL.Time): Date {
  return value.toJSDate();
}

/**
 * Every busy period of every VFREEBUSY in `text`. FBTYPE defaults to BUSY (§3.2.9); FREE periods
 * and unknown x-types are left out. A period may be start/end or start/duration (§3.3.9).
 * Throws on text that is not iCalendar at all.
 */
export function parseFreeBusyPeriods(text: string): BusyPeriod[] {
  const root = new ICAL.Component(ICAL.parse(text) as unknown[]);
  const components = root.name === 'vfreebusy' ? [root] : root.getAllSubcomponents('vfreebusy');
  const periods: BusyPeriod[] = [];
  for (const component of components) {
    for (const property of component.getAllProperties('freebusy')) {
      const fbType = String(property.getParameter('fbtype') ?? 'BUSY').toUpperCase();
      if (!busyTypes.includes(fbType)) continue;
      for (const value of property.getValues()) {
        if (!(value instanceof ICAL.Period)) continue;
        const start = toDate(value.start);
        const end = toDate(value.getEnd());
        if (end.getTime() > start.getTime()) periods.push({ start, end, type: fbType as FreeBusyType });
      }
    }
  }
  return periods;
}
