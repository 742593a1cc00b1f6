import type { Logger } from 'pino';
import { backoffSeconds } from '../domain/backoff.js';
import { BridgeError } from '../domain/errors.js';
import type { Metrics } from '../metrics.js';
import type { Store } from '../store/store.js';
import type { FolderWatcher, MailboxWatcherFactory, MailServerSettings } from '../ports/mail.js';
import type { SourceKind, SourceResult, SourceRunner, SyncSource } from '../ports/source.js';
import type { SourceClaims } from '../ports/source-claims.js';
import { ConcurrencyLimit } from '../domain/concurrency-limit.js';
import { DEFAULT_SOURCE_LIMITS, runSource } from './run-once.js';
import type { SourceLimits } from './source-deadline.js';
import type { SourceStates } from './source-states.js';
import { errorLogFields } from '../domain/log-fields.js';

export interface SchedulerOptions {
  intervalMs: number;
  /** Push connections for mail sources; undefined disables IDLE (polling only). */
  watchers?: { factory: MailboxWatcherFactory; settingsOf: (source: SyncSource) => MailServerSettings | undefined };
  /** Wait this long after a push notification before syncing, to coalesce bursts. */
  debounceMs?: number;
  /** Other reasons to run a source soon (e.g. CRM changes for a calendar); started and stopped with the scheduler. */
  triggers?: SyncTrigger[];
  /** Where the admin UI reads each source's state (syncing, idle, error, auth failed). */
  states?: SourceStates;
  /** Sources at once and each pass's deadline (`sync.concurrency`, `sync.sourceDeadlineSeconds`). */
  limits?: SourceLimits;
  /** Several processes on one database: only the sources claimed here run here (undefined: all). */
  claims?: SourceClaims;
  /**
   * Calendars and address books have no IDLE: their sources are passed over this often
   * (`sync.davPollSeconds`), so a client's edit arrives within it. A quiet pass is one
   * sync-collection (or getctag) request per collection. A source whose last pass failed is left
   * to its backoff and the interval: polling a refused login every few seconds could lock the account.
   */
  davPollMs?: number;
}

/** The sources the DAV poll passes over. */
const polledKinds: ReadonlySet<string> = new Set(['caldav', 'carddav']);

/** Something that asks for a source to run soon, by source id (`caldav:alice`). */
export interface SyncTrigger {
  start(request: (sourceId: string) => void): void;
  stop(): Promise<void>;
}

/**
 * Runs every source every `intervalMs` under `serve`, and a single source at once when its IDLE
 * connection reports a change. At most `limits.concurrency` runs at once, each within its pass
 * deadline: a source stuck on a slow server holds one slot until its deadline and delays nobody
 * else (the interval tick does not wait for it either). Runs of one source never overlap: a
 * request during a run makes the source run once more afterwards. stop() lets the runs in flight
 * finish, then closes the watchers.
 */
export class SyncScheduler {
  private readonly running = new Map<string, Promise<SourceResult>>();
  private readonly again = new Set<string>();
  private readonly watchers = new Map<string, { paths: string; watchers: FolderWatcher[] }>();
  private readonly debounce = new Map<string, NodeJS.Timeout>();
  /** Consecutive failed runs per source, for the retry backoff. */
  private readonly failures = new Map<string, number>();
  private readonly controller = new AbortController();
  /** stop() could not wait any longer: closes the connections of the runs still in flight. */
  private readonly hardStop = new AbortController();
  private readonly limits: SourceLimits;
  private readonly pool: ConcurrencyLimit;
  /** Runs that outlived their deadline and grace time: the source's next run waits for them. */
  private readonly lingering = new Map<string, Promise<void>>();
  private timer: NodeJS.Timeout | undefined;
  private pollTimer: NodeJS.Timeout | undefined;
  private stopped = false;
  /** With claims: the sources this process holds (the others are synced by other processes). */
  private readonly owned = new Set<string>();

  constructor(
    private readonly sources: readonly SyncSource[],
    private readonly runners: ReadonlyMap<SourceKind, SourceRunner>,
    private readonly store: Store,
    private readonly log: Logger,
    private readonly options: SchedulerOptions,
    private readonly metrics?: Metrics,
  ) {
    this.limits = options.limits ?? DEFAULT_SOURCE_LIMITS;
    this.pool = new ConcurrencyLimit(this.limits.concurrency);
  }

