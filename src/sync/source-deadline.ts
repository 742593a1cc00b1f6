import type { Config } from '../config/schema.js';

/** How long one pass of one source may take, and how many sources run at once (the `sync` keys). */
export interface SourceLimits {
  /** Sources synced at the same time (`sync.concurrency`). */
  concurrency: number;
  /** Overall time one pass of one source may take (`sync.sourceDeadlineSeconds`). */
  deadlineMs: number;
  /**
   * After the deadline: how long the run gets to wind down (its connections are closed at once,
   * so this is only a safety net) before the pass stops waiting for it and frees its slot.
   */
  graceMs: number;
}

/** Long enough for an aborted run to unwind (closed sockets reject at once), short enough not to hold up the pass. */
export const DEFAULT_GRACE_MS = 5000;

export function sourceLimitsOf(config: Pick<Config, 'sync'>): SourceLimits {
  return { concurrency: config.sync.concurrency, deadlineMs: config.sync.sourceDeadlineSeconds * 1000, graceMs: DEFAULT_GRACE_MS };
}

/**
 * The two signals a source run gets. `stop`: finish what is in flight and stop at the next
 * checkpoint (shutdown, or the deadline). `abort`: the deadline passed, close the connections now
 * (a server that drips a byte every few seconds never lets the command in flight finish).
 */
export interface RunSignals {
  stop: AbortSignal;
  abort: AbortSignal;
}

export type DeadlineOutcome<T> =
  | { kind: 'done'; value: T }
  | { kind: 'failed'; error: unknown }
  /**
   * The deadline passed first. `ended` is how the run ended within the grace time (a pass stopped
   * at a checkpoint ends 'done' with what it did), or undefined when it still runs; `settled`
   * resolves when it really ends, so the caller never starts a second run of the same source
   * beside it.
   */
  | { kind: 'deadline'; reason: Error; ended: { kind: 'done'; value: T } | { kind: 'failed'; error: unknown } | undefined; settled: Promise<void> };

/**
 * Runs `work` with an overall deadline: at `deadlineMs` both signals abort with `reason()`, and
 * the caller gets the outcome at most `graceMs` later, whatever `work` does. A stop of `outer`
 * (shutdown) only reaches `stop`: the page in flight is finished first.
 */
export async function runWithDeadline<T>(work: (signals: RunSignals) => Promise<T>, outer: AbortSignal, limits: Pick<SourceLimits, 'deadlineMs' | 'graceMs'>, reason: () => Error): Promise<DeadlineOutcome<T>> {
  const deadline = new AbortController();
  // Linked by hand, not with AbortSignal.any(): on Node 20 a composite signal holds its sources
  // only weakly, and one whose source was collected never fires.
  const stop = new AbortController();
  const onOuterAbort = () => stop.abort(outer.reason);
  if (outer.aborted) onOuterAbort();
  else outer.addEventListener('abort', onOuterAbort, { once: true });
  const signals: RunSignals = { stop: stop.signal, abort: deadline.signal };
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<'expired'>((resolve) => {
    timer = setTimeout(() => {
      const error = reason();
      deadline.abort(error);
      stop.abort(error);
      resolve('expired');
    }, limits.deadlineMs);
  });
  const ended = Promise.resolve()
    .then(() => work(signals))
    .then(
      (value) => ({ kind: 'done' as const, value }),
      (error: unknown) => ({ kind: 'failed' as const, error }),
    );
  const first = await Promise.race([ended, expired]);
  clearTimeout(timer);
  outer.removeEventListener('abort', onOuterAbort);
  if (first !== 'expired') return first;
  let graceTimer: NodeJS.Timeout | undefined;
  const wound = await Promise.race([
    ended,
    new Promise<undefined>((resolve) => {
      graceTimer = setTimeout(() => resolve(undefined), limits.graceMs);
    }),
  ]);
  clearTimeout(graceTimer);
  return { kind: 'deadline', reason: deadline.signal.reason as Error, ended: wound, settled: ended.then(() => undefined) };
}
