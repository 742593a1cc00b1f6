import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BridgeError } from '../../../src/domain/errors.js';
import type { SourceRunner, SyncSource } from '../../../src/sync/ports.js';
import { SyncScheduler } from '../../../src/sync/scheduler.js';
import { createTestStore, type TestStore } from '../../support/memory-store.js';

const log = pino({ level: 'silent' });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const source: SyncSource = { id: 'shared-mailbox:support', kind: 'shared-mailbox', ownerId: 'support', location: 'test' };

let t: TestStore;
beforeEach(async () => {
  t = await createTestStore();
});
afterEach(async () => t.close());

describe('sync scheduler', () => {
  it('never runs one source twice at once, and runs it once more when asked during a run', async () => {
    let running = 0;
    let maxRunning = 0;
    let runs = 0;
    const runner: SourceRunner = {
      kind: 'shared-mailbox',
      runOnce: async () => {
        running += 1;
        maxRunning = Math.max(maxRunning, running);
        runs += 1;
        await sleep(20);
        running -= 1;
        return { changed: 0, itemErrors: 0 };
      },
    };
    const scheduler = new SyncScheduler([source], new Map([['shared-mailbox', runner]]), t.store, log, { intervalMs: 60_000 });
    const first = scheduler.run(source);
    void scheduler.run(source);
    void scheduler.run(source);
    await first;
    expect(maxRunning).toBe(1);
    expect(runs).toBe(2);
    await scheduler.stop();
  });

  it('retries an unreachable source with backoff, but not one whose credentials were rejected', async () => {
    const calls: number[] = [];
    let code: 'TEMPORARY' | 'AUTH' = 'TEMPORARY';
    const runner: SourceRunner = {
      kind: 'shared-mailbox',
      runOnce: async () => {
        calls.push(Date.now());
        if (calls.length < 3) throw new BridgeError(code, 'server down');
        return { changed: 0, itemErrors: 0 };
      },
    };
    const scheduler = new SyncScheduler([source], new Map([['shared-mailbox', runner]]), t.store, log, { intervalMs: 60_000 });
    await scheduler.run(source);
    await sleep(4500);
    expect(calls).toHaveLength(3);
    expect(calls[2]! - calls[1]!).toBeGreaterThan(calls[1]! - calls[0]!);
    await scheduler.stop();

    calls.length = 0;
    code = 'AUTH';
    const strict = new SyncScheduler([source], new Map([['shared-mailbox', runner]]), t.store, log, { intervalMs: 60_000 });
    await strict.run(source);
    await sleep(1500);
    expect(calls).toHaveLength(1);
    expect((await t.store.syncErrors.recent(1))[0]).toMatchObject({ source: source.id, code: 'AUTH' });
    await strict.stop();
  }, 15_000);

  it('stop() aborts at the next boundary and waits for the run in flight', async () => {
    const events: string[] = [];
    const runner: SourceRunner = {
      kind: 'shared-mailbox',
      runOnce: async (_source, signal) => {
        events.push('start');
        while (!signal.aborted) await sleep(5);
        await sleep(20);
        events.push('finished page');
        return { changed: 0, itemErrors: 0 };
      },
    };
    const scheduler = new SyncScheduler([source], new Map([['shared-mailbox', runner]]), t.store, log, { intervalMs: 60_000 });
    scheduler.start();
    await sleep(20);
    await scheduler.stop();
    events.push('stopped');
    expect(events).toEqual(['start', 'finished page', 'stopped']);
  });
});
