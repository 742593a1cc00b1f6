// The pass over many sources with fake runners: bounded concurrency, a deadline per source, and
// a stalled source that never delays the others (issue #12, defect 5).
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { configSchema } from '../../../src/config/schema.js';
import { BridgeError } from '../../../src/domain/errors.js';
import type { SourceKind, SourceRunner, SyncSource } from '../../../src/ports/source.js';
import { DEFAULT_SOURCE_LIMITS, runSource, runSyncPass } from '../../../src/sync/run-once.js';
import { sourceLimitsOf, type SourceLimits } from '../../../src/sync/source-deadline.js';
import { createTestStore, type TestStore } from '../../support/memory-store.js';

const log = pino({ level: 'silent' });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const source = (id: string, kind: SourceKind = 'imap'): SyncSource => ({ id, kind, ownerId: id.split(':')[1]!, location: `${id}.example:143` });
const limits: SourceLimits = { concurrency: 4, deadlineMs: 300, graceMs: 200 };

/** A runner per source id; the map routes by id through one kind. */
function runnersOf(byId: Record<string, SourceRunner['runOnce']>): Map<SourceKind, SourceRunner> {
  return new Map([['imap', { kind: 'imap', runOnce: (s, signal, abort) => byId[s.id]!(s, signal, abort) }]]);
}

/** Never ends on its own and ignores both signals: a library call that hangs for good. */
const hangsForever: SourceRunner['runOnce'] = () => new Promise(() => undefined);
/** Hangs until the connection is closed (the abort signal), like a session on a dripping server. */
const hangsUntilAborted: SourceRunner['runOnce'] = (_s, _signal, abort) =>
  new Promise((_resolve, reject) => abort!.addEventListener('abort', () => reject(new Error('connection closed')), { once: true }));
const quick: SourceRunner['runOnce'] = async () => {
  await sleep(5);
  return { changed: 1, itemErrors: 0 };
};

let t: TestStore;
beforeEach(async () => {
  t = await createTestStore();
});
afterEach(async () => t.close());

