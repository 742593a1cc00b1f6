// The calendar pass on the token-after-own-writes rule (src/sync/engine/own-write-rounds.ts): a
// quiet pass after a writing pass costs what a quiet pass costs, and an item the bridge created
// that the client deletes during the pass is seen as deleted even on a server that forgets
// resources created and deleted after a token (RFC 6578 §3.5.2; Xandikos does).
import { describe, expect, it } from 'vitest';
import { aliceOnMemoryDav } from './alice-spec.js';

const hour = 3_600_000;
const alice = aliceOnMemoryDav();
const run = () => alice.run();
const start = new Date(Math.ceil(Date.now() / hour) * hour + 24 * hour);
const appointment = (subject: string) => alice.t.store.activities.create({ kind: 'appointment', owner: 'alice', subject, start: start.toISOString(), end: new Date(start.getTime() + hour).toISOString() });

/** Requests made by a pass with nothing to do. */
async function quietPassRequests(): Promise<number> {
  const before = alice.dav.requests;
  expect(await run()).toEqual({ changed: 0, itemErrors: 0 });
  return alice.dav.requests - before;
}

it('stores the token after its own writes: the quiet pass after a writing pass makes no more requests than one after a quiet pass', async () => {
  await appointment('Anchor');
  await run();
  const quiet = await quietPassRequests();
  for (let i = 0; i < 5; i++) await appointment(`New ${i}`);
  expect((await run()).changed).toBe(5);
  expect(await quietPassRequests()).toBe(quiet);
});

describe.each([false, true])('an item the bridge created and the client deleted during the same pass (server forgets: %s)', (forgets) => {
  it('is seen as deleted, and the next pass has nothing to do', async () => {
    alice.dav.forgetsCreatedThenDeleted = forgets;
    await appointment('Anchor');
    await run();
    const first = await appointment('First');
    await appointment('Second');
    // Right before the bridge's second PUT, the client deletes the object of the first.
    alice.dav.beforeBridgeWrite.push(() => undefined);
    alice.dav.beforeBridgeWrite.push(() => {
      const calendar = [...alice.dav.collections.keys()][0]!;
      const object = alice.dav.objects(calendar).find((o) => o.href.endsWith(`crm-bridge-${first.id}.ics`));
      if (object) alice.dav.delete(object.href);
    });
    await run();
    // Deleted in the calendar by the user who organises it: deleted in the CRM (plan-item.ts).
    expect(await alice.t.store.activities.get(first.id)).toBeUndefined();
    expect(await alice.t.store.syncStatus.findByCrmRef('calendar:alice', first.id)).toBeUndefined();
    expect(await run()).toEqual({ changed: 0, itemErrors: 0 });
  });
});
