import type { Logger } from 'pino';
import type { Change } from '../store/changes.js';
import type { Store } from '../store/store.js';
import { userOfPair, type DavPairKind } from './engine/keys.js';
import type { SyncTrigger } from './scheduler.js';

const PAGE = 500;

/**
 * Under `serve`, follows the change feed and asks the scheduler to run the sources a CRM change
 * concerns, so an API write reaches the groupware within about a second instead of at the next
 * interval. Polling the feed (indexed by seq) keeps the API and the engines apart: whatever writes
 * records, the sync hears of it. It starts at the feed's end: older changes are the regular pass's.
 * Subclasses say which sources a change concerns.
 */
export abstract class ChangeFeedFollower implements SyncTrigger {
  private timer: NodeJS.Timeout | undefined;
  private after = -1;
  private running: Promise<void> | undefined;
  private stopped = false;

  constructor(
    protected readonly store: Store,
    private readonly log: Logger,
    private readonly intervalMs = 250,
  ) {}

  /** Source ids (e.g. `caldav:alice`) that must run because of `change`; unknown ids are ignored by the scheduler. */
  protected abstract sourcesFor(change: Change): Promise<Iterable<string>>;

  /** The sources a page of changes concerns: by default, those of each change. */
  protected async sourcesForBatch(changes: readonly Change[]): Promise<Iterable<string>> {
    const sources = new Set<string>();
    for (const change of changes) for (const source of await this.sourcesFor(change)) sources.add(source);
    return sources;
  }

  /** Users whose sync status of a pair matching `pair` holds the record (`^prefix:(user)$`): covers deletions and owner changes. */
  protected async usersHolding(recordId: string, kinds: readonly DavPairKind[]): Promise<string[]> {
    const pairs = await this.store.syncStatus.pairsHolding(recordId);
    return pairs.flatMap((name) => userOfPair(name, kinds) ?? []);
  }

  start(request: (sourceId: string) => void): void {
    const tick = () => {
      if (this.stopped) return;
      this.running = this.poll(request)
        .catch((error: unknown) => this.log.warn({ err: error }, 'following the change feed failed'))
        .finally(() => {
          if (this.stopped) return;
          this.timer = setTimeout(tick, this.intervalMs);
          this.timer.unref();
        });
    };
    tick();
  }

  /** One look at the feed; exposed for tests. */
  async poll(request: (sourceId: string) => void): Promise<void> {
    if (this.after < 0) {
      this.after = await this.store.changes.latestSeq();
      return;
    }
    for (;;) {
      const changes = await this.store.changes.listAfter(this.after, PAGE);
      if (changes.length === 0) return;
      const sources = await this.sourcesForBatch(changes);
      this.after = changes[changes.length - 1]!.seq;
      for (const source of new Set(sources)) request(source);
      if (changes.length < PAGE) return;
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }
}
