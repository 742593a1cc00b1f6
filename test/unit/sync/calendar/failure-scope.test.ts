// How far a failure reaches in a calendar pass (src/sync/engine/failure.ts): a connection that
// drops while the pass writes ends the pass for the source (the runner records it once and the
// scheduler backs off) instead of leaving one error row per remaining item, and the next pass
// delivers everything once.
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { syncCalendars } from '../../../../src/sync/calendar/calendar-sync.js';
import { MemoryDav } from '../../../support/memory-dav.js';
import { createTestStore, type TestStore } from '../../../support/memory-store.js';
import { aliceSpec } from './alice-spec.js';

const hour = 3_600_000;
let t: TestStore;
beforeEach(async () => {
  t = await createTestStore();
  await t.store.users.upsert({ id: 'alice', name: 'Alice', email: 'alice@example.com' });
});
afterEach(async () => t.close());

describe('failure scope of a calendar pass', () => {
  it('a connection lost while delivering ends the pass without an error row per item; the next pass delivers each item once', async () => {
    const dav = new MemoryDav();
    const deps = { store: t.store, connector: dav, log: pino({ level: 'silent' }), users: [{ id: 'alice', email: 'alice@example.com' }] };
    const run = () => syncCalendars(aliceSpec, deps, new AbortController().signal);
    await run();
    const start = Math.ceil(Date.now() / hour) * hour + 24 * hour;
    for (const subject of ['One', 'Two', 'Three']) await t.store.activities.create({ kind: 'appointment', owner: 'alice', subject, start: new Date(start).toISOString(), end: new Date(start + hour).toISOString() });

    // Every PUT is stored, then the connection drops before the answer arrives.
    dav.random = () => 0;
    dav.lostAnswers = 1;
    await expect(run()).rejects.toMatchObject({ code: 'TEMPORARY', connectionLost: true });
    expect(await t.store.syncErrors.recent(10)).toEqual([]);

    dav.lostAnswers = 0;
    expect(await run()).toMatchObject({ itemErrors: 0 });
    const calendar = [...dav.collections.keys()][0]!;
    const summaries = dav.objects(calendar).map((object) => /^SUMMARY:(.*)$/m.exec(object.data)![1]!.trim()).sort();
    expect(summaries).toEqual(['One', 'Three', 'Two']);
    expect(await run()).toEqual({ changed: 0, itemErrors: 0 });
  });
});
