// With claims (several processes on one PostgreSQL, issue 14) the scheduler runs only the sources
// this process holds; a source it gives back first finishes its run in flight and stops there;
// the claims are released only after every run stopped.
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ClaimHooks, SourceClaims } from '../../../src/ports/source-claims.js';
import type { SourceRunner, SyncSource } from '../../../src/ports/source.js';
import { SyncScheduler } from '../../../src/sync/scheduler.js';
import { createTestStore, type TestStore } from '../../support/memory-store.js';

const log = pino({ level: 'silent' });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const mailbox = (id: string): SyncSource => ({ id: `shared-mailbox:${id}`, kind: 'shared-mailbox', ownerId: id, location: 'test' });
const sources = [mailbox('a'), mailbox('b')];

let t: TestStore;
beforeEach(async () => {
  t = await createTestStore();
});
afterEach(async () => t.close());

class FakeClaims implements SourceClaims {
  hooks: ClaimHooks | undefined;
  ids: readonly string[] = [];
  stoppedAt: number | undefined;
  start(ids: readonly string[], hooks: ClaimHooks): void {
    this.ids = ids;
    this.hooks = hooks;
  }
  stop(): Promise<void> {
    this.stoppedAt = Date.now();
    return Promise.resolve();
  }
}

describe('sync scheduler with claims', () => {
  it('runs only claimed sources, gives one back after its run in flight, and releases the claims last', async () => {
    const runs: string[] = [];
    let finishedAt = 0;
    const runner: SourceRunner = {
      kind: 'shared-mailbox',
      runOnce: async (source) => {
        runs.push(source.id);
        await sleep(100);
        finishedAt = Date.now();
        return { changed: 0, itemErrors: 0 };
      },
    };
    const claims = new FakeClaims();
    const scheduler = new SyncScheduler(sources, new Map([['shared-mailbox', runner]]), t.store, log, { intervalMs: 60_000, debounceMs: 5, claims });
    scheduler.start();
    await sleep(30);
    expect(runs).toEqual([]); // the start-up tick runs nothing unclaimed
    expect(claims.ids).toEqual(['shared-mailbox:a', 'shared-mailbox:b']);

    claims.hooks!.acquired('shared-mailbox:a');
    await sleep(20);
    expect(runs).toEqual(['shared-mailbox:a']);
    expect((await scheduler.run(sources[1]!)).skipped).toBe('another bridge process syncs it');
    scheduler.request('shared-mailbox:b');
    await sleep(30);
    expect(runs).toEqual(['shared-mailbox:a']);

    // Given back during its run: the promise resolves only when the run ended; no run after it.
    scheduler.request('shared-mailbox:a');
    await claims.hooks!.release('shared-mailbox:a');
    expect(Date.now()).toBeGreaterThanOrEqual(finishedAt);
    expect(finishedAt).toBeGreaterThan(0);
    await sleep(60);
    expect(runs).toEqual(['shared-mailbox:a']);
    expect(scheduler.owns('shared-mailbox:a')).toBe(false);

    claims.hooks!.acquired('shared-mailbox:b');
    await sleep(20);
    await scheduler.stop();
    expect(runs).toEqual(['shared-mailbox:a', 'shared-mailbox:b']);
    expect(claims.stoppedAt).toBeGreaterThanOrEqual(finishedAt);
  });
});
