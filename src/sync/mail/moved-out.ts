import { isBridgeError } from '../../domain/errors.js';
import { messageKey } from '../../domain/message-id.js';
import type { MailFolder } from '../../ports/mail.js';
import type { MailMessageStatus } from '../../store/mail-messages.js';
import { isDiscardFolder } from './folder-plan.js';
import type { MailPass } from './mail-pass.js';
import { planMovedOut } from './plan-messages.js';
import { untrack } from './untrack.js';
import { trackedKeyword } from './mailbox-spec.js';
import { errorLogFields } from '../../domain/log-fields.js';

/** The server's folders and the ones this pass read (personal mailboxes): where else a message may have gone. */
export interface FolderLayout {
  server: readonly MailFolder[];
  read: ReadonlySet<string>;
}

/**
 * A message that left a tracked folder was moved out (untracked: the CRM copy goes if the user
 * owns it) or deleted (the activity stays). Moved into a folder this pass read, it has a `seen`
 * row there; otherwise the server's other folders are asked for its Message-ID (Trash and Junk
 * excepted: a message there was deleted). Not found anywhere: deleted. Runs once every folder was read.
 */
export async function untrackMovedOut(pass: MailPass, vanished: readonly MailMessageStatus[], layout: FolderLayout): Promise<void> {
  const unresolved: MailMessageStatus[] = [];
  for (const gone of vanished) {
    const places = gone.messageKey ? await pass.store.mailMessages.byMessageKey(pass.spec.sourceId, gone.messageKey) : [];
    const action = planMovedOut(gone, places);
    if (action === 'untrack') {
      await untrack(pass, gone);
      // Moved into a folder this pass read: the copy there loses the mark of a tracked message
      // (README: the client shows the tracked state), unless it is tracked there too.
      if (gone.trackedBy === 'folder' && !places.some((place) => place.state === 'tracked')) {
        for (const place of places.filter((entry) => entry.state === 'seen' && entry.flags.includes(trackedKeyword))) {
          await clearMark(pass, place.folder, [place.uid]);
          await pass.store.mailMessages.put({ ...place, flags: place.flags.filter((flag) => flag !== trackedKeyword) });
        }
      }
    } else if (action === 'search') unresolved.push(gone);
  }
  if (unresolved.length === 0) return;
  // The key is the Message-ID lower-cased without brackets; SEARCH compares case-insensitively.
  const elsewhere = await foundInUnreadFolders(pass, layout, unresolved.map((row) => `<${row.messageKey}>`));
  for (const row of unresolved) {
    const where = elsewhere.get(row.messageKey!);
    if (where === undefined) continue;
    await untrack(pass, row);
    await clearMark(pass, where.folder, where.uids);
  }
}

/** Take $CRMTracked off messages moved out of tracking; a folder that refuses it keeps the mark (the activity is gone either way). */
async function clearMark(pass: MailPass, folder: string, uids: readonly number[]): Promise<void> {
  try {
    await pass.session.removeFlags(folder, uids, [trackedKeyword]);
  } catch (error) {
    if (isBridgeError(error) && (error.code === 'TEMPORARY' || error.code === 'AUTH')) throw error;
    pass.deps.log.warn({ source: pass.spec.sourceId, folder, ...errorLogFields(error) }, `could not take ${trackedKeyword} off a message moved out of tracking`);
  }
}

/** Where those Message-IDs are, by message key, in folders this pass does not read (not Trash or Junk): the first folder found in. */
async function foundInUnreadFolders(pass: MailPass, layout: FolderLayout, messageIds: readonly string[]): Promise<Map<string, { folder: string; uids: number[] }>> {
  const found = new Map<string, { folder: string; uids: number[] }>();
  const candidates = layout.server.filter((folder) => folder.selectable && !layout.read.has(folder.path) && !isDiscardFolder(folder));
  for (const folder of candidates) {
    const missing = messageIds.filter((id) => !found.has(messageKey(id)));
    if (missing.length === 0) break;
    try {
      for (const [id, uids] of await pass.session.locateMessageIds(folder.path, missing)) found.set(messageKey(id), { folder: folder.path, uids });
    } catch (error) {
      // A folder that vanished or refuses the search is skipped; a dead connection ends the pass.
      // Stricter than failure.ts on purpose: a message in a folder skipped here looks deleted, so a
      // struggling server (TEMPORARY, answered or not) ends the pass instead of deciding that.
      if (isBridgeError(error) && error.code !== 'TEMPORARY' && error.code !== 'AUTH') continue;
      throw error;
    }
  }
  return found;
}
