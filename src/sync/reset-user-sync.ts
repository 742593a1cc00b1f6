import { BridgeError } from '../domain/errors.js';
import type { Store } from '../store/store.js';
import { davPair } from './engine/keys.js';
import { resetPair } from './engine/reset-pair.js';

export const resetScopes = ['contacts', 'calendar', 'tasks', 'mail'] as const;
export type ResetScope = (typeof resetScopes)[number];

/** Mail: forget the per-message state of the user's mailbox so the next pass re-examines every message (ingestion is exactly-once by Message-ID). */
async function resetMail(store: Store, userId: string): Promise<{ mappings: number; cursors: number }> {
  const source = `imap:${userId}`;
  return store.atomically(async (tx) => {
    const mappings = await tx.mailMessages.removeSource(source);
    const cursors = await tx.syncCursors.removePair(source);
    return { mappings, cursors };
  });
}

/**
 * Forget what was delivered for one user and scope (or one CRM record of it), so the next pass
 * delivers it again: mappings, tombstones and cursors go, data stays, and the engines re-match by
 * UID / Message-ID so nothing is duplicated. The reset API and the admin UI's button share it.
 */
export async function resetUserSync(store: Store, userId: string, scope: ResetScope, itemId?: string): Promise<{ mappings: number; cursors: number }> {
  if (scope === 'mail') {
    if (itemId !== undefined) throw new BridgeError('INVALID_INPUT', 'itemId: mail is reset per user only', { details: [{ path: 'body.itemId', message: 'mail is reset per user only' }] });
    return resetMail(store, userId);
  }
  return resetPair(store, davPair(scope, userId), scope === 'contacts' ? 'redeliver' : 'rematch', itemId);
}