  start(): void {
    const tick = () => {
      if (this.stopped) return;
      // Every source that is not running already; one still in flight (a slow server, up to its
      // deadline) is left alone instead of holding the others' next tick back.
      for (const source of this.sources) if (!this.running.has(source.id) && this.owns(source.id)) void this.run(source);
      this.timer = setTimeout(tick, this.options.intervalMs);
      this.timer.unref();
    };
    tick();
    const pollMs = this.options.davPollMs;
    if (pollMs !== undefined && pollMs < this.options.intervalMs) {
      const poll = () => {
        if (this.stopped) return;
        for (const source of this.sources) {
          if (polledKinds.has(source.kind) && !this.running.has(source.id) && !this.failures.has(source.id) && this.owns(source.id)) void this.run(source);
        }
        this.pollTimer = setTimeout(poll, pollMs);
        this.pollTimer.unref();
      };
      this.pollTimer = setTimeout(poll, pollMs);
      this.pollTimer.unref();
    }
    this.options.claims?.start(
      this.sources.map((source) => source.id),
      {
        acquired: (id) => {
          this.owned.add(id);
          const source = this.source(id);
          if (source && !this.stopped) void this.run(source);
        },
        release: (id) => this.giveBack(id),
        lost: (ids) => {
          for (const id of ids) void this.giveBack(id);
        },
      },
    );
    for (const trigger of this.options.triggers ?? []) trigger.start((sourceId) => this.request(sourceId));
  }

  /** Run a source soon (debounced), e.g. because the CRM changed something it syncs. Unknown ids are ignored. */
  request(sourceId: string): void {
    const source = this.sources.find((entry) => entry.id === sourceId);
    if (source) this.poke(source);
  }

  /** Every source once (through the concurrency limit); resolves when all have finished. */
  async runAll(): Promise<SourceResult[]> {
    return Promise.all(this.sources.map((source) => this.run(source)));
  }

  /** Whether this process syncs the source (always, without claims). */
  owns(sourceId: string): boolean {
    return this.options.claims === undefined || this.owned.has(sourceId);
  }

  /** The source goes to another process: no new run, watchers closed, the run in flight finished. */
  private async giveBack(sourceId: string): Promise<void> {
    this.owned.delete(sourceId);
    clearTimeout(this.debounce.get(sourceId));
    this.debounce.delete(sourceId);
    this.again.delete(sourceId);
    const current = this.watchers.get(sourceId);
    this.watchers.delete(sourceId);
    await Promise.allSettled([this.running.get(sourceId), this.lingering.get(sourceId), ...(current?.watchers ?? []).map((watcher) => watcher.stop())]);
  }

  /** Run one source now (or once more right after the run in flight). */
  run(source: SyncSource): Promise<SourceResult> {
    if (!this.owns(source.id)) return Promise.resolve({ source: source.id, reached: true, changed: 0, itemErrors: 0, skipped: 'another bridge process syncs it' });
    const inFlight = this.running.get(source.id);
    if (inFlight) {
      this.again.add(source.id);
      return inFlight;
    }
    const started = (async () => {
      let result: SourceResult = { source: source.id, reached: true, changed: 0, itemErrors: 0, skipped: 'the scheduler is stopping' };
      do {
        this.again.delete(source.id);
        await this.lingering.get(source.id);
        // Waiting for a slot may take a while; a scheduler stopped meanwhile starts nothing new.
        const ran = await this.pool.run(async () => (this.stopped || !this.owns(source.id) ? undefined : this.runInSlot(source)));
        if (ran === undefined) break;
        result = ran;
        this.metrics?.syncRuns.inc({ source: source.kind, outcome: result.reached ? 'ok' : 'failed' });
        if (result.itemErrors > 0) this.metrics?.syncItemErrors.inc({ source: source.kind }, result.itemErrors);
        if (result.changed > 0 || result.itemErrors > 0 || !result.reached) this.log.info({ source: source.id, changed: result.changed, itemErrors: result.itemErrors, reached: result.reached }, 'sync run');
        this.updateWatchers(source, result);
        this.scheduleRetry(source, result);
      } while (this.again.has(source.id) && !this.stopped && this.owns(source.id));
      return result;
    })().finally(() => this.running.delete(source.id));
    this.running.set(source.id, started);
    return started;
  }

