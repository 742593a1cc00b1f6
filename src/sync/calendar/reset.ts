import type { Store } from '../../store/store.js';
import { davPair } from '../engine/keys.js';

/**
 * Forget what was delivered for a user's calendar or tasks (POST /api/v1/users/:id/reset): the
 * sync_status rows of the pair (or only the row of one CRM record), their merge bases, and the
 * cursors of the pair's collections, so that the next pass reads every collection again and
 * re-matches each item by UID (the bridge's `crm-bridge-<activity id>`) or by its href, without
 * duplicates on either side. Nothing in the CRM or on the server is deleted.
 */
export async function resetCalendarSync(store: Store, userId: string, scope: 'calendar' | 'tasks', itemId?: string): Promise<{ statusRows: number; cursors: number }> {
  const pair = davPair(scope, userId);
  return store.atomically(async (tx) => {
    let statusRows = 0;
    if (itemId !== undefined) {
      const entry = await tx.syncStatus.findByCrmRef(pair, itemId);
      if (entry) {
        await tx.syncStatus.remove(pair, entry.identity);
        await tx.syncBase.remove(pair, entry.identity);
        statusRows = 1;
      }
    } else {
      statusRows = await tx.syncStatus.removeUnder(pair);
      await tx.syncBase.removePair(pair);
    }
    const cursors = await tx.syncCursors.removeUnder([pair]);
    return { statusRows, cursors };
  });
}