describe('runSyncPass', () => {
  it('finishes the good sources while a stalled one is still hanging, then fails it TEMPORARY at its deadline', async () => {
    const finished: Record<string, number> = {};
    const timed = (id: string, run: SourceRunner['runOnce']): SourceRunner['runOnce'] => async (...args) => {
      try {
        return await run(...args);
      } finally {
        finished[id] = Date.now();
      }
    };
    const started = Date.now();
    const summary = await runSyncPass(
      [source('imap:slow'), source('imap:good'), source('imap:also-good')],
      runnersOf({ 'imap:slow': timed('imap:slow', hangsUntilAborted), 'imap:good': timed('imap:good', quick), 'imap:also-good': timed('imap:also-good', quick) }),
      t.store,
      log,
      new AbortController().signal,
      limits,
    );
    expect(summary.ok).toBe(false);
    expect(summary.results.map((r) => r.source)).toEqual(['imap:slow', 'imap:good', 'imap:also-good']);
    expect(summary.results[1]).toMatchObject({ reached: true, changed: 1 });
    expect(summary.results[2]).toMatchObject({ reached: true, changed: 1 });
    const slow = summary.results[0]!;
    expect(slow).toMatchObject({ reached: false, error: { code: 'TEMPORARY' } });
    expect(slow.error!.message).toContain('imap:slow: the sync pass did not finish within 0.3 s (sync.sourceDeadlineSeconds)');
    expect(slow.error!.message).toContain('imap:slow.example:143');
    // The good ones did not wait for the slow one; the slow one was cut at its deadline.
    expect(finished['imap:good']!).toBeLessThan(finished['imap:slow']!);
    expect(finished['imap:slow']! - started).toBeGreaterThanOrEqual(limits.deadlineMs - 5);
    expect((await t.store.syncErrors.recent(10, 'imap:slow'))[0]).toMatchObject({ code: 'TEMPORARY' });
  });

  it('runs at most `concurrency` sources at once', async () => {
    let running = 0;
    let most = 0;
    const counted: SourceRunner['runOnce'] = async () => {
      running += 1;
      most = Math.max(most, running);
      await sleep(20);
      running -= 1;
      return { changed: 0, itemErrors: 0 };
    };
    const ids = ['imap:a', 'imap:b', 'imap:c', 'imap:d', 'imap:e'];
    const summary = await runSyncPass(ids.map((id) => source(id)), runnersOf(Object.fromEntries(ids.map((id) => [id, counted]))), t.store, log, new AbortController().signal, { ...limits, concurrency: 2 });
    expect(summary.ok).toBe(true);
    expect(summary.results).toHaveLength(5);
    expect(most).toBe(2);
  });

  it('returns even when a run ignores every signal (after the grace time), and frees its slot', async () => {
    const started = Date.now();
    const summary = await runSyncPass([source('imap:stuck'), source('imap:next')], runnersOf({ 'imap:stuck': hangsForever, 'imap:next': quick }), t.store, log, new AbortController().signal, { ...limits, concurrency: 1 });
    expect(summary.results[0]).toMatchObject({ reached: false, error: { code: 'TEMPORARY' } });
    expect(summary.results[1]).toMatchObject({ reached: true, changed: 1 });
    // deadline + grace for the stuck one, then (one slot) the next; generous upper bound.
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('starts no queued source once the pass was stopped', async () => {
    const controller = new AbortController();
    let ran = 0;
    const stopsThePass: SourceRunner['runOnce'] = async () => {
      ran += 1;
      controller.abort();
      return { changed: 0, itemErrors: 0 };
    };
    const summary = await runSyncPass([source('imap:a'), source('imap:b')], runnersOf({ 'imap:a': stopsThePass, 'imap:b': stopsThePass }), t.store, log, controller.signal, { ...limits, concurrency: 1 });
    expect(ran).toBe(1);
    expect(summary.results.map((r) => r.source)).toEqual(['imap:a']);
  });

  it('uses the configuration defaults when no limits are given', () => {
    expect(sourceLimitsOf(configSchema.parse({}))).toEqual(DEFAULT_SOURCE_LIMITS);
  });
});

describe('runSource with a deadline', () => {
  it('stops at the next checkpoint at the deadline; the work done counts but the source is TEMPORARY', async () => {
    const pages: SourceRunner['runOnce'] = async (_s, signal) => {
      let changed = 0;
      while (!signal.aborted) {
        await sleep(20);
        changed += 1;
      }
      return { changed, itemErrors: 0 };
    };
    const result = await runSource(source('imap:big'), runnersOf({ 'imap:big': pages }), t.store, log, new AbortController().signal, { limits });
    expect(result.reached).toBe(false);
    expect(result.error?.code).toBe('TEMPORARY');
    expect(result.changed).toBeGreaterThan(3);
  });

  it('aborts the connections at the deadline but a shutdown only asks for a stop at the next checkpoint', async () => {
    const seen: string[] = [];
    const observe: SourceRunner['runOnce'] = async (_s, signal, abort) => {
      signal.addEventListener('abort', () => seen.push('stop'));
      abort!.addEventListener('abort', () => seen.push('abort'));
      await sleep(50);
      return { changed: 0, itemErrors: 0 };
    };
    const shutdown = new AbortController();
    const running = runSource(source('imap:a'), runnersOf({ 'imap:a': observe }), t.store, log, shutdown.signal, { limits });
    await sleep(10);
    shutdown.abort();
    expect(await running).toMatchObject({ reached: true });
    expect(seen).toEqual(['stop']);

    // At the deadline a run first gets the grace time to reach its checkpoint: the connections stay open.
    seen.length = 0;
    const late = await runSource(source('imap:a'), runnersOf({ 'imap:a': observe }), t.store, log, new AbortController().signal, { limits: { deadlineMs: 10, graceMs: 200 } });
    expect(late).toMatchObject({ reached: false, error: { code: 'TEMPORARY' } });
    expect(seen).toEqual(['stop']);

    // A run that does not stop within the grace time (stuck in a command) has its connections closed.
    let lingered = false;
    const stuck = await runSource(source('imap:a'), runnersOf({ 'imap:a': hangsUntilAborted }), t.store, log, new AbortController().signal, {
      limits: { deadlineMs: 10, graceMs: 50 },
      onLingering: () => (lingered = true),
    });
    expect(stuck).toMatchObject({ reached: false, error: { code: 'TEMPORARY' } });
    // Closing the connections ended it: nothing is left running.
    expect(lingered).toBe(false);
    expect(stuck.error!.message).toContain('sync.sourceDeadlineSeconds');
  });

  it('reports a run that outlived its grace time, so the next one can wait for it', async () => {
    let lingering: Promise<void> | undefined;
    let release: () => void = () => undefined;
    const stuck: SourceRunner['runOnce'] = () => new Promise((resolve) => (release = () => resolve({ changed: 0, itemErrors: 0 })));
    const result = await runSource(source('imap:a'), runnersOf({ 'imap:a': stuck }), t.store, log, new AbortController().signal, {
      limits: { deadlineMs: 10, graceMs: 10 },
      onLingering: (settled) => (lingering = settled),
    });
    expect(result.error?.code).toBe('TEMPORARY');
    expect(lingering).toBeDefined();
    let settled = false;
    void lingering!.then(() => (settled = true));
    await sleep(10);
    expect(settled).toBe(false);
    release();
    await lingering;
    expect(settled).toBe(true);
  });
});

describe('runSource and the error rows (issue 16)', () => {
  it('records a source failing on every pass as one row with its count, and resolves it when the source syncs again', async () => {
    let failing = true;
    const runners = runnersOf({ 'imap:alice': async () => {
      if (failing) throw new BridgeError('AUTH', 'IMAP login rejected');
      return { changed: 0, itemErrors: 0 };
    } });
    for (let pass = 0; pass < 3; pass++) expect(await runSource(source('imap:alice'), runners, t.store, log, new AbortController().signal, { limits })).toMatchObject({ reached: false, error: { code: 'AUTH' } });
    expect(await t.store.syncErrors.list(10)).toEqual([expect.objectContaining({ source: 'imap:alice', itemRef: null, code: 'AUTH', count: 3, resolvedAt: null })]);
    failing = false;
    await sleep(2);
    expect(await runSource(source('imap:alice'), runners, t.store, log, new AbortController().signal, { limits })).toMatchObject({ reached: true });
    expect(await t.store.syncErrors.list(10)).toEqual([]);
    expect(await t.store.syncErrors.list(10, { state: 'resolved' })).toEqual([expect.objectContaining({ code: 'AUTH', count: 3 })]);
  });
});
