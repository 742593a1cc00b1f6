/**
 * Forgetting what a DAV pair delivered (POST /api/v1/users/:id/reset), for the whole pair or for
 * one CRM record: one module for calendars, task lists and address books. Nothing in the CRM or
 * on the server is deleted, and the engine re-matches so that nothing is duplicated. How it
 * re-matches is the codec's rule:
 *
 * - `rematch` (events, tasks): the status rows and merge bases go, and so do the pair's cursors,
 *   so the next pass reads every collection again and matches each item by the bridge's UID
 *   (`crm-bridge-<activity id>`) or by the href it was stored from;
 * - `redeliver` (cards, issue 6 point 7): only the link "this UID is that CRM record" stays, as a
 *   pending create; the next pass PUTs the card with If-None-Match: * under its UID, so one deleted
 *   in the client by mistake comes back, and one that still exists answers 412 and is re-read and
 *   merged without a base (conditional-write.ts createItem). Links without a CRM record go.
 */
import type { Store } from '../../store/store.js';
import type { SyncStatusEntry } from '../../store/sync-status.js';

export type ResetRule = 'rematch' | 'redeliver';

export interface ResetCounts {
  /** Status rows forgotten or turned into re-delivery intents. */
  mappings: number;
  cursors: number;
}

export async function resetPair(store: Store, pair: string, rule: ResetRule, crmRef?: string): Promise<ResetCounts> {
  return store.atomically(async (tx) => {
    if (rule === 'rematch' && crmRef === undefined) {
      // The whole pair: two bulk deletes instead of two per item (a calendar may hold 100 000).
      const mappings = await tx.syncStatus.removeUnder(pair);
      await tx.syncBase.removePair(pair);
      return { mappings, cursors: await tx.syncCursors.removeUnder([pair]) };
    }
    let rows: SyncStatusEntry[];
    if (crmRef !== undefined) {
      const entry = await tx.syncStatus.findByCrmRef(pair, crmRef);
      rows = entry === undefined ? [] : [entry];
    } else rows = await tx.syncStatus.listPair(pair);
    for (const row of rows) {
      await tx.syncBase.remove(pair, row.identity);
      if (rule === 'rematch' || row.crm.ref === null) {
        await tx.syncStatus.remove(pair, row.identity);
        continue;
      }
      await tx.syncStatus.put({
        ...row,
        crm: { ref: row.crm.ref, version: null, hash: null },
        remote: { ref: row.remote.ref, version: null, hash: null },
        tombstone: false,
        pending: 'create',
      });
    }
    // One re-delivered card needs no read; a re-matched item is found only by reading again.
    const cursors = rule === 'redeliver' && crmRef !== undefined ? 0 : await tx.syncCursors.removeUnder([pair]);
    return { mappings: rows.length, cursors };
  });
}
