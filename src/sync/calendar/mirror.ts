/**
 * Busy periods of one calendar object for the free/busy mirror: recurrences expanded (capped, so an
 * endless RRULE or a 5,000-instance series costs bounded work), transparent and cancelled instances
 * left out (RFC 5545 §3.8.2.7, §3.8.1.11). Pure apart from handing the event loop back during long
 * expansions; throws INVALID_INPUT for a rule whose expansion exceeds the recurrence budget.
 */
import { busyPeriod } from '../../calendar/freebusy.js';
import type { CalendarObject } from '../../calendar/ical-parse.js';
import { expandOccurrences } from '../../calendar/expand.js';
import type { MirrorBusy } from '../../store/calendar-sync.js';

const DAY_MS = 86_400_000;
/** The mirror covers a year back and two years ahead; free/busy windows are 60 days by default. */
export const MIRROR_DAYS_BEFORE = 366;
export const MIRROR_DAYS_AFTER = 731;
export const MIRROR_MAX_INSTANCES = 2000;

export async function mirrorBusy(object: CalendarObject, now: Date): Promise<{ busy: MirrorBusy[]; truncated: boolean }> {
  if (object.kind !== 'event') return { busy: [], truncated: false };
  const from = new Date(now.getTime() - MIRROR_DAYS_BEFORE * DAY_MS);
  const to = new Date(now.getTime() + MIRROR_DAYS_AFTER * DAY_MS);
  const expansion = await expandOccurrences(object, from, to, MIRROR_MAX_INSTANCES);
  const busy = expansion.occurrences.flatMap((occurrence) => {
    const period = busyPeriod(occurrence);
    return period ? [{ start: period.start.toISOString(), end: period.end.toISOString(), type: period.type }] : [];
  });
  return { busy, truncated: expansion.truncated };
}
