import type { Logger } from 'pino';
import type { Store } from '../../store/store.js';
import type { SyncTrigger } from '../scheduler.js';

const CALENDAR_KINDS = new Set(['appointment', 'meeting', 'task', 'follow_up']);

/**
 * Under `serve`, follows the change feed and asks the scheduler to run `caldav:<owner>` when an
 * appointment, meeting, task or follow-up is created, changed or deleted, so that it reaches the
 * owner's calendar at once (CONTRACT.md). A deletion carries no data: its owner is found through
 * the sync status of the calendar/tasks pairs. Polling the feed (indexed by seq) keeps the API and
 * the engine apart: whatever writes activities, the calendar hears of it.
 */
export class CalendarChangeFollower implements SyncTrigger {
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
        .catch((error: unknown) => this.log.warn({ err: error }, 'following the change feed failed'))
        .finally(() => {
          if (this.stopped) return;
          this.timer = setTimeout(tick, this.intervalMs);
          this.timer.unref();
        });
    };
    tick();
  }

  private async poll(request: (sourceId: string) => void): Promise<void> {
    if (this.after < 0) {
      this.after = await this.store.changes.latestSeq();
      return;
    }
    for (;;) {
      const changes = await this.store.changes.listAfter(this.after, 500);
      if (changes.length === 0) return;
      const owners = new Set<string>();
      for (const change of changes) {
        this.after = change.seq;
        if (change.entity !== 'activity') continue;
        const data = change.data as { kind?: string; owner?: string | null } | null;
        if (data) {
          if (data.kind && CALENDAR_KINDS.has(data.kind) && data.owner) owners.add(data.owner);
          continue;
        }
        const rows = await this.store.db.selectFrom('sync_status').select('pair').where('crm_ref', '=', change.id).execute();
        for (const row of rows) {
          const match = /^(?:calendar|tasks):(.+)$/.exec(row.pair);
          if (match) owners.add(match[1]!);
        }
      }
      for (const owner of owners) request(`caldav:${owner}`);
      if (changes.length < 500) return;
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }
}
