/**
 * Free/busy lookup for a list of attendees (GET /api/v1/freebusy and the slot proposal):
 *  1. CRM users: from the store (CRM appointments and their synced calendars, `busyOfUser`);
 *  2. anyone else: the CalDAV server is asked through a configured user's schedule outbox
 *     (RFC 6638 §5) where the server offers one;
 *  3. otherwise what was synced: appointments and meetings in the CRM the address takes part in.
 */
import { davSettings } from '../config/server-settings.js';
import type { Logger } from 'pino';
import type { Config } from '../config/schema.js';
import { normalizeEmail } from '../domain/fields.js';
import type { Store } from '../store/store.js';
import type { ScheduleFreeBusy } from '../ports/freebusy.js';
import { parseFreeBusyPeriods } from './freebusy-parse.js';
import { busyPeriodsOf, mergeBusy, type BusyPeriod } from './freebusy.js';
import { busyOfUsers } from './user-busy.js';

export type BusySource = 'crm' | 'caldav' | 'schedule-outbox';

export interface AttendeeBusyPeriod extends BusyPeriod {
  source: BusySource;
}

export interface AttendeeBusy {
  attendee: string;
  userId: string | null;
  /** True when the answer covers the attendee's whole calendar (a user, or the server answered). */
  known: boolean;
  /** How the answer was found. */
  method: 'store' | 'schedule-outbox' | 'crm-activities';
  busy: AttendeeBusyPeriod[];
}

export interface BusyLookupDeps {
  store: Store;
  config: Config;
  log: Logger;
  schedule?: ScheduleFreeBusy;
}

const looksLikeAddress = (value: string) => /^[^\s@]+@[^\s@]+$/.test(value);

/** The user whose CalDAV account asks the server for outsiders, if any. */
function askingUser(config: Config): Config['users'][number] | undefined {
  const wanted = config.freebusy.lookupAs;
  return config.users.find((user) => user.caldav !== undefined && (wanted === undefined || user.id === wanted));
}

async function fromScheduleOutbox(deps: BusyLookupDeps, addresses: readonly string[], from: Date, to: Date): Promise<Map<string, BusyPeriod[]>> {
  const found = new Map<string, BusyPeriod[]>();
  const asker = askingUser(deps.config);
  if (!deps.schedule || !asker?.caldav || addresses.length === 0) return found;
  try {
    const answers = await deps.schedule.query(davSettings(asker.caldav, { type: 'user', id: asker.id, kind: 'caldav' }), { organizer: { email: asker.email, name: asker.name }, attendees: addresses, start: from, end: to });
    for (const answer of answers ?? []) {
      if (answer.calendarData === null) continue;
      try {
        found.set(normalizeEmail(answer.attendee), parseFreeBusyPeriods(answer.calendarData));
      } catch (error) {
        deps.log.warn({ attendee: answer.attendee, err: error }, 'unreadable VFREEBUSY in a schedule response');
      }
    }
  } catch (error) {
    // The server being down must not break the lookup: fall back to what the CRM knows.
    deps.log.warn({ asker: asker.id, err: error }, 'free/busy lookup through the schedule outbox failed');
  }
  return found;
}

async function fromCrmActivities(store: Store, address: string, from: Date, to: Date): Promise<BusyPeriod[]> {
  return busyPeriodsOf(await store.activities.busyTimesOfAddress(address, from.toISOString(), to.toISOString()));
}

export async function lookupBusy(deps: BusyLookupDeps, attendees: readonly string[], from: Date, to: Date): Promise<AttendeeBusy[]> {
  const users = await deps.store.users.list();
  const userOf = (attendee: string) => users.find((candidate) => candidate.id === attendee || normalizeEmail(candidate.email) === normalizeEmail(attendee));
  const outsiders = [...new Set(attendees.filter((attendee) => !userOf(attendee) && looksLikeAddress(attendee)).map(normalizeEmail))];
  const server = await fromScheduleOutbox(deps, outsiders, from, to);
  const known = await busyOfUsers(deps.store, [...new Set(attendees.flatMap((attendee) => userOf(attendee)?.id ?? []))], from, to);
  return Promise.all(
    attendees.map(async (attendee): Promise<AttendeeBusy> => {
      const user = userOf(attendee);
      if (user) {
        return { attendee, userId: user.id, known: true, method: 'store', busy: known.get(user.id) ?? [] };
      }
      const answered = server.get(normalizeEmail(attendee));
      if (answered) {
        return { attendee, userId: null, known: true, method: 'schedule-outbox', busy: mergeBusy(answered).map((period) => ({ ...period, source: 'schedule-outbox' as const })) };
      }
      const synced = looksLikeAddress(attendee) ? await fromCrmActivities(deps.store, attendee, from, to) : [];
      return { attendee, userId: null, known: false, method: 'crm-activities', busy: mergeBusy(synced).map((period) => ({ ...period, source: 'crm' as const })) };
    }),
  );
}
