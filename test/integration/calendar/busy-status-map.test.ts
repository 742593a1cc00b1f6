// users[].calendar.busyStatusMap through the caldav runner against real servers (Radicale and
// Xandikos): a CRM `oof` shown as busy is written as busy, read back without a change and the CRM
// keeps oof; a client change to free reaches the CRM; a CRM change to tentative is written mapped.
import { afterEach, beforeEach, describe, expect, inject, it } from 'vitest';
import { createTestStore, type TestStore } from '../../support/memory-store.js';
import { calendarConfig, calendarUser, clientSession, collectionNamed, editLine, hour, hoursAhead, objectsOf, serverNames, syncOnce } from './support.js';

const servers = inject('servers');
let t: TestStore;
beforeEach(async () => {
  t = await createTestStore();
});
afterEach(async () => t.close());

const unfolded = (data: string) => data.replace(/\r\n[ \t]/g, '');

describe.each(serverNames)('busy-status mapping against %s', (server) => {
  it('shows oof as busy without flipping the CRM, takes a client change to free, writes a CRM change mapped', async () => {
    const user = await calendarUser(servers, server);
    const config = calendarConfig(user, { calendar: { busyStatusMap: { oof: 'busy', tentative: 'busy' } } });
    expect(config.users[0]!.calendar.busyStatusMap).toEqual({ free: 'free', tentative: 'busy', busy: 'busy', oof: 'busy' });
    await t.store.users.upsert({ id: 'alice', name: 'Alice Example', email: user.email });
    const start = hoursAhead(72);
    const appointment = await t.store.activities.create({ kind: 'appointment', owner: 'alice', subject: 'Out of office', start: start.toISOString(), end: new Date(start.getTime() + hour).toISOString(), busyStatus: 'oof' });
    expect(await syncOnce(t.store, config)).toMatchObject({ changed: 1, itemErrors: 0 });

    const client = await clientSession(user);
    const calendar = await collectionNamed(client, user.crmCalendar);
    const [object] = await objectsOf(client, calendar);
    const written = unfolded(object!.data);
    expect(written).not.toContain('X-MICROSOFT-CDO-BUSYSTATUS');
    expect(written).not.toContain('TRANSP:TRANSPARENT');
    expect(written).toContain('TRANSP:OPAQUE');

    // Read back as busy: not a client change, nothing written, the CRM keeps oof.
    expect(await syncOnce(t.store, config)).toMatchObject({ changed: 0, itemErrors: 0 });
    expect((await objectsOf(client, calendar))[0]!.etag).toBe(object!.etag);
    expect((await t.store.activities.get(appointment.id))!.busyStatus).toBe('oof');

    // The client marks it free: the CRM gets the calendar's value.
    await client.put(object!.href, editLine(object!.data, 'TRANSP', 'TRANSP:TRANSPARENT'), object!.etag, 'text/calendar');
    expect(await syncOnce(t.store, config)).toMatchObject({ changed: 1, itemErrors: 0 });
    expect((await t.store.activities.get(appointment.id))!.busyStatus).toBe('free');
    expect(await syncOnce(t.store, config)).toMatchObject({ changed: 0, itemErrors: 0 });

    // The CRM makes it tentative: shown as busy (the map), the CRM keeps tentative.
    await t.store.activities.update(appointment.id, { busyStatus: 'tentative' });
    expect(await syncOnce(t.store, config)).toMatchObject({ changed: 1, itemErrors: 0 });
    const [after] = await objectsOf(client, calendar);
    const rewritten = unfolded(after!.data);
    expect(rewritten).toContain('TRANSP:OPAQUE');
    expect(rewritten).not.toContain('STATUS:TENTATIVE');
    expect((await t.store.activities.get(appointment.id))!.busyStatus).toBe('tentative');
    expect(await syncOnce(t.store, config)).toMatchObject({ changed: 0, itemErrors: 0 });
  });
});
