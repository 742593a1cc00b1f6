// One hostile calendar object (a recurrence rule that never matches, an object over the size limit)
// is recorded per item and the rest of the calendar syncs, its free/busy included, while the event
// loop keeps turning. Against Radicale and Xandikos through the caldav runner.
//
// The hostile object is stored as a valid placeholder and the connector hands out the hostile text
// in its place (the server that filed an outsider's invitation by itself, as the bridge sees it):
// Radicale 3 expands recurrences itself when an object is PUT and never answers the PUT of this
// rule (its own loop); Xandikos would store it, but has one principal for every test file, whose
// passes would all meet it.
import { afterEach, beforeEach, describe, expect, inject, it } from 'vitest';
import { busyOfUser } from '../../../src/calendar/user-busy.js';
import { createTestStore, type TestStore } from '../../support/memory-store.js';
import { calendarConfig, calendarUser, clientSession, collectionNamed, corruptingConnector, hour, hoursAhead, icsDate, serverNames, syncOnce, tag, vevent } from './support.js';

const servers = inject('servers');
let t: TestStore;
beforeEach(async () => {
  t = await createTestStore();
});
afterEach(async () => t.close());

describe.each(serverNames)('hostile calendar objects against %s', (server) => {
  it('records FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30 and an oversized object as errors of their hrefs and syncs the good event beside them', async () => {
    const user = await calendarUser(servers, server);
    const config = calendarConfig(user, { calendar: { maxObjectBytes: 64 * 1024 } });
    await syncOnce(t.store, config);
    const client = await clientSession(user);
    const calendar = await collectionNamed(client, user.crmCalendar);
    const start = hoursAhead(50);
    const end = new Date(start.getTime() + hour);
    const hostile = `hostile-${tag()}`;
    const hostileText = vevent(hostile, [`DTSTART:${icsDate(start)}`, `DTEND:${icsDate(end)}`, 'RRULE:FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30', 'SUMMARY:Never']);
    await client.put(`${calendar.href}${hostile}.ics`, vevent(hostile, [`DTSTART:${icsDate(start)}`, `DTEND:${icsDate(end)}`, 'SUMMARY:Never']), null, 'text/calendar');
    const connector = corruptingConnector((href) => (href.endsWith(`/${hostile}.ics`) ? hostileText : undefined));
    const huge = `huge-${tag()}`;
    await client.put(`${calendar.href}${huge}.ics`, vevent(huge, [`DTSTART:${icsDate(start)}`, `DTEND:${icsDate(end)}`, 'SUMMARY:Huge', ...Array.from({ length: 1500 }, (_, index) => `ATTENDEE;CN=Guest ${index}:mailto:guest-${index}@example.com`)]), null, 'text/calendar');
    const good = `good-${tag()}`;
    await client.put(`${calendar.href}${good}.ics`, vevent(good, [`DTSTART:${icsDate(start)}`, `DTEND:${icsDate(end)}`, 'RRULE:FREQ=DAILY;COUNT=3', 'SUMMARY:Good one']), null, 'text/calendar');

    // The pass must leave the event loop free: a ticker that runs all along counts its turns.
    let turns = 0;
    const ticker = setInterval(() => (turns += 1), 5);
    let result: Awaited<ReturnType<typeof syncOnce>>;
    try {
      result = await syncOnce(t.store, config, connector);
    } finally {
      clearInterval(ticker);
    }
    expect(turns).toBeGreaterThan(0);
    expect(result.itemErrors).toBeGreaterThanOrEqual(2);

    // Xandikos has one principal for every test file: look only at this calendar's errors.
    const errorsHere = async () => (await t.store.syncErrors.recent(200, 'caldav:alice')).filter((error) => error.itemRef?.startsWith(calendar.href));
    const errors = await errorsHere();
    expect(errors).toHaveLength(2);
    const hostileError = errors.find((error) => error.itemRef === `${calendar.href}${hostile}.ics`);
    expect(hostileError).toMatchObject({ code: 'INVALID_INPUT' });
    expect(hostileError?.message).toContain(`VEVENT ${hostile}`);
    expect(hostileError?.message).toContain('BYMONTHDAY=30');
    const hugeError = errors.find((error) => error.itemRef === `${calendar.href}${huge}.ics`);
    expect(hugeError).toMatchObject({ code: 'PAYLOAD_TOO_LARGE' });
    expect(hugeError?.message).toContain('maxObjectBytes');

    const subjects = (await t.store.activities.list({ owner: 'alice' }, { limit: 20 })).items.map((item) => item.subject);
    expect(subjects).toEqual(['Good one']);
    // Free/busy: the good series from the mirror (Xandikos: other test files' events show up too).
    const busy = await busyOfUser(t.store, 'alice', new Date(start.getTime() - hour), new Date(start.getTime() + 4 * 24 * hour));
    const starts = busy.map((period) => period.start.toISOString());
    expect(starts).toEqual(expect.arrayContaining([0, 1, 2].map((day) => new Date(start.getTime() + day * 24 * hour).toISOString())));

    // The next pass (a restart) does not hang on it either, and still syncs the good one.
    await syncOnce(t.store, config, connector);
    expect(await errorsHere()).toHaveLength(2);
    expect((await t.store.activities.list({ owner: 'alice' }, { limit: 20 })).items.map((item) => item.subject)).toEqual(['Good one']);
  });
});
