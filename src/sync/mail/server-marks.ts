import type { MessageSummary } from '../../ports/mail.js';
import type { MailMessageStatus } from '../../store/mail-messages.js';
import { resolveFolderPath } from './folder-plan.js';
import type { FolderPass, MailPass } from './mail-pass.js';
import { planMark, planRepair, type MarkAction } from './plan-messages.js';

/**
 * The marks that tell the mail client what the bridge did (DESIGN.md principle 7: the client is the
 * interface): keywords on tracked messages, the processed keyword or move of a shared mailbox, and
 * keywords taken off again. Collected per page and written together, then verified.
 */
export class PendingMarks {
  /** Keyword -> UIDs that get it. */
  readonly add = new Map<string, number[]>();
  readonly move: number[] = [];
}

/** A message tracked now: the mark it should carry. */
export function markTracked(pass: MailPass, here: FolderPass, summary: MessageSummary, pending: PendingMarks): void {
  collect(pass, here, summary.uid, planMark(summary.flags, pass.policy, (keyword) => here.state.canStoreKeyword(keyword)), pending);
}

/** A message handled on an earlier (perhaps interrupted) pass: its mark, if it is missing. */
export function repairMark(pass: MailPass, here: FolderPass, row: MailMessageStatus, summary: MessageSummary, pending: PendingMarks): void {
  collect(pass, here, summary.uid, planRepair(row, summary.flags, pass.policy, (keyword) => here.state.canStoreKeyword(keyword)), pending);
}

function collect(pass: MailPass, here: FolderPass, uid: number, action: MarkAction, pending: PendingMarks): void {
  switch (action.mark) {
    case 'move':
      pending.move.push(uid);
      return;
    case 'keyword': {
      const uids = pending.add.get(action.keyword) ?? [];
      if (!uids.includes(uid)) pending.add.set(action.keyword, [...uids, uid]);
      return;
    }
    case 'unstorable':
      warnKeyword(pass, here, action.keyword);
      return;
    case 'none':
      return;
  }
}

/** Write what `pending` holds: keywords (each verified), then the shared mailbox's move. */
export async function applyMarks(pass: MailPass, here: FolderPass, pending: PendingMarks): Promise<void> {
  const path = here.folder.path;
  for (const [keyword, uids] of pending.add) {
    await pass.session.addFlags(path, uids, [keyword]);
    here.wroteFlags = true;
    // Verify the keyword landed (DESIGN.md principle 7): some servers accept STORE and drop it.
    const check = await pass.session.summaries(path, Math.min(...uids), Math.max(...uids));
    const missing = check.filter((summary) => uids.includes(summary.uid) && !summary.flags.includes(keyword));
    if (missing.length > 0) warnKeyword(pass, here, keyword);
  }
  const processed = pass.policy.processed;
  const moveTo = processed && 'moveTo' in processed ? processed.moveTo : undefined;
  if (moveTo && pending.move.length > 0) {
    const folders = await pass.session.listFolders();
    const destination = resolveFolderPath(moveTo, folders);
    if (!folders.some((entry) => entry.path === destination)) await pass.session.createFolder(destination);
    await pass.session.move(path, pending.move, destination);
    here.wroteFlags = true;
    for (const uid of pending.move) {
      const row = await pass.store.mailMessages.get(pass.spec.sourceId, path, here.state.uidValidity, uid);
      if (row) await pass.store.mailMessages.put({ ...row, state: 'gone' });
    }
  }
}

/** Take keywords off messages of the folder (untracked ones). */
export async function removeKeywords(pass: MailPass, here: FolderPass, uids: readonly number[], keywords: readonly string[]): Promise<void> {
  await pass.session.removeFlags(here.folder.path, uids, keywords);
  here.wroteFlags = true;
}

function warnKeyword(pass: MailPass, here: FolderPass, keyword: string): void {
  if (here.keywordWarned) return;
  here.keywordWarned = true;
  pass.deps.log.warn({ source: pass.spec.sourceId, folder: here.folder.path, keyword }, 'the server does not keep this keyword (PERMANENTFLAGS); tracked mail is not marked in the mail client');
}
