import { isBridgeError } from '../../domain/errors.js';
import { messageKey } from '../../domain/message-id.js';
import type { MailFolder } from '../../ports/mail.js';
import type { MailMessageStatus } from '../../store/mail-messages.js';
import { isDiscardFolder } from './folder-plan.js';
import type { MailPass } from './mail-pass.js';
import { planMovedOut } from './plan-messages.js';
import { untrack } from './untrack.js';

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
    if (action === 'untrack') await untrack(pass, gone);
    else if (action === 'search') unresolved.push(gone);
  }
  if (unresolved.length === 0) return;
  // The key is the Message-ID lower-cased without brackets; SEARCH compares case-insensitively.
  const elsewhere = await foundInUnreadFolders(pass, layout, unresolved.map((row) => `<${row.messageKey}>`));
  for (const row of unresolved) if (elsewhere.has(row.messageKey!)) await untrack(pass, row);
}

/** Message keys of those Message-IDs that are in a folder this pass does not read (not Trash or Junk). */
async function foundInUnreadFolders(pass: MailPass, layout: FolderLayout, messageIds: readonly string[]): Promise<Set<string>> {
  const found = new Set<string>();
  const candidates = layout.server.filter((folder) => folder.selectable && !layout.read.has(folder.path) && !isDiscardFolder(folder));
  for (const folder of candidates) {
    const missing = messageIds.filter((id) => !found.has(messageKey(id)));
    if (missing.length === 0) break;
    try {
      for (const id of await pass.session.findMessageIds(folder.path, missing)) found.add(messageKey(id));
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
