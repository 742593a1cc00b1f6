import type { Store } from '../store/store.js';
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
  const activities = await store.activities.busyCandidates(userId, from.toISOString(), to.toISOString());
  const periods = activities.flatMap((activity) => {
    const period = activity.start && activity.end ? busyPeriod({ start: activity.start, end: activity.end, busyStatus: activity.busyStatus, cancelled: activity.status === 'cancelled' }) : null;
    return period ? [period] : [];
  });
  return mergeBusy(periods).map((period) => ({ ...period, source: 'crm' as const }));
}
