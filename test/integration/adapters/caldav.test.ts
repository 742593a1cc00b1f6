// Contract tests of the CalDAV adapter (adapters/caldav): the same suite against Radicale 3.1
// (a throwaway user, discovered from the server root and from the user's home), Xandikos 0.2
// (no authentication, discovered from the root and from the principal) and sabre/dav 1.8 (no
// sync-collection: the listing-token fallback; discovered from the root and the principal). Where the servers
// differ, the difference is asserted exactly, per server, so a server upgrade shows up here.

import { randomBytes, randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { CalDavConnector } from '../../../adapters/caldav/index.js';
import type { DavCollection, DavServerSettings, DavSession } from '../../../src/ports/dav.js';
import { createCyrusUser } from '../../servers/cyrus.js';
import { createSabreUser } from '../../servers/sabre.js';
import { createRadicaleUser } from '../../servers/users.js';
import { rejection } from '../../support/errors.js';

const servers = inject('servers');

interface Target {
  name: string;
  server: 'radicale' | 'xandikos' | 'sabre' | 'cyrus';
  /** Settings plus what discovery must find. */
  setup(): Promise<{ settings: DavServerSettings; principalUrl: string; calendarHomeUrl: string; addressbookHomeUrl: string }>;
}

async function radicaleAccount(from: 'root' | 'home'): Promise<Awaited<ReturnType<Target['setup']>>> {
  const user = await createRadicaleUser(servers, 'caldav');
  const home = `${servers.radicale.url}${user.username}/`;
  return {
    settings: { url: from === 'root' ? servers.radicale.url : home, username: user.username, password: user.password, timeoutMs: 15_000 },
    // Radicale: the principal is the home of both calendars and address books.
    principalUrl: home,
    calendarHomeUrl: home,
    addressbookHomeUrl: home,
  };
}

function xandikosAccount(from: 'root' | 'principal'): Promise<Awaited<ReturnType<Target['setup']>>> {
  const x = servers.xandikos;
  return Promise.resolve({
    // Xandikos accepts any credentials; send some anyway, as the bridge always does.
    settings: { url: from === 'root' ? x.url : x.principalUrl, username: 'anyone', password: 'anything', timeoutMs: 15_000 },
    principalUrl: x.principalUrl,
    calendarHomeUrl: x.calendarHomeUrl,
    addressbookHomeUrl: x.addressbookHomeUrl,
  });
}

function sabreAccount(from: 'root' | 'principal'): Promise<Awaited<ReturnType<Target['setup']>>> {
  const user = createSabreUser(servers, 'caldav');
  const principal = `${servers.sabre.url}principals/${user.username}/`;
  return Promise.resolve({
    settings: { url: from === 'root' ? servers.sabre.url : principal, username: user.username, password: user.password, timeoutMs: 15_000 },
    principalUrl: principal,
    calendarHomeUrl: `${servers.sabre.url}calendars/${user.username}/`,
    addressbookHomeUrl: `${servers.sabre.url}addressbooks/${user.username}/`,
  });
}

async function cyrusAccount(from: 'root' | 'principal'): Promise<Awaited<ReturnType<Target['setup']>>> {
  const user = await createCyrusUser(servers, 'caldav');
  const principal = `${servers.cyrus.url}dav/principals/user/${user.username}/`;
  return {
    settings: { url: from === 'root' ? servers.cyrus.url : principal, username: user.username, password: user.password, timeoutMs: 15_000 },
    principalUrl: principal,
    calendarHomeUrl: `${servers.cyrus.url}dav/calendars/user/${user.username}/`,
    addressbookHomeUrl: `${servers.cyrus.url}dav/addressbooks/user/${user.username}/`,
  };
}

const targets: Target[] = [
  { name: 'Radicale, discovered from the server root', server: 'radicale', setup: () => radicaleAccount('root') },
  { name: 'Radicale, discovered from the user home', server: 'radicale', setup: () => radicaleAccount('home') },
  { name: 'Xandikos, discovered from the server root', server: 'xandikos', setup: () => xandikosAccount('root') },
  { name: 'Xandikos, discovered from the principal', server: 'xandikos', setup: () => xandikosAccount('principal') },
  { name: 'sabre/dav 1.8, discovered from the server root', server: 'sabre', setup: () => sabreAccount('root') },
  { name: 'sabre/dav 1.8, discovered from the principal', server: 'sabre', setup: () => sabreAccount('principal') },
  { name: 'Cyrus, discovered from the server root', server: 'cyrus', setup: () => cyrusAccount('root') },
  { name: 'Cyrus, discovered from the principal', server: 'cyrus', setup: () => cyrusAccount('principal') },
];

function icsDate(d: Date): string {
  return d.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
}

function vevent(uid: string, summary: string, start = new Date(Date.UTC(2030, 0, 15, 9, 0, 0))): string {
  return [
    'BEGIN:VCALENDAR',
    'VERSION:2.0',
    'PRODID:-//crm-bridge//caldav contract test//EN',
    'BEGIN:VEVENT',
    `UID:${uid}`,
    `DTSTAMP:${icsDate(new Date())}`,
    `DTSTART:${icsDate(start)}`,
    `DTEND:${icsDate(new Date(start.getTime() + 3_600_000))}`,
    `SUMMARY:${summary}`,
    'END:VEVENT',
    'END:VCALENDAR',
    '',
  ].join('\r\n');
}


function tag(): string {
  return randomBytes(4).toString('hex');
}

describe.each(targets)('CalDAV adapter against $name', (target) => {
  let session: DavSession;
  let expected: Awaited<ReturnType<Target['setup']>>;
  let events: DavCollection;
  let tasks: DavCollection;
  const eventsName = `CRM meetings ${tag()}`;
  const tasksName = `CRM tasks ${tag()}`;

  beforeAll(async () => {
    expected = await target.setup();
    session = await new CalDavConnector().connect(expected.settings);
    events = await session.createCalendar(eventsName, ['VEVENT']);
    tasks = await session.createCalendar(tasksName, ['VTODO']);
  });

  /** A resource URL inside the events calendar. */
  const eventUrl = (name: string): string => `${events.href}${name}`;

  it('discovers the principal and the calendar and address book homes', () => {
    expect(session.principalUrl).toBe(expected.principalUrl);
    expect(session.calendarHomeUrl).toBe(expected.calendarHomeUrl);
    expect(session.addressbookHomeUrl).toBe(expected.addressbookHomeUrl);
  });

  it('creates calendars for VEVENT and for VTODO and lists them with their components', async () => {
    expect(events.href.startsWith(expected.calendarHomeUrl)).toBe(true);
    expect(events.href).toMatch(/^http:\/\/.+\/$/);
    expect(events.displayName).toBe(eventsName);
    expect(tasks.displayName).toBe(tasksName);

    const listed = await session.listCalendars();
    const listedEvents = listed.find((c) => c.href === events.href);
    const listedTasks = listed.find((c) => c.href === tasks.href);
    expect(listedEvents).toMatchObject({ kind: 'calendar', displayName: eventsName, readOnly: false });
    expect(listedTasks).toMatchObject({ kind: 'calendar', displayName: tasksName, readOnly: false });
    // sabre/dav 1.8 has no sync-collection (RFC 6578), so no DAV:sync-token either: only the ctag.
    if (target.server === 'sabre') expect(listedEvents?.syncToken).toBeNull();
    else expect(listedEvents?.syncToken).toBeTruthy();
    expect(listedEvents?.ctag).toBeTruthy();
    if (target.server !== 'xandikos') {
      expect(listedEvents?.components).toEqual(['VEVENT']);
      expect(listedTasks?.components).toEqual(['VTODO']);
    } else {
      // Xandikos 0.2.8 ignores the component set of MKCALENDAR and reports every component
      // (VFREEBUSY, not a DavComponent, is dropped) for every calendar.
      expect(listedEvents?.components).toEqual(['VEVENT', 'VTODO', 'VJOURNAL']);
      expect(listedTasks?.components).toEqual(['VEVENT', 'VTODO', 'VJOURNAL']);
    }
    // Address books never show up as calendars and vice versa.
    const books = await session.listAddressBooks();
    expect(books.some((b) => b.href === events.href)).toBe(false);
    expect(books.every((b) => b.kind === 'addressbook' && b.components.length === 0)).toBe(true);
    if (target.server === 'xandikos') expect(books.map((b) => b.href)).toContain(servers.xandikos.addressbookUrl);
  });

  it('returns the existing calendar when it is created again with the same name (lost-response retry)', async () => {
    // Radicale answers 409, Xandikos a 207 with a 403 inside; both end in a re-read.
    const again = await session.createCalendar(eventsName, ['VEVENT']);
    expect(again.href).toBe(events.href);
    const listed = await session.listCalendars();
    expect(listed.filter((c) => c.displayName === eventsName)).toHaveLength(1);
  });

  it('puts with If-None-Match and If-Match and reports lost races as PRECONDITION_FAILED', async () => {
    const uid = randomUUID();
    const href = eventUrl(`${uid}.ics`);
    const created = await session.put(href, vevent(uid, 'Kick-off with Acme'), null, 'text/calendar');
    expect(created.etag).toMatch(/^(W\/)?".+"$/);

    const duplicate = await rejection(session.put(href, vevent(uid, 'Duplicate'), null, 'text/calendar'));
    expect(duplicate.code).toBe('PRECONDITION_FAILED');
    expect(duplicate.message).toContain('PUT');
    expect(duplicate.message).toContain(new URL(href).pathname);

    const stale = await rejection(session.put(href, vevent(uid, 'Lost update'), '"not-the-etag"', 'text/calendar'));
    expect(stale.code).toBe('PRECONDITION_FAILED');

    const updated = await session.put(href, vevent(uid, 'Kick-off with Acme (moved)'), created.etag, 'text/calendar');
    expect(updated.etag).toMatch(/^(W\/)?".+"$/);
    expect(updated.etag).not.toBe(created.etag);

    const [fetched] = await session.fetch(events, [href]);
    expect(fetched?.href).toBe(href);
    expect(fetched?.etag).toBe(updated.etag);
    expect(fetched?.data).toContain('SUMMARY:Kick-off with Acme (moved)');
  });

  it('tracks changes with sync-collection: everything first, then exactly what changed', async () => {
    const calendar = await session.createCalendar(`Sync ${tag()}`, ['VEVENT']);
    const hrefs: string[] = [];
    const etags = new Map<string, string>();
    for (let i = 0; i < 5; i++) {
      const uid = randomUUID();
      const href = `${calendar.href}${uid}.ics`;
      hrefs.push(href);
      etags.set(href, (await session.put(href, vevent(uid, `Meeting ${i}`), null, 'text/calendar')).etag);
    }

    const initial = await session.changes(calendar, null);
    expect(initial.fullResync).toBe(false);
    expect(initial.deleted).toEqual([]);
    expect(initial.syncToken).toBeTruthy();
    expect(initial.changed.map((o) => o.href).sort()).toEqual([...hrefs].sort());
    for (const obj of initial.changed) {
      expect(obj.href).toMatch(/^http:\/\//);
      expect(obj.etag).toBe(etags.get(obj.href));
      expect(obj.data).toContain('BEGIN:VEVENT');
    }

    // Nothing happened: nothing reported, and the token still works.
    const idle = await session.changes(calendar, initial.syncToken);
    expect(idle.changed).toEqual([]);
    expect(idle.deleted).toEqual([]);
    expect(idle.fullResync).toBe(false);

    const [changedHref, deletedHref] = hrefs as [string, string];
    const uid = /([^/]+)\.ics$/.exec(changedHref)?.[1] ?? '';
    const put = await session.put(changedHref, vevent(uid, 'Meeting 0 (moved)'), etags.get(changedHref) ?? null, 'text/calendar');
    await session.remove(deletedHref, etags.get(deletedHref) ?? null);

    const delta = await session.changes(calendar, idle.syncToken ?? initial.syncToken);
    expect(delta.fullResync).toBe(false);
    expect(delta.changed.map((o) => o.href)).toEqual([changedHref]);
    expect(delta.changed[0]?.etag).toBe(put.etag);
    expect(delta.changed[0]?.data).toContain('SUMMARY:Meeting 0 (moved)');
    expect(delta.deleted).toEqual([deletedHref]);
    expect(delta.syncToken).toBeTruthy();
    expect(delta.syncToken).not.toBe(initial.syncToken);

    // Tokens the server does not know (garbage, or well-formed but never issued / expired): a
    // full listing without the earlier deletion, flagged so the engine diffs against its state.
    // On sabre/dav the tokens are the adapter's own listing tokens (listing-token.ts); one it
    // cannot read counts as unknown too.
    if (target.server === 'sabre') expect(delta.syncToken).toMatch(/^crm-bridge-listing:1:/);
    const unknownTokens =
      target.server === 'radicale'
        ? ['garbage', `http://radicale.org/ns/sync/${'0'.repeat(64)}`]
        : target.server === 'sabre'
          ? ['garbage', 'crm-bridge-listing:1:not-deflate']
          : ['garbage', '0'.repeat(40)];
    for (const token of unknownTokens) {
      const resync = await session.changes(calendar, token);
      expect(resync.fullResync).toBe(true);
      expect(resync.deleted).toEqual([]);
      expect(resync.changed.map((o) => o.href).sort()).toEqual(hrefs.filter((h) => h !== deletedHref).sort());
      expect(resync.syncToken).toBeTruthy();
    }
    // And a full listing without a token never reports earlier deletions either.
    const again = await session.changes(calendar, null);
    expect(again.deleted).toEqual([]);
    expect(again.fullResync).toBe(false);
    expect(again.changed).toHaveLength(hrefs.length - 1);

    const listing = await session.listEtags(calendar);
    expect(listing.map((e) => e.href).sort()).toEqual(hrefs.filter((h) => h !== deletedHref).sort());
    expect(listing.find((e) => e.href === changedHref)?.etag).toBe(put.etag);
  });

  it('works with hrefs that have no .ics suffix', async () => {
    const calendar = await session.createCalendar(`No suffix ${tag()}`, ['VEVENT']);
    const href = `${calendar.href}event-without-suffix`;
    const uid = randomUUID();
    const { etag } = await session.put(href, vevent(uid, 'No suffix'), null, 'text/calendar');

    const all = await session.changes(calendar, null);
    expect(all.changed).toHaveLength(1);
    expect(all.changed[0]).toMatchObject({ href, etag });
    expect(all.changed[0]?.data).toContain('SUMMARY:No suffix');

    const fetched = await session.fetch(calendar, [href]);
    expect(fetched).toHaveLength(1);
    expect(fetched[0]?.data).toContain('SUMMARY:No suffix');
    expect(await session.listEtags(calendar)).toEqual([{ href, etag }]);

    let current = (await session.put(href, vevent(uid, 'No suffix, changed'), etag, 'text/calendar')).etag;
    // Replacing a resource with one of another UID: Radicale (409) and Cyrus (403) refuse (RFC 4791
    // §5.3.2.1 no-uid-conflict), Xandikos 0.2.8 and sabre/dav 1.8 accept it.
    const otherUid = session.put(href, vevent(randomUUID(), 'Other UID'), current, 'text/calendar');
    if (target.server === 'radicale' || target.server === 'cyrus') {
      const conflict = await rejection(otherUid);
      expect(conflict.code).toBe('CONFLICT');
    } else {
      current = (await otherUid).etag;
    }
    await session.remove(href, current);
    expect(await session.listEtags(calendar)).toEqual([]);
  });

  it('removes with If-Match: stale etag refused, right etag accepted, a missing href is fine', async () => {
    const uid = randomUUID();
    const href = eventUrl(`${uid}.ics`);
    const { etag } = await session.put(href, vevent(uid, 'To be cancelled'), null, 'text/calendar');

    const stale = await rejection(session.remove(href, '"not-the-etag"'));
    expect(stale.code).toBe('PRECONDITION_FAILED');
    expect(stale.message).toContain('DELETE');
    expect(await session.fetch(events, [href])).toHaveLength(1);

    await session.remove(href, etag);
    expect(await session.fetch(events, [href])).toEqual([]);

    // Already gone, with and without an etag: the goal is reached.
    await session.remove(href, etag);
    await session.remove(eventUrl(`never-existed-${tag()}.ics`), null);
  });

  it('fetch skips hrefs that do not exist', async () => {
    const uid = randomUUID();
    const href = eventUrl(`${uid}.ics`);
    await session.put(href, vevent(uid, 'Exists'), null, 'text/calendar');
    const got = await session.fetch(events, [href, eventUrl(`missing-${tag()}.ics`)]);
    expect(got.map((o) => o.href)).toEqual([href]);
  });

  it('answers free-busy-query as the server supports it', async () => {
    const calendar = await session.createCalendar(`Busy ${tag()}`, ['VEVENT']);
    const uid = randomUUID();
    // A ".ics" name: Xandikos 0.2.8 only treats resources with that suffix as calendar data.
    await session.put(`${calendar.href}${uid}.ics`, vevent(uid, 'Busy', new Date(Date.UTC(2031, 2, 3, 14, 0, 0))), null, 'text/calendar');
    const result = await session.freeBusy(calendar, new Date(Date.UTC(2031, 2, 1)), new Date(Date.UTC(2031, 2, 8)));
    if (target.server === 'radicale') {
      // Radicale 3.1.8 has no free-busy-query: it answers with a bare 207 listing the members.
      expect(result).toBeNull();
    } else {
      expect(result).toContain('BEGIN:VFREEBUSY');
      expect(result).toMatch(/^FREEBUSY[;:].*20310303T140000Z\/20310303T150000Z\r?$/m);
    }
  });
});
