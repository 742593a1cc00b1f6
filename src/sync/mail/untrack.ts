import type { MailMessageStatus } from '../../store/mail-messages.js';
import type { FolderPass, MailPass } from './mail-pass.js';
import { messageRef, trackedKeyword } from './mailbox-spec.js';
import { keywordsOfDeletedActivity, untrackDeletesActivity, untrackedRow } from './plan-messages.js';
import { removeKeywords } from './server-marks.js';

/**
 * Untrack: forget this place of the message; the activity itself goes only when the mailbox owner
 * owns it and no other place still holds it (plan-messages: untrackDeletesActivity). With
 * `removeKeywordFrom` (the folder the message is in), $CRMTracked comes off too.
 */
export async function untrack(pass: MailPass, row: MailMessageStatus, options: { removeKeywordFrom?: FolderPass } = {}): Promise<void> {
  const activityId = row.activityId;
  await pass.store.atomically(async (tx) => {
    if (activityId) {
      const remaining = await tx.activities.removeSource(activityId, { type: 'imap', sourceId: pass.spec.sourceId, ref: messageRef(row.folder, row.uidValidity, row.uid) });
      const activity = await tx.activities.get(activityId);
      if (activity && untrackDeletesActivity(remaining, activity.owner, pass.policy)) {
        await tx.activities.delete(activityId);
        pass.tally.changed += 1;
      }
    }
    await tx.mailMessages.put(untrackedRow(row));
  });
  if (options.removeKeywordFrom) await removeKeywords(pass, options.removeKeywordFrom, [row.uid], [trackedKeyword]);
}

/** Activities deleted through the API: take the tracking keywords off their messages. */
export async function untrackDeletedInCrm(pass: MailPass, here: FolderPass): Promise<void> {
  const rows = await pass.store.mailMessages.toUntrack(pass.spec.sourceId, here.folder.path, here.state.uidValidity);
  if (rows.length === 0) return;
  const keywords = keywordsOfDeletedActivity(pass.policy);
  await removeKeywords(pass, here, rows.map((row) => row.uid), keywords);
  for (const row of rows) await pass.store.mailMessages.put({ ...row, state: 'seen', flags: row.flags.filter((flag) => !keywords.includes(flag)) });
}
