// Calendar objects the DAV adapter lists but cannot read (larger than sync.maxDavResponseBytes on
// their own, or with an invalid character reference; DavChanges.failed): recorded per item with
// the href, and never taken as deleted, not even by a full listing.
import { expect, it } from 'vitest';
import { BridgeError } from '../../../../src/domain/errors.js';
import { aliceOnMemoryDav } from './alice-spec.js';

const hour = 3_600_000;
const alice = aliceOnMemoryDav();
const run = () => alice.run();

it('records an unreadable object with its href and keeps the appointment through incremental and full listings', async () => {
  const start = new Date(Math.ceil(Date.now() / hour) * hour + 24 * hour);
  const activity = await alice.t.store.activities.create({ kind: 'appointment', owner: 'alice', subject: 'Keep me', start: start.toISOString(), end: new Date(start.getTime() + hour).toISOString() });
  expect((await run()).itemErrors).toBe(0);
  const calendar = [...alice.dav.collections.keys()][0]!;
  const object = alice.dav.objects(calendar).find((o) => o.href.endsWith(`crm-bridge-${activity.id}.ics`))!;

  // The client changed it, and now it cannot be read.
  alice.dav.write(object.href, object.data.replace('SUMMARY:Keep me', 'SUMMARY:Changed'));
  alice.dav.unreadable.set(object.href, new BridgeError('PAYLOAD_TOO_LARGE', `${object.href}: too large (sync.maxDavResponseBytes)`));
  expect((await run()).itemErrors).toBe(1);
  // A full listing (the cursors gone) lists it as failed too: not a deletion.
  for (const pair of ['calendar:alice', 'tasks:alice']) await alice.t.store.syncCursors.remove(pair, calendar);
  expect((await run()).itemErrors).toBe(1);

  expect(await alice.t.store.activities.get(activity.id)).toMatchObject({ subject: 'Keep me' });
  expect(alice.dav.object(object.href)).toBeDefined();
  const errors = await alice.t.store.syncErrors.recent(10, 'caldav:alice');
  // One problem, seen on both passes: one row counting them (issue 16).
  expect(errors.map((e) => [e.itemRef, e.code, e.count])).toEqual([[object.href, 'PAYLOAD_TOO_LARGE', 2]]);
});