  private async runInSlot(source: SyncSource): Promise<SourceResult> {
    this.options.states?.started(source.id);
    const result = await runSource(source, this.runners, this.store, this.log, this.controller.signal, {
      limits: this.limits,
      abort: this.hardStop.signal,
      onLingering: (settled) => {
        this.lingering.set(source.id, settled.finally(() => this.lingering.delete(source.id)));
      },
    });
    this.options.states?.finished(result);
    return result;
  }

  /** The configured source with this id (the admin UI's "retry" runs it now). */
  source(id: string): SyncSource | undefined {
    return this.sources.find((source) => source.id === id);
  }

  private updateWatchers(source: SyncSource, result: SourceResult): void {
    const watching = this.options.watchers;
    if (!watching || this.stopped || !result.watch || !this.owns(source.id)) return;
    const paths = [...result.watch].sort().join('\n');
    const current = this.watchers.get(source.id);
    if (current?.paths === paths) return;
    const settings = watching.settingsOf(source);
    if (!settings) return;
    void Promise.all((current?.watchers ?? []).map((watcher) => watcher.stop()));
    const watchers = result.watch.map((path) =>
      watching.factory.watch(settings, path, () => this.poke(source), {
        pollMs: this.options.intervalMs,
        onError: (error) => this.log.warn({ source: source.id, folder: path, ...errorLogFields(error) }, 'IDLE connection problem; reconnecting'),
      }),
    );
    this.watchers.set(source.id, { paths, watchers });
  }

  /**
   * A source that could not be reached is tried again soon, with capped exponential backoff (1 s,
   * 2 s, 4 s, ... at most the polling interval), not only at the next interval.
   */
  private scheduleRetry(source: SyncSource, result: SourceResult): void {
    if (result.reached) {
      this.failures.delete(source.id);
      return;
    }
    const failures = (this.failures.get(source.id) ?? 0) + 1;
    this.failures.set(source.id, failures);
    if (this.stopped || result.error?.code === 'AUTH' || result.error?.code === 'CONFIG') return; // needs a human
    const delayMs = Math.min(this.options.intervalMs, backoffSeconds(failures, 300) * 1000);
    clearTimeout(this.debounce.get(source.id));
    const timer = setTimeout(() => {
      this.debounce.delete(source.id);
      void this.run(source);
    }, delayMs);
    timer.unref();
    this.debounce.set(source.id, timer);
  }

  /** true when `done` resolves within the grace time. */
  private async within(done: Promise<true>): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const result = await Promise.race([done, new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), this.limits.graceMs)))]);
    clearTimeout(timer);
    return result;
  }

  private poke(source: SyncSource): void {
    if (this.stopped) return;
    clearTimeout(this.debounce.get(source.id));
    const timer = setTimeout(() => {
      this.debounce.delete(source.id);
      void this.run(source);
    }, this.options.debounceMs ?? 100);
    timer.unref();
    this.debounce.set(source.id, timer);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    clearTimeout(this.pollTimer);
    await Promise.allSettled((this.options.triggers ?? []).map((trigger) => trigger.stop()));
    for (const timer of this.debounce.values()) clearTimeout(timer);
    // Runs stop at the next page boundary; the page in flight (each message its own transaction)
    // is finished first. A run still going after the grace time is stuck on a slow server: its
    // connections are closed, so shutdown does not wait for that server's command timeout.
    this.controller.abort();
    const inFlight = Promise.allSettled([...this.running.values(), ...this.lingering.values()]).then(() => true as const);
    if (!(await this.within(inFlight))) {
      this.log.warn({ sources: [...this.running.keys()] }, 'stopping: closing the connections of runs that did not reach a checkpoint in time');
      this.hardStop.abort(new BridgeError('TEMPORARY', 'the bridge is shutting down'));
      if (!(await this.within(inFlight))) this.log.warn({ sources: [...this.running.keys()] }, 'stopping: runs still unwinding are left behind');
    }
    await Promise.allSettled([...this.watchers.values()].flatMap((entry) => entry.watchers.map((watcher) => watcher.stop())));
    // Last: only now may another process take the sources.
    await this.options.claims?.stop();
  }
}
