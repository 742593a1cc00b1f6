// Bad calendar data never stops a pass nor deletes a CRM copy; every synced calendar feeds the
// user's free/busy. Against Radicale and Xandikos through the caldav runner.
import { readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, inject, it } from 'vitest';
import { busyOfUser } from '../../../src/calendar/user-busy.js';
import { startApi, testToken } from '../../support/api-server.js';
import type { DavCollection, DavSession } from '../../../src/ports/dav.js';
import { createTestStore, type TestStore } from '../../support/memory-store.js';
import { calendarConfig, calendarUser, clientSession, collectionNamed, corruptingConnector, icsDate, serverNames, syncOnce, tag, vevent } from './support.js';

const servers = inject('servers');
let t: TestStore;
beforeEach(async () => {
  t = await createTestStore();
});
afterEach(async () => t.close());

const hour = 3_600_000;
const fixture = (name: string) => readFileSync(`test/fixtures/ical/${name}.ics`, 'utf8');

/**
 * Broken text as a server hands it out. Radicale 3.1 and Cyrus validate iCalendar on PUT (and a broken file
 * in its storage fails the whole collection with 500); Xandikos would store it, but has one
 * principal for every test, so real broken objects would show up in every other test's pass. So a
 * valid placeholder is stored and the connector corrupts it on the way in, on both servers.
 */
const corrupt = new Map<string, string>();
const connector = corruptingConnector((href) => corrupt.get(href.split('/').pop()!));
async function storeBroken(client: DavSession, collection: DavCollection, name: string, text: string, etag: string | null = null): Promise<void> {
  const uid = /^UID:(.*)$/m.exec(text)![1]!.trim();
  await client.put(`${collection.href}${name}`, vevent(uid, [`DTSTART:${icsDate(new Date())}`, `DTEND:${icsDate(new Date(Date.now() + hour))}`, `SUMMARY:placeholder ${tag()}`]), etag, 'text/calendar');
  corrupt.set(name, text);
}

