import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BridgeError } from '../../../src/domain/errors.js';
import type { SourceRunner, SyncSource } from '../../../src/ports/source.js';
import { SyncScheduler } from '../../../src/sync/scheduler.js';
import { SourceStates } from '../../../src/sync/source-states.js';
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
  it('passes over calendars and address books every davPollMs, mail at the interval, and leaves a failing source to its backoff', async () => {
    const runs = new Map<string, number>();
    const counting = (kind: SourceRunner['kind'], fails = false): SourceRunner => ({
      kind,
      runOnce: async (s) => {
        runs.set(s.id, (runs.get(s.id) ?? 0) + 1);
        if (fails) throw new BridgeError('AUTH', 'login rejected');
        return { changed: 0, itemErrors: 0 };
      },
    });
    const sources: SyncSource[] = [
      { id: 'caldav:alice', kind: 'caldav', ownerId: 'alice', location: 'test' },
      { id: 'imap:alice', kind: 'imap', ownerId: 'alice', location: 'test' },
      { id: 'carddav:bob', kind: 'carddav', ownerId: 'bob', location: 'test' },
    ];
    const runners = new Map<SourceRunner['kind'], SourceRunner>([['caldav', counting('caldav')], ['imap', counting('imap')], ['carddav', counting('carddav', true)]]);
    const scheduler = new SyncScheduler(sources, runners, t.store, log, { intervalMs: 60_000, davPollMs: 40 });
    scheduler.start();
    await sleep(450);
    await scheduler.stop();
    expect(runs.get('caldav:alice')).toBeGreaterThanOrEqual(5);
    expect(runs.get('imap:alice')).toBe(1);
    // Refused once: no poll every 40 ms against a server that refuses the login.
    expect(runs.get('carddav:bob')).toBe(1);
  });

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

  it('keeps syncing the other sources while one hangs on a stalled server, and fails that one at its deadline', async () => {
    const slow: SyncSource = { id: 'imap:slow', kind: 'imap', ownerId: 'slow', location: 'slow.example:143' };
    const good: SyncSource = { id: 'imap:good', kind: 'imap', ownerId: 'good', location: 'good.example:143' };
    let goodRuns = 0;
    let slowRuns = 0;
    const runner: SourceRunner = {
      kind: 'imap',
      runOnce: async (s, _signal, abort) => {
        if (s.id === 'imap:good') {
          goodRuns += 1;
          return { changed: 0, itemErrors: 0 };
        }
        slowRuns += 1;
        // A session on a dripping server: only closing the connection ends it.
        return new Promise((_resolve, reject) => abort!.addEventListener('abort', () => reject(new BridgeError('TEMPORARY', 'connection closed')), { once: true }));
      },
    };
    const states = new SourceStates();
    const scheduler = new SyncScheduler([slow, good], new Map([['imap', runner]]), t.store, log, { intervalMs: 50, states, limits: { concurrency: 2, deadlineMs: 1500, graceMs: 200 } });
    scheduler.start();
    await sleep(1000);
    // The interval tick did not wait for the hanging source: the good one ran again and again.
    expect(goodRuns).toBeGreaterThan(3);
    expect(slowRuns).toBe(1);
    expect(states.get('imap:slow')?.state).toBe('syncing');
    // Failed at its deadline (then it backs off like any failure and is retried).
    for (let i = 0; i < 100 && !states.get('imap:slow')?.error; i += 1) await sleep(50);
    expect(states.get('imap:slow')).toMatchObject({ error: { code: 'TEMPORARY' } });
    expect(states.get('imap:slow')?.error?.message).toContain('sync.sourceDeadlineSeconds');
    await scheduler.stop();
  }, 10_000);

  it('runs at most `concurrency` sources at once, and a run that outlived its deadline is waited for before its next run', async () => {
    const sources: SyncSource[] = ['a', 'b', 'c'].map((id) => ({ id: `imap:${id}`, kind: 'imap', ownerId: id, location: `${id}.example` }));
    let running = 0;
    let most = 0;
    const perSource = new Map<string, number>();
    let mostPerSource = 0;
    const release: Array<() => void> = [];
    const runner: SourceRunner = {
      kind: 'imap',
      runOnce: async (s) => {
        running += 1;
        most = Math.max(most, running);
        perSource.set(s.id, (perSource.get(s.id) ?? 0) + 1);
        mostPerSource = Math.max(mostPerSource, perSource.get(s.id)!);
        // imap:a ignores every signal until released; the others are quick.
        if (s.id === 'imap:a') await new Promise<void>((resolve) => release.push(resolve));
        else await sleep(20);
        perSource.set(s.id, perSource.get(s.id)! - 1);
        running -= 1;
        return { changed: 0, itemErrors: 0 };
      },
    };
    const scheduler = new SyncScheduler(sources, new Map([['imap', runner]]), t.store, log, { intervalMs: 60_000, limits: { concurrency: 2, deadlineMs: 100, graceMs: 50 } });
    const results = await scheduler.runAll();
    expect(results.map((r) => [r.source, r.reached])).toEqual([['imap:a', false], ['imap:b', true], ['imap:c', true]]);
    expect(most).toBe(2);
    // imap:a still hangs; asking for it again must not start a second run beside the first.
    const again = scheduler.run(sources[0]!);
    await sleep(100);
    expect(mostPerSource).toBe(1);
    release.shift()!();
    await sleep(20);
    release.shift()?.();
    await again;
    expect(mostPerSource).toBe(1);
    await scheduler.stop();
  }, 10_000);

  it('stop() closes the connections of a run stuck in a command after the grace time, instead of waiting for the server', async () => {
    const events: string[] = [];
    const runner: SourceRunner = {
      kind: 'shared-mailbox',
      runOnce: (_source, signal, abort) =>
        new Promise((_resolve, reject) => {
          signal.addEventListener('abort', () => events.push('asked to stop'));
          abort!.addEventListener('abort', () => {
            events.push('connection closed');
            reject(new BridgeError('TEMPORARY', 'connection closed'));
          });
        }),
    };
    const scheduler = new SyncScheduler([source], new Map([['shared-mailbox', runner]]), t.store, log, { intervalMs: 60_000, limits: { concurrency: 1, deadlineMs: 60_000, graceMs: 100 } });
    scheduler.start();
    await sleep(20);
    const started = Date.now();
    await scheduler.stop();
    expect(events).toEqual(['asked to stop', 'connection closed']);
    expect(Date.now() - started).toBeLessThan(5000);
  });
});

