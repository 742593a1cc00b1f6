import type { Logger } from 'pino';
import { BridgeError, isBridgeError } from '../domain/errors.js';
import type { Store } from '../store/store.js';
import { ConcurrencyLimit } from '../domain/concurrency-limit.js';
import type { SourceKind, SourceResult, SourceRunner, SyncSource } from '../ports/source.js';
import { DEFAULT_GRACE_MS, runWithDeadline, type SourceLimits } from './source-deadline.js';
import { errorLogFields } from '../domain/log-fields.js';

export interface PassSummary {
  results: SourceResult[];
  /** True when every source was reached (per-item errors do not count). */
  ok: boolean;
}

/** The configuration's defaults (src/config/schema.ts `sync`), for callers that pass no limits. */
export const DEFAULT_SOURCE_LIMITS: SourceLimits = { concurrency: 4, deadlineMs: 900_000, graceMs: DEFAULT_GRACE_MS };

export interface RunSourceOptions {
  limits?: Pick<SourceLimits, 'deadlineMs' | 'graceMs'>;
  /** Called when a run outlived its deadline and its grace time: `settled` resolves when it has really ended. */
  onLingering?: (settled: Promise<void>) => void;
  /** A shutdown that can wait no longer (the scheduler's stop() after the grace time): closes the run's connections. */
  abort?: AbortSignal;
}

/** The TEMPORARY error of a source whose pass took longer than `sync.sourceDeadlineSeconds`. */
export function deadlineError(source: SyncSource, deadlineMs: number): BridgeError {
  return new BridgeError(
    'TEMPORARY',
    `${source.id}: the sync pass did not finish within ${deadlineMs / 1000} s (sync.sourceDeadlineSeconds); the server at ${source.location} is too slow or stalled. The connection was closed; what was done is kept and the next pass goes on from there`,
  );
}

/**
 * One source, once, within its deadline. A source that fails (unreachable, wrong password,
 * dropped connection, too slow) is recorded in sync_errors and reported; it never throws, so the
 * caller goes on with the next.
 */
export async function runSource(source: SyncSource, runners: ReadonlyMap<SourceKind, SourceRunner>, store: Store, log: Logger, signal: AbortSignal, options: RunSourceOptions = {}): Promise<SourceResult> {
  const runner = runners.get(source.kind);
  if (!runner) return { source: source.id, reached: true, changed: 0, itemErrors: 0, skipped: `no ${source.kind} sync is implemented yet` };
  const limits = options.limits ?? DEFAULT_SOURCE_LIMITS;
  const started = new Date().toISOString();
  const outcome = await runWithDeadline((signals) => runner.runOnce(source, signals.stop, signals.abort), signal, limits, () => deadlineError(source, limits.deadlineMs), options.abort);
  if (outcome.kind === 'done') {
    // Reached: whatever kept the source from syncing before is over (it stays as history).
    await store.syncErrors.resolveSource(source.id, started);
    return { source: source.id, reached: true, ...outcome.value };
  }
  const failure = outcome.kind === 'failed' ? outcome.error : outcome.reason;
  const code = isBridgeError(failure) ? failure.code : 'INTERNAL';
  const message = failure instanceof Error ? failure.message : String(failure);
  await store.syncErrors.record(source.id, null, code, message);
  log.error({ source: source.id, code, ...errorLogFields(failure) }, outcome.kind === 'deadline' ? 'source hit its pass deadline' : 'source failed');
  // Work a deadline-stopped pass finished before it stopped still counts (its checkpoints are kept).
  const done = outcome.kind === 'deadline' && outcome.ended?.kind === 'done' ? outcome.ended.value : undefined;
  if (outcome.kind === 'deadline' && outcome.ended === undefined) {
    log.warn({ source: source.id, graceMs: limits.graceMs }, 'source run still winding down after its deadline; its next run waits for it');
    options.onLingering?.(outcome.settled);
  }
  return { source: source.id, reached: false, changed: done?.changed ?? 0, itemErrors: done?.itemErrors ?? 0, error: { code, message } };
}

/**
 * One pass over every source, `limits.concurrency` at a time, each within its own deadline: a
 * source stuck on a slow server holds up only its own slot. Results keep the sources' order.
 */
export async function runSyncPass(sources: readonly SyncSource[], runners: ReadonlyMap<SourceKind, SourceRunner>, store: Store, log: Logger, signal: AbortSignal, limits: SourceLimits = DEFAULT_SOURCE_LIMITS): Promise<PassSummary> {
  const pool = new ConcurrencyLimit(limits.concurrency);
  const lingering: Array<Promise<void>> = [];
  const results = await Promise.all(
    sources.map((source) =>
      pool.run(async () => (signal.aborted ? undefined : runSource(source, runners, store, log, signal, { limits, onLingering: (settled) => lingering.push(settled) }))),
    ),
  );
  // A run that outlived its grace time gets one more grace period before the pass returns (and
  // the caller closes the database under it).
  if (lingering.length > 0) await Promise.race([Promise.allSettled(lingering), new Promise((resolve) => setTimeout(resolve, limits.graceMs).unref())]);
  const ran = results.filter((result): result is SourceResult => result !== undefined);
  return { results: ran, ok: ran.every((result) => result.reached) };
}

export function formatSummary(summary: PassSummary): string[] {
  if (summary.results.length === 0) return ['no sources configured: nothing to sync (add users[].imap/caldav/carddav or sharedMailboxes[])'];
  const lines = summary.results.map((result) => {
    if (result.error) return `${result.source}: FAILED ${result.error.code}: ${result.error.message}`;
    if (result.skipped) return `${result.source}: skipped (${result.skipped})`;
    return `${result.source}: ok, ${result.changed} changed, ${result.itemErrors} item error(s)`;
  });
  const failed = summary.results.filter((result) => !result.reached).length;
  const itemErrors = summary.results.reduce((sum, result) => sum + result.itemErrors, 0);
  lines.push(`sync pass: ${summary.results.length} source(s), ${failed} failed, ${itemErrors} item error(s)`);
  return lines;
}
