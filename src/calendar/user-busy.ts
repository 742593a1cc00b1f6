import type { Store } from '../store/store.js';
import type { FreeBusyType } from './busy-status.js';
import { busyPeriod, mergeBusy, type BusyPeriod } from './freebusy.js';

export interface SourcedBusyPeriod extends BusyPeriod {
  /** Where the time comes from: `crm` (appointments and meetings in the CRM). Synced calendars add `caldav`. */
  source: 'crm' | 'caldav';
}

/**
 * The busy time of a CRM user in [from, to): CRM appointments and meetings they own or attend,
 * transparent (free) and cancelled ones left out, merged per source.
 */
export async function busyOfUser(store: Store, userId: string, from: Date, to: Date): Promise<SourcedBusyPeriod[]> {
  const times = await store.activities.busyTimes(userId, from.toISOString(), to.toISOString());
  const periods = times.flatMap((time) => {
    const period = busyPeriod(time);
    return period ? [period] : [];
  });
  // Every synced calendar of the user: the mirror the caldav runner keeps (recurrences expanded,
  // transparent and cancelled instances already left out).
  const synced = (await store.calendarSync.busyBetween(userId, from.toISOString(), to.toISOString())).map((period) => ({ start: new Date(period.start), end: new Date(period.end), type: period.type as FreeBusyType }));
  return [...mergeBusy(periods).map((period) => ({ ...period, source: 'crm' as const })), ...mergeBusy(synced).map((period) => ({ ...period, source: 'caldav' as const }))];
}
