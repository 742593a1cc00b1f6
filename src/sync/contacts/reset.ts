import type { Store } from '../../store/store.js';
import type { SyncStatusEntry } from '../../store/sync-status.js';
import { davPair } from '../engine/keys.js';
import { CURSOR_COLLECTION } from './book-cursor.js';

export interface ResetCounts {
  mappings: number;
  cursors: number;
}

/**
 * Forget what was delivered to a user's address book (issue 6 point 7), for every contact or for
 * one CRM contact: versions, hashes, merge bases and tombstones of pair `contacts:<userId>` (and,
 * for the whole book, its sync cursor). Only the link "this vCard UID is that CRM contact" is kept,
 * as a re-delivery intent: the next pass PUTs each card with If-None-Match: * under its UID, so a
 * card deleted in the client by mistake comes back, and one that still exists answers 412 and is
 * re-read and merged without a base. Nothing is duplicated and no CRM data is touched.
 */
export async function resetContactSync(store: Store, userId: string, contactId?: string): Promise<ResetCounts> {
  const pair = davPair('contacts', userId);
  return store.atomically(async (tx) => {
    let rows: SyncStatusEntry[];
    if (contactId !== undefined) {
      const entry = await tx.syncStatus.findByCrmRef(pair, contactId);
      rows = entry === undefined ? [] : [entry];
    } else rows = await tx.syncStatus.listPair(pair);
    for (const row of rows) {
      await tx.syncBase.remove(pair, row.identity);
      if (row.crm.ref === null) {
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
    let cursors = 0;
    if (contactId === undefined && (await tx.syncCursors.get(pair, CURSOR_COLLECTION)) !== undefined) {
      await tx.syncCursors.remove(pair, CURSOR_COLLECTION);
      cursors = 1;
    }
    return { mappings: rows.length, cursors };
  });
}
