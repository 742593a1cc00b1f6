import type { Change } from '../../store/changes.js';
import { ChangeFeedFollower } from '../change-feed-follower.js';


/**
 * Runs `carddav:<user>` for every user whose address book a created, changed or deleted contact
 * (or a changed account) may concern: the contact's owner, the owner of its account, and every user
 * whose address book holds it (through the sync status of the `contacts:<user>` pairs; this covers
 * deletions and owner changes).
 */
export class ContactChangeFollower extends ChangeFeedFollower {
  protected async sourcesFor(change: Change): Promise<string[]> {
    const users = new Set<string>();
    if (change.entity === 'account') {
      const data = change.data as { owner?: string | null } | null;
      if (data?.owner) users.add(data.owner);
    } else if (change.entity === 'contact') {
      const data = change.data as { owner?: string | null; accountId?: string | null } | null;
      if (data?.owner) users.add(data.owner);
      if (data?.accountId) {
        const account = await this.store.accounts.get(data.accountId);
        if (account?.owner) users.add(account.owner);
      }
      for (const user of await this.usersHolding(change.id, ['contacts'])) users.add(user);
    }
    return [...users].map((user) => `carddav:${user}`);
  }
}
