// Deletion rules, the mass-delete safety rail, conflict policies, crash-safe creates and reset,
// against Radicale and Xandikos through the caldav runner.
import { afterEach, beforeEach, describe, expect, inject, it } from 'vitest';
import { resetUserSync } from '../../../src/sync/reset-user-sync.js';
import { createTestStore, type TestStore } from '../../support/memory-store.js';
import { calendarConfig, calendarUser, clientSession, collectionNamed, editLine, hour, hoursAhead, icsDate, objectsOf, racingConnector, serverNames, syncOnce, tag, vevent } from './support.js';

const servers = inject('servers');
let t: TestStore;
beforeEach(async () => {
  t = await createTestStore();
});
afterEach(async () => t.close());


async function appointment(subject: string, startHours: number) {
  const start = hoursAhead(startHours);
  return t.store.activities.create({ kind: 'appointment', owner: 'alice', subject, start: start.toISOString(), end: new Date(start.getTime() + hour).toISOString() });
}

describe.each(serverNames)('calendar deletions and conflicts against %s', (server) => {
  async function setup(extra: Parameters<typeof calendarConfig>[1] = {}) {
    const user = await calendarUser(servers, server);
    const config = calendarConfig(user, extra);
    await t.store.users.upsert({ id: 'alice', name: 'Alice Example', email: user.email });
    const client = await clientSession(user);
    return { user, config, client, sync: () => syncOnce(t.store, config), calendar: () => collectionNamed(client, user.crmCalendar) };
  }

  it('a CRM deletion removes future items the user organises; past items and invitations stay; a client deletion deletes the activity', async () => {
    const { user, client, sync, calendar } = await setup();
    const futureItem = await appointment('Future', 24);
    const pastItem = await appointment('Past', -72);
    const deletedByClient = await appointment('Deleted in the client', 30);
    await sync();
    const collection = await calendar();
    const invitationUid = `invite-${tag()}`;
    const start = hoursAhead(40);
    await client.put(`${collection.href}${invitationUid}.ics`, vevent(invitationUid, [`DTSTART:${icsDate(start)}`, `DTEND:${icsDate(new Date(start.getTime() + hour))}`, 'SUMMARY:Invitation', 'ORGANIZER:mailto:boss@acme.example', `ATTENDEE:mailto:${user.email}`]), null, 'text/calendar');
    await sync();
    const invitation = (await t.store.activities.list({ owner: 'alice' }, { limit: 10 })).items.find((item) => item.subject === 'Invitation')!;
    expect(invitation.kind).toBe('meeting');
    expect(await objectsOf(client, collection)).toHaveLength(4);

    await t.store.activities.delete(futureItem.id);
    await t.store.activities.delete(pastItem.id);
    await t.store.activities.delete(invitation.id);
    const removed = (await objectsOf(client, collection)).find((object) => object.href.includes(deletedByClient.id))!;
    await client.remove(removed.href, removed.etag);
    expect(await sync()).toMatchObject({ itemErrors: 0 });
    const left = (await objectsOf(client, collection)).map((object) => object.data);
    expect(left).toHaveLength(2);
    expect(left.some((text) => text.includes('SUMMARY:Past'))).toBe(true);
    expect(left.some((text) => text.includes('SUMMARY:Invitation'))).toBe(true);
    expect(await t.store.activities.get(deletedByClient.id)).toBeUndefined();
    // The copies left behind are not imported again.
    expect(await sync()).toMatchObject({ changed: 0, itemErrors: 0 });
    expect((await t.store.activities.list({ owner: 'alice' }, { limit: 10 })).items).toHaveLength(0);
  });

  it('holds the deletions of a collection that suddenly lists none of its synced items', async () => {
    const { client, sync, calendar } = await setup();
    const items = [await appointment('One', 10), await appointment('Two', 11), await appointment('Three', 12)];
    await sync();
    const collection = await calendar();
    for (const object of await objectsOf(client, collection)) await client.remove(object.href, object.etag);
    expect(await sync()).toMatchObject({ itemErrors: 1 });
    for (const item of items) expect(await t.store.activities.get(item.id)).toBeDefined();
    const [error] = await t.store.syncErrors.recent(1, 'caldav:alice');
    expect(error).toMatchObject({ code: 'CONFLICT' });
    expect(error!.message).toContain('held');
    // After a reset the CRM copies are written again, once.
    await resetUserSync(t.store, 'alice', 'calendar');
    await sync();
    expect(await objectsOf(client, collection)).toHaveLength(3);
    await sync();
    expect(await objectsOf(client, collection)).toHaveLength(3);
  });

  it.each(['crm-wins', 'client-wins'] as const)('merges field by field and records conflicts (%s)', async (policy) => {
    const { client, sync, calendar } = await setup({ calendar: { conflictPolicy: policy } });
    const item = await appointment('Original', 20);
    await sync();
    const collection = await calendar();
    const [object] = await objectsOf(client, collection);
    // The client changes subject and location; the CRM changes subject and description.
    let edited = editLine(object!.data, 'SUMMARY', 'SUMMARY:Client subject');
    edited = editLine(edited, 'LOCATION', 'LOCATION:Client room');
    await client.put(object!.href, edited, object!.etag, 'text/calendar');
    await t.store.activities.update(item.id, { subject: 'CRM subject', bodyText: 'CRM notes' });
    expect(await sync()).toMatchObject({ changed: 1 });
    const winner = policy === 'crm-wins' ? 'CRM subject' : 'Client subject';
    expect(await t.store.activities.get(item.id)).toMatchObject({ subject: winner, location: 'Client room', bodyText: 'CRM notes' });
    const [after] = await objectsOf(client, collection);
    const text = after!.data.replace(/\r\n[ \t]/g, '');
    expect(text).toContain(`SUMMARY:${winner}`);
    expect(text).toContain('LOCATION:Client room');
    expect(text).toContain('DESCRIPTION:CRM notes');
    const [conflict] = await t.store.syncErrors.recent(1, 'caldav:alice');
    expect(conflict).toMatchObject({ code: 'CONFLICT' });
    expect(conflict!.message).toContain('subject');
    expect(conflict!.message).toContain(item.id);
    expect(conflict!.message).not.toContain('location');
    expect(await sync()).toMatchObject({ changed: 0 });
  });

  it('a PUT that loses the race to a client save (412) re-reads, merges and retries', async () => {
    const { config, client, sync, calendar } = await setup();
    const item = await appointment('Race', 22);
    await sync();
    const collection = await calendar();
    let raced = false;
    const connector = racingConnector(async (href, session) => {
      if (raced || !href.includes(item.id)) return;
      raced = true;
      const [current] = await session.fetch(collection, [href]);
      await session.put(href, editLine(current!.data, 'LOCATION', 'LOCATION:Saved by the client meanwhile'), current!.etag, 'text/calendar');
    });
    await t.store.activities.update(item.id, { subject: 'Race (renamed in the CRM)' });
    expect(await syncOnce(t.store, config, connector)).toMatchObject({ itemErrors: 0 });
    expect(raced).toBe(true);
    const [after] = await objectsOf(client, collection);
    expect(after!.data).toContain('SUMMARY:Race (renamed in the CRM)');
    expect(after!.data).toContain('LOCATION:Saved by the client meanwhile');
    expect(await t.store.activities.get(item.id)).toMatchObject({ subject: 'Race (renamed in the CRM)', location: 'Saved by the client meanwhile' });
    expect(await sync()).toMatchObject({ changed: 0 });
  });

  it('a sync token the server no longer knows means a full listing, with nothing lost, doubled or deleted', async () => {
    const { client, sync, calendar } = await setup();
    const items = [await appointment('Kept one', 8), await appointment('Kept two', 9)];
    await sync();
    const collection = await calendar();
    // Xandikos answers 500 to an unknown token, Radicale 403 valid-sync-token: either way the
    // adapter lists everything again (fullResync).
    for (const pair of ['calendar:alice', 'tasks:alice']) await t.store.syncCursors.put(pair, collection.href, { syncToken: `${collection.href}sync/unknown-${tag()}` });
    const [first] = await objectsOf(client, collection);
    await client.put(first!.href, editLine(first!.data, 'LOCATION', 'LOCATION:Edited before the resync'), first!.etag, 'text/calendar');
    expect(await sync()).toMatchObject({ changed: 1, itemErrors: 0 });
    for (const item of items) expect(await t.store.activities.get(item.id)).toBeDefined();
    expect((await t.store.activities.list({ owner: 'alice' }, { limit: 10 })).items.map((item) => item.location).filter(Boolean)).toEqual(['Edited before the resync']);
    expect(await objectsOf(client, collection)).toHaveLength(2);
    expect(await sync()).toMatchObject({ changed: 0, itemErrors: 0 });
  });

  it('never creates twice: a create whose confirmation was lost is adopted, and a reset re-matches by UID and href', async () => {
    const { user, client, sync, calendar } = await setup();
    const item = await appointment('Crash test', 15);
    await sync();
    const collection = await calendar();
    // Simulate a crash after the PUT: the status row still holds the pending intent.
    const status = (await t.store.syncStatus.listPair('calendar:alice'))[0]!;
    await t.store.syncStatus.put({ ...status, remote: { ...status.remote, version: null, hash: null }, pending: 'create' });
    await t.store.activities.update(item.id, { location: 'After the crash' });
    await sync();
    const objects = await objectsOf(client, collection);
    expect(objects).toHaveLength(1);
    expect(objects[0]!.data).toContain('LOCATION:After the crash');

    // A client-made event, then a reset of the whole calendar: nothing doubles on either side.
    const uid = `client-${tag()}`;
    const start = hoursAhead(50);
    await client.put(`${collection.href}${uid}.ics`, vevent(uid, [`DTSTART:${icsDate(start)}`, `DTEND:${icsDate(new Date(start.getTime() + hour))}`, 'SUMMARY:From the client']), null, 'text/calendar');
    await sync();
    expect((await t.store.activities.list({ owner: 'alice' }, { limit: 10 })).items).toHaveLength(2);
    await resetUserSync(t.store, 'alice', 'calendar');
    expect(await t.store.syncStatus.listPair('calendar:alice')).toHaveLength(0);
    await sync();
    expect((await t.store.activities.list({ owner: 'alice' }, { limit: 10 })).items).toHaveLength(2);
    expect(await objectsOf(client, collection)).toHaveLength(2);
    // Reset of one item: it is delivered again (CRM values win over the stale copy).
    const [ours] = (await objectsOf(client, collection)).filter((object) => object.href.includes(item.id));
    await client.put(ours!.href, editLine(ours!.data, 'LOCATION', 'LOCATION:Stale'), ours!.etag, 'text/calendar');
    await t.store.activities.update(item.id, { location: 'Fresh' });
    await resetUserSync(t.store, 'alice', 'calendar', item.id);
    await sync();
    const again = await objectsOf(client, collection);
    expect(again).toHaveLength(2);
    expect(again.find((object) => object.href.includes(item.id))!.data).toContain('LOCATION:Fresh');
    expect(await t.store.activities.get(item.id)).toMatchObject({ location: 'Fresh' });
    expect(user.crmCalendar).toBeTruthy();
  });
});
