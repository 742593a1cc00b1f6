// Under `serve` a CRM change of an appointment or task runs the owner's caldav source soon: the
// follower reads the change feed and the scheduler's request() runs the source.
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CalendarChangeFollower } from '../../../../src/sync/calendar/change-follower.js';
import type { SourceRunner, SyncSource } from '../../../../src/ports/source.js';
import { SyncScheduler } from '../../../../src/sync/scheduler.js';
import { createTestStore, type TestStore } from '../../../support/memory-store.js';

const log = pino({ level: 'silent' });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

let t: TestStore;
beforeEach(async () => {
  t = await createTestStore();
  await t.store.users.upsert({ id: 'alice', name: 'Alice', email: 'alice@example.com' });
  await t.store.users.upsert({ id: 'bob', name: 'Bob', email: 'bob@example.com' });
});
afterEach(async () => t.close());

async function waitFor(check: () => boolean, ms = 3000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await sleep(20);
  }
}

describe('calendar change follower', () => {
  it('asks for the owner’s caldav source on appointment and task changes, deletions included, and not for e-mail', async () => {
    const requests: string[] = [];
    const follower = new CalendarChangeFollower(t.store, log, 20);
    follower.start((id) => requests.push(id));
    await sleep(60); // the first poll only notes where the feed stands
    const task = await t.store.activities.create({ kind: 'task', owner: 'alice', subject: 'Call' });
    await waitFor(() => requests.includes('caldav:alice'));
    await t.store.activities.create({ kind: 'email_in', owner: 'bob', subject: 'Mail' });
    await sleep(100);
    expect(requests).not.toContain('caldav:bob');

    // A deletion has no data: the owner comes from the sync status of the tasks pair.
    await t.store.syncStatus.put({ pair: 'tasks:alice', identity: `crm-bridge-${task.id}`, crm: { ref: task.id, version: null, hash: null }, remote: { ref: null, version: null, hash: null }, origin: 'crm', tombstone: false, pending: null });
    requests.length = 0;
    await t.store.activities.delete(task.id);
    await waitFor(() => requests.includes('caldav:alice'));
    await follower.stop();
  });

  it('the scheduler runs a requested source soon, and ignores unknown ids', async () => {
    const source: SyncSource = { id: 'caldav:alice', kind: 'caldav', ownerId: 'alice', location: 'test' };
    let runs = 0;
    const runner: SourceRunner = { kind: 'caldav', runOnce: () => Promise.resolve((runs += 1, { changed: 0, itemErrors: 0 })) };
    let request: ((id: string) => void) | undefined;
    const trigger = { start: (fn: (id: string) => void) => void (request = fn), stop: () => Promise.resolve() };
    const scheduler = new SyncScheduler([source], new Map([['caldav', runner]]), t.store, log, { intervalMs: 3_600_000, debounceMs: 10, triggers: [trigger] });
    scheduler.start();
    await waitFor(() => runs === 1); // the start-up pass
    request!('caldav:alice');
    request!('caldav:nobody');
    await waitFor(() => runs === 2);
    await sleep(50);
    expect(runs).toBe(2);
    await scheduler.stop();
  });
});