describe.each(serverNames)('bad input and free/busy against %s', (server) => {
  it('records broken, odd and huge items per href, imports what it can, and never deletes the CRM copy of an item that broke', async () => {
    const user = await calendarUser(servers, server);
    const config = calendarConfig(user);
    await t.store.users.upsert({ id: 'alice', name: 'Alice Example', email: user.email });
    await syncOnce(t.store, config, connector);
    const client = await clientSession(user);
    const calendar = await collectionNamed(client, user.crmCalendar);
    for (const name of ['count-5000', 'endless-daily', 'unknown-tzid', 'huge-description']) await client.put(`${calendar.href}${name}.ics`, fixture(name), null, 'text/calendar');
    const goodUid = `good-${tag()}`;
    const start = new Date(Date.now() + 30 * hour);
    await client.put(`${calendar.href}${goodUid}.ics`, vevent(goodUid, [`DTSTART:${icsDate(start)}`, `DTEND:${icsDate(new Date(start.getTime() + hour))}`, 'SUMMARY:Good one']), null, 'text/calendar');
    await storeBroken(client, calendar, 'broken-dtstart.ics', fixture('broken-dtstart'));
    // Xandikos has one principal for every test: count only what is recorded for this calendar.
    // One row per broken item, counting the times it failed (issue 16): the failures are the sum.
    const rowsHere = async () => (await t.store.syncErrors.recent(200, 'caldav:alice')).filter((error) => error.code === 'INVALID_INPUT' && error.itemRef?.startsWith(calendar.href) && !error.message.includes('synced with warnings'));
    const failuresHere = async () => (await rowsHere()).reduce((sum, error) => sum + error.count, 0);

    const started = Date.now();
    const result = await syncOnce(t.store, config, connector);
    expect(Date.now() - started).toBeLessThan(20_000);
    expect(result.itemErrors).toBeGreaterThanOrEqual(1);
    expect(await failuresHere()).toBe(1);
    const subjects = (await t.store.activities.list({ owner: 'alice' }, { limit: 20 })).items.map((item) => item.subject).sort();
    expect(subjects).toEqual(['Good one', 'Huge', 'Lunch', 'Somewhere', 'Stand-up']);
    const errors = await t.store.syncErrors.recent(20, 'caldav:alice');
    expect(errors.find((error) => error.itemRef?.endsWith('broken-dtstart.ics'))).toMatchObject({ code: 'INVALID_INPUT' });
    expect(errors.find((error) => error.itemRef?.endsWith('unknown-tzid.ics'))?.message).toContain('Mars/Olympus_Mons');
    expect(errors.find((error) => error.itemRef?.endsWith('huge-description.ics'))?.message).toContain('DESCRIPTION');

    // A synced item that the client breaks keeps its CRM copy, also through a full re-read.
    const good = (await t.store.activities.list({ owner: 'alice' }, { limit: 20 })).items.find((item) => item.subject === 'Good one')!;
    const [current] = await client.fetch(calendar, [`${calendar.href}${goodUid}.ics`]);
    await storeBroken(client, calendar, `${goodUid}.ics`, fixture('broken-dtstart').replace('UID:broken-2', `UID:${goodUid}`), current!.etag);
    await syncOnce(t.store, config, connector);
    expect(await failuresHere()).toBe(2);
    await t.store.db.deleteFrom('sync_cursors').execute();
    await syncOnce(t.store, config, connector);
    expect(await failuresHere()).toBe(4);
    expect((await rowsHere()).map((error) => error.count)).toEqual([2, 2]);
    expect(await t.store.activities.get(good.id)).toMatchObject({ subject: 'Good one' });
  });

  it('free/busy includes every synced calendar of the user, recurrences expanded, transparent and cancelled left out', async () => {
    const user = await calendarUser(servers, server);
    const config = calendarConfig(user);
    await t.store.users.upsert({ id: 'alice', name: 'Alice Example', email: user.email });
    const client = await clientSession(user);
    const personal = await client.createCalendar(`Private ${tag()}`, ['VEVENT']);
    // A week about 13 months ahead, in the afternoon: Xandikos has one principal for every test, and
    // what other tests put there (a daily 09:00 stand-up, events near today) stays out of the way.
    const soon = new Date(Date.now() + (395 + Math.floor(Math.random() * 200)) * 24 * hour);
    const monday = new Date(Date.UTC(soon.getUTCFullYear(), soon.getUTCMonth(), soon.getUTCDate() - ((soon.getUTCDay() + 6) % 7), 13, Math.floor(Math.random() * 4) * 7, 0));
    const put = (uid: string, lines: string[]) => client.put(`${personal.href}${uid}.ics`, vevent(uid, lines), null, 'text/calendar');
    const weekly = `weekly-${tag()}`;
    await put(weekly, [`DTSTART:${icsDate(monday)}`, `DTEND:${icsDate(new Date(monday.getTime() + hour))}`, 'RRULE:FREQ=WEEKLY;COUNT=3', 'SUMMARY:Gym']);
    await put(`free-${tag()}`, [`DTSTART:${icsDate(new Date(monday.getTime() + 3 * hour))}`, `DTEND:${icsDate(new Date(monday.getTime() + 4 * hour))}`, 'TRANSP:TRANSPARENT', 'SUMMARY:Maybe']);
    await put(`cancelled-${tag()}`, [`DTSTART:${icsDate(new Date(monday.getTime() + 5 * hour))}`, `DTEND:${icsDate(new Date(monday.getTime() + 6 * hour))}`, 'STATUS:CANCELLED', 'SUMMARY:Off']);
    await put(`tentative-${tag()}`, [`DTSTART:${icsDate(new Date(monday.getTime() + 7 * hour))}`, `DTEND:${icsDate(new Date(monday.getTime() + 8 * hour))}`, 'STATUS:TENTATIVE', 'SUMMARY:Perhaps']);
    expect(await syncOnce(t.store, config)).toMatchObject({ changed: 0 });
    // Nothing of it became an activity: only free/busy knows it.
    expect((await t.store.activities.list({ owner: 'alice' }, { limit: 10 })).items).toHaveLength(0);

    const from = new Date(monday.getTime() - 24 * hour);
    const to = new Date(monday.getTime() + 30 * 24 * hour);
    const afternoon = (period: { start: Date; source: string }) => period.source === 'caldav' && period.start.getUTCHours() >= 12;
    const busy = (await busyOfUser(t.store, 'alice', from, to)).filter(afternoon);
    expect(busy.map((period) => [period.start.toISOString(), period.type])).toEqual([
      [monday.toISOString(), 'BUSY'],
      [new Date(monday.getTime() + 7 * hour).toISOString(), 'BUSY-TENTATIVE'],
      [new Date(monday.getTime() + 7 * 24 * hour).toISOString(), 'BUSY'],
      [new Date(monday.getTime() + 14 * 24 * hour).toISOString(), 'BUSY'],
    ]);

    // Deleted in the client: gone from free/busy at the next pass.
    const [gym] = await client.fetch(personal, [`${personal.href}${weekly}.ics`]);
    await client.remove(gym!.href, gym!.etag);
    await syncOnce(t.store, config);
    const after = (await busyOfUser(t.store, 'alice', from, to)).filter(afternoon);
    expect(after.map((period) => period.type)).toEqual(['BUSY-TENTATIVE']);
  });

  it('GET /api/v1/freebusy and /freebusy/<user>.vfb include the synced calendars', async () => {
    const user = await calendarUser(servers, server);
    const api = await startApi({ users: [{ id: 'alice', name: 'Alice Example', email: user.email, caldav: user.caldav, calendar: { crmCalendar: user.crmCalendar, trackCategory: user.trackCategory }, tasks: { crmTaskList: user.crmCalendar } }] });
    try {
      const client = await clientSession(user);
      const personal = await client.createCalendar(`Busy ${tag()}`, ['VEVENT']);
      const start = new Date(Math.ceil((Date.now() + 10 * 24 * hour) / hour) * hour);
      const uid = `busy-${tag()}`;
      await client.put(`${personal.href}${uid}.ics`, vevent(uid, [`DTSTART:${icsDate(start)}`, `DTEND:${icsDate(new Date(start.getTime() + hour))}`, 'SUMMARY:Private', 'X-MICROSOFT-CDO-BUSYSTATUS:OOF']), null, 'text/calendar');
      await syncOnce(api.t.store, api.config);
      const from = new Date(start.getTime() - hour).toISOString();
      const to = new Date(start.getTime() + 2 * hour).toISOString();
      const answer = await api.call('GET', `/api/v1/freebusy?attendees=${encodeURIComponent(user.email)}&from=${from}&to=${to}`);
      expect(answer.status).toBe(200);
      expect(answer.body.attendees[0].busy).toContainEqual({ start: start.toISOString(), end: new Date(start.getTime() + hour).toISOString(), type: 'BUSY-UNAVAILABLE', source: 'caldav' });
      const vfb = await fetch(`${api.url}/freebusy/alice.vfb`, { headers: { authorization: `Bearer ${testToken}` } });
      expect(vfb.status).toBe(200);
      expect((await vfb.text()).replace(/\r\n[ \t]/g, '')).toContain(`FBTYPE=BUSY-UNAVAILABLE:${icsDate(start)}/${icsDate(new Date(start.getTime() + hour))}`);
    } finally {
      await api.close();
    }
  });
});
