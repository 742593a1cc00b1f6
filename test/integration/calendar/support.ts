// Shared set-up of the calendar sync tests: one CRM user whose CalDAV account is a throwaway
// Radicale user or (Xandikos has a single unauthenticated principal) a unique calendar name and
// track category, the caldav runner over the real adapter, and a "client" session that edits the
// server the way a calendar app would.
import { randomBytes } from 'node:crypto';
import { pino } from 'pino';
import { CalDavConnector } from '../../../adapters/caldav/index.js';
import { configSchema, type Config } from '../../../src/config/schema.js';
import { calendarRunner } from '../../../src/sync/calendar/calendar-runner.js';
import type { DavCollection, DavConnector, DavObject, DavSession } from '../../../src/ports/dav.js';
import type { SourceResult } from '../../../src/ports/source.js';
import { sourcesOf } from '../../../src/sync/sources.js';
import type { Store } from '../../../src/store/store.js';
import type { TestServers } from '../../servers/types.js';
import { createCyrusUser } from '../../servers/cyrus.js';
import { createSabreUser } from '../../servers/sabre.js';
import { createRadicaleUser } from '../../servers/users.js';

/** Every CalDAV server of the matrix (issue 15): sabre/dav 1.8 is the one without sync-collection, Cyrus the one with RFC 6638 scheduling. */
export type ServerName = 'radicale' | 'xandikos' | 'sabre' | 'cyrus';
export const serverNames: ServerName[] = ['radicale', 'xandikos', 'sabre', 'cyrus'];

export function tag(): string {
  return randomBytes(4).toString('hex');
}

export interface CalendarUser {
  caldav: { url: string; username: string; password: string };
  crmCalendar: string;
  trackCategory: string;
  email: string;
}

export async function calendarUser(servers: TestServers, server: ServerName): Promise<CalendarUser> {
  const id = tag();
  if (server === 'radicale') {
    const user = await createRadicaleUser(servers, 'cal');
    return { caldav: { url: servers.radicale.url, username: user.username, password: user.password }, crmCalendar: 'CRM', trackCategory: 'CRM', email: `alice-${id}@example.com` };
  }
  if (server === 'cyrus') {
    const user = await createCyrusUser(servers, 'cal');
    return { caldav: { url: servers.cyrus.url, username: user.username, password: user.password }, crmCalendar: 'CRM', trackCategory: 'CRM', email: `${user.username}@example.com` };
  }
  if (server === 'sabre') {
    const user = createSabreUser(servers, 'cal');
    // The principal's address (test/servers/sabre.ts), so the schedule outbox accepts the user as organizer.
    return { caldav: { url: servers.sabre.url, username: user.username, password: user.password }, crmCalendar: 'CRM', trackCategory: 'CRM', email: `${user.username}@example.com` };
  }
  return { caldav: { url: servers.xandikos.url, username: 'anyone', password: 'anything' }, crmCalendar: `CRM ${id}`, trackCategory: `CRM-${id}`, email: `alice-${id}@example.com` };
}

export function calendarConfig(user: CalendarUser, extra: { calendar?: Record<string, unknown>; tasks?: Record<string, unknown>; sync?: Record<string, unknown> } = {}): Config {
  return configSchema.parse({
    sync: extra.sync ?? {},
    users: [
      {
        id: 'alice',
        name: 'Alice Example',
        email: user.email,
        caldav: user.caldav,
        calendar: { crmCalendar: user.crmCalendar, trackCategory: user.trackCategory, ...extra.calendar },
        tasks: { crmTaskList: user.crmCalendar, ...extra.tasks },
      },
    ],
  });
}

export async function syncOnce(store: Store, config: Config, connector: DavConnector = new CalDavConnector()): Promise<Omit<SourceResult, 'source' | 'reached'>> {
  for (const user of config.users) await store.users.upsert(user);
  const source = sourcesOf(config).find((entry) => entry.kind === 'caldav')!;
  return calendarRunner(config, store, connector, pino({ level: 'silent' })).runOnce(source, new AbortController().signal);
}

/**
 * The real adapter, except that the data of the named resources is replaced on the way in: a
 * server that hands out corrupt objects (Radicale validates on PUT, so broken text cannot be
 * stored there through the protocol).
 */
export function corruptingConnector(replace: (href: string) => string | undefined): DavConnector {
  const swap = (object: DavObject): DavObject => ({ ...object, data: replace(object.href) ?? object.data });
  return {
    async connect(settings) {
      const session = await new CalDavConnector().connect(settings);
      return Object.assign(Object.create(session) as DavSession, {
        changes: async (collection: DavCollection, token: string | null) => {
          const changes = await session.changes(collection, token);
          return { ...changes, changed: changes.changed.map(swap) };
        },
        fetch: async (collection: DavCollection, hrefs: readonly string[]) => (await session.fetch(collection, hrefs)).map(swap),
      });
    },
  };
}

export async function clientSession(user: CalendarUser): Promise<DavSession> {
  return new CalDavConnector().connect({ ...user.caldav, timeoutMs: 15_000 });
}

export async function collectionNamed(session: DavSession, name: string): Promise<DavCollection> {
  const found = (await session.listCalendars()).find((calendar) => calendar.displayName === name);
  if (!found) throw new Error(`no calendar named ${name}`);
  return found;
}

/** Every object of a collection (a full listing). */
export async function objectsOf(session: DavSession, collection: DavCollection) {
  return (await session.changes(collection, null)).changed;
}

export const hour = 3_600_000;

/** On the hour, `hours` after the next full hour: event times that are in the future and need no rounding. */
export function hoursAhead(hours: number): Date {
  return new Date(Math.ceil(Date.now() / hour) * hour + hours * hour);
}

export function icsDate(d: Date): string {
  return d.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
}

export function vevent(uid: string, lines: string[]): string {
  return ['BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:-//test client//EN', 'BEGIN:VEVENT', `UID:${uid}`, `DTSTAMP:${icsDate(new Date())}`, ...lines, 'END:VEVENT', 'END:VCALENDAR', ''].join('\r\n');
}

export function vtodo(uid: string, lines: string[]): string {
  return ['BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:-//test client//EN', 'BEGIN:VTODO', `UID:${uid}`, `DTSTAMP:${icsDate(new Date())}`, ...lines, 'END:VTODO', 'END:VCALENDAR', ''].join('\r\n');
}

/** Replace one content line (`NAME...`) of iCalendar text, as a client edit would. */
export function editLine(text: string, name: string, line: string): string {
  const unfolded = text.replace(/\r\n[ \t]/g, '');
  const pattern = new RegExp(`^${name}[;:].*$`, 'm');
  return pattern.test(unfolded) ? unfolded.replace(pattern, line) : unfolded.replace(/^(BEGIN:V(EVENT|TODO))\r?$/m, `$1\r\n${line}`);
}

/**
 * The real adapter, except that `beforePut` runs right before each of the bridge's PUTs: a client
 * that saves the same object at that moment, so the bridge's If-Match loses the race (412).
 */
export function racingConnector(beforePut: (href: string, session: DavSession) => Promise<void>): DavConnector {
  return {
    async connect(settings) {
      const session = await new CalDavConnector().connect(settings);
      return Object.assign(Object.create(session) as DavSession, {
        put: async (href: string, data: string, etag: string | null, contentType: 'text/calendar' | 'text/vcard') => {
          await beforePut(href, session);
          return session.put(href, data, etag, contentType);
        },
      });
    },
  };
}
