import type { Logger } from 'pino';
import type { Change } from '../../store/changes.js';
import type { Store } from '../../store/store.js';
import { ChangeFeedFollower } from '../change-feed-follower.js';

/**
 * Runs the mail sources whose messages lost their activity in the CRM (DELETE
 * /api/v1/activities/:id untracks, CONTRACT.md), so the tracking keywords come off at once. Under
 * IMAP IDLE nothing else would wake the source: the mailbox did not change, only the CRM did, so
 * the keywords stayed until the interval's pass. A deletion carries no data and the status rows
 * lose their activity id when marked, so the sources are those with rows still to untrack.
 */
export class MailChangeFollower extends ChangeFeedFollower {
  constructor(
    store: Store,
    log: Logger,
    /** The configured `imap:` and `shared-mailbox:` source ids. */
    private readonly mailSources: readonly string[],
    intervalMs?: number,
  ) {
    super(store, log, intervalMs);
  }

  protected sourcesFor(): Promise<string[]> {
    return Promise.resolve([]);
  }

  protected override async sourcesForBatch(changes: readonly Change[]): Promise<Iterable<string>> {
    const deletion = changes.some((change) => change.entity === 'activity' && change.op === 'deleted');
    return deletion ? this.store.mailMessages.sourcesToUntrack(this.mailSources) : [];
  }
}
