import type { Logger } from 'pino';
import type { Store } from '../../store/store.js';
import type { SyncTrigger } from '../scheduler.js';

/**
 * Under `serve`, follows the change feed and asks the scheduler to run `carddav:<user>` for every
 * user whose address book a created, changed or deleted contact (or a changed account) may concern:
 * the contact's owner, the owner of its account, and every user whose address book holds it (found
 * through the sync status of the `contacts:<user>` pairs; this covers deletions and owner changes).
 * A contact edited through the API thus reaches the address books within about a second instead of
 * at the next interval. Unknown source ids are ignored by the scheduler.
 */
export class ContactChangeFollower implements SyncTrigger {
  private timer: NodeJS.Timeout | undefined;
  private after = -1;
  private running: Promise<void> | undefined;
  private stopped = false;

  constructor(
    private readonly store: Store,
    private readonly log: Logger,
    private readonly intervalMs = 250,
  ) {}

  start(request: (sourceId: string) => void): void {
    const tick = () => {
      if (this.stopped) return;
      this.running = this.poll(request)
        .catch((error: unknown) => this.log.warn({ err: error }, 'following the change feed for contacts failed'))
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
      const changes = await this.store.changes.listAfter(this.after, 500);
      if (changes.length === 0) return;
      const users = new Set<string>();
      for (const change of changes) {
        this.after = change.seq;
        if (change.entity === 'account') {
          const data = change.data as { owner?: string | null } | null;
          if (data?.owner) users.add(data.owner);
          continue;
        }
        if (change.entity !== 'contact') continue;
        const data = change.data as { owner?: string | null; accountId?: string | null } | null;
        if (data?.owner) users.add(data.owner);
        if (data?.accountId) {
          const account = await this.store.accounts.get(data.accountId);
          if (account?.owner) users.add(account.owner);
        }
        const rows = await this.store.db.selectFrom('sync_status').select('pair').where('crm_ref', '=', change.id).execute();
        for (const row of rows) {
          const match = /^contacts:(.+)$/.exec(row.pair);
          if (match) users.add(match[1]!);
        }
      }
      for (const user of users) request(`carddav:${user}`);
      if (changes.length < 500) return;
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }
}
