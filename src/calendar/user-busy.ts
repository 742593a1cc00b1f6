import type { Store } from '../store/store.js';
import type { FreeBusyType } from './busy-status.js';
import { busyPeriodsOf, mergeBusy, type BusyPeriod } from './freebusy.js';

export interface SourcedBusyPeriod extends BusyPeriod {
  /** Where the time comes from: `crm` (appointments and meetings in the CRM). Synced calendars add `caldav`. */
  source: 'crm' | 'caldav';
}

/**
 * The busy time of CRM users in [from, to): CRM appointments and meetings they own or attend
 * (source `crm`) and every synced calendar of theirs (source `caldav`), transparent (free) and
 * cancelled time left out, merged per source. One pair of queries serves every user asked for.
 */
export async function busyOfUsers(store: Store, userIds: readonly string[], from: Date, to: Date): Promise<Map<string, SourcedBusyPeriod[]>> {
  const times = await store.activities.busyTimesOfUsers(userIds, from.toISOString(), to.toISOString());
  const result = new Map<string, SourcedBusyPeriod[]>();
  for (const userId of userIds) {
    const periods = busyPeriodsOf(times.get(userId) ?? []);
    // Every synced calendar of the user: the mirror the caldav runner keeps (recurrences expanded,
    // transparent and cancelled instances already left out).
    const synced = (await store.calendarSync.busyBetween(userId, from.toISOString(), to.toISOString())).map((period) => ({ start: new Date(period.start), end: new Date(period.end), type: period.type as FreeBusyType }));
    const crm = mergeBusy(periods);
    // The CRM's own appointments are in the synced CRM calendar too: report that time once, as `crm`.
    result.set(userId, [...crm.map((period) => ({ ...period, source: 'crm' as const })), ...minusCovered(mergeBusy(synced), crm).map((period) => ({ ...period, source: 'caldav' as const }))]);
  }
  return result;
}

/**
 * `periods` without the time `covered` already reports with the same busy type. Both lists are
 * sorted by start and free of overlaps (mergeBusy's output), so one sweep with a pointer into
 * `covered` does it in O(n + m): a user's CRM calendar holds thousands of appointments.
 */
export function minusCovered(periods: readonly BusyPeriod[], covered: readonly BusyPeriod[]): BusyPeriod[] {
  const result: BusyPeriod[] = [];
  let first = 0;
  for (const period of periods) {
    const end = period.end.getTime();
    let start = period.start.getTime();
    // Covers that end before this period starts cannot touch it or any later one.
    while (first < covered.length && covered[first]!.end.getTime() <= start) first += 1;
    for (let index = first; index < covered.length && start < end; index += 1) {
      const cover = covered[index]!;
      const from = cover.start.getTime();
      if (from >= end) break;
      if (cover.type !== period.type) continue;
      const to = cover.end.getTime();
      if (from > start) result.push({ start: new Date(start), end: new Date(from), type: period.type });
      start = Math.max(start, to);
    }
    if (start < end) result.push({ start: new Date(start), end: new Date(end), type: period.type });
  }
  return result;
}

/** The busy time of one CRM user in [from, to) (see busyOfUsers). */
export async function busyOfUser(store: Store, userId: string, from: Date, to: Date): Promise<SourcedBusyPeriod[]> {
  return (await busyOfUsers(store, [userId], from, to)).get(userId) ?? [];
}
