import type { Config } from '../config/schema.js';

/** How long one pass of one source may take, and how many sources run at once (the `sync` keys). */
export interface SourceLimits {
  /** Sources synced at the same time (`sync.concurrency`). */
  concurrency: number;
  /** Overall time one pass of one source may take (`sync.sourceDeadlineSeconds`). */
  deadlineMs: number;
  /**
   * After the deadline: how long the run gets to reach its next checkpoint before its
   * connections are closed, and then how long it gets to unwind before the pass stops waiting for
   * it and frees its slot.
   */
  graceMs: number;
}

/** Long enough for a page in flight to finish (or a closed socket to unwind), short enough not to matter. */
export const DEFAULT_GRACE_MS = 5000;

export function sourceLimitsOf(config: Pick<Config, 'sync'>): SourceLimits {
  return { concurrency: config.sync.concurrency, deadlineMs: config.sync.sourceDeadlineSeconds * 1000, graceMs: DEFAULT_GRACE_MS };
}

/**
 * The two signals a source run gets. `stop`: finish what is in flight and stop at the next
 * checkpoint (shutdown, or the deadline). `abort`: the deadline and its grace time passed, close
 * the connections now (a server that drips a byte every few seconds never lets the command in
 * flight finish).
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
 * Runs `work` with an overall deadline. At `deadlineMs`, `stop` aborts with `reason()`: an honest
 * pass finishes the page in flight, checkpoints and returns (so a long first import goes on at the
 * next pass instead of losing its last page every time). A run still going `graceMs` later is
 * stuck in a command: `abort` closes its connections, and the caller gets the outcome at most
 * another `graceMs` later, whatever `work` does. A stop of `outer` (shutdown) only reaches `stop`.
 */
export async function runWithDeadline<T>(
  work: (signals: RunSignals) => Promise<T>,
  outer: AbortSignal,
  limits: Pick<SourceLimits, 'deadlineMs' | 'graceMs'>,
  reason: () => Error,
  /** A shutdown that can wait no longer: closes the connections like the deadline does. */
  outerAbort?: AbortSignal,
): Promise<DeadlineOutcome<T>> {
  const deadline = new AbortController();
  const onOuterHardAbort = () => deadline.abort(outerAbort?.reason);
  if (outerAbort?.aborted) onOuterHardAbort();
  else outerAbort?.addEventListener('abort', onOuterHardAbort, { once: true });
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
      stop.abort(reason());
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
  void ended.finally(() => outerAbort?.removeEventListener('abort', onOuterHardAbort));
  if (first !== 'expired') return first;
  const why = stop.signal.reason as Error;
  let wound = await within(ended, limits.graceMs);
  if (wound === undefined) {
    deadline.abort(why);
    wound = await within(ended, limits.graceMs);
  }
  return { kind: 'deadline', reason: why, ended: wound, settled: ended.then(() => undefined) };
}

/** `promise`'s value if it settles within `ms`, else undefined. */
async function within<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const value = await Promise.race([promise, new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), ms)))]);
  clearTimeout(timer);
  return value;
}
