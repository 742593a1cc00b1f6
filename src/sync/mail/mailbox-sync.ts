import type { MessageSummary } from '../../ports/mail.js';
import type { MailMessageStatus } from '../../store/mail-messages.js';
import type { PlannedFolder } from './folder-plan.js';
import { fetchOversized, processPage } from './fetch-messages.js';
import { planFolders, regardingOf, type PassFolders } from './folders.js';
import { importBatch } from './import-batch.js';
import { newFolderPass, newMailPass, notDelivered, unknownSummary, type FolderPass, type MailPass } from './mail-pass.js';
import { messageRef, type MailboxSpec, type MailSyncDeps, type MailSyncResult } from './mailbox-spec.js';
import { imapCursorSchema, readCursor, type ImapCursor } from '../engine/keys.js';
import { untrackMovedOut } from './moved-out.js';
import { planFlagChange, planVanished } from './plan-messages.js';
import { newUidPages, readFolderDelta } from './read-folder.js';
import { applyMarks, PendingMarks } from './server-marks.js';
import { untrack, untrackDeletedInCrm } from './untrack.js';

export { batchesBySize } from './fetch-messages.js';
export { messageRef, trackedKeyword, type MailboxSpec, type MailSyncDeps, type MailSyncResult } from './mailbox-spec.js';

/**
 * One pass over one mailbox (a user's own, or a shared one): new messages since each folder's
 * cursor, flag changes and expunges since the last pass (CONDSTORE/QRESYNC when offered, else UID
 * SEARCH and flag comparison), tracking and untracking, and the keyword/move that tells the mail
 * client what happened. Exactly once: a message's activity, its source and its status row commit
 * together; the folder cursor is checkpointed after each page; a message already in the status
 * table is never imported again, only repaired (keyword or move re-applied).
 *
 * The steps: folders.ts (which folders, CRM/<record> folders), read-folder.ts (cursor -> delta),
 * plan-messages.ts (every tracking rule, pure), fetch-messages.ts and import-batch.ts (fetch,
 * parse, ingest), server-marks.ts (keywords and moves), untrack.ts and moved-out.ts.
 */
export async function syncMailbox(spec: MailboxSpec, deps: MailSyncDeps, signal: AbortSignal, abort?: AbortSignal): Promise<MailSyncResult> {
  const session = await deps.connector.connect(spec.server, abort);
  try {
    return await runPass(newMailPass(spec, deps, session, signal));
  } finally {
    await session.close().catch(() => undefined);
  }
}

async function runPass(pass: MailPass): Promise<MailSyncResult> {
  const folders = await planFolders(pass);
  const watch = folders.planned.filter((folder) => folder.watch).map((folder) => folder.path);
  /** Tracked messages that vanished from their folder this pass: moved out, or deleted? */
  const vanishedFromTracked: MailMessageStatus[] = [];
  for (const folder of folders.planned) {
    if (pass.signal.aborted) break;
    // A folder that vanished or cannot be read is recorded; the others go on. A dead connection
    // or rejected credentials end the pass for this source (failure.ts; the runner records it
    // and the scheduler retries later).
    await pass.failures.guard('collection', folder.path, () => syncFolder(pass, folders, folder, vanishedFromTracked));
  }
  await untrackMovedOut(pass, vanishedFromTracked, folders.layout);
  return { changed: pass.tally.changed, itemErrors: pass.failures.count, watch };
}

/**
 * One folder: known messages (delta), CRM deletions, new mail, retries, then the cursor. Tracked
 * messages that vanished go to `vanished` as soon as they are found (also when the folder fails later).
 */
async function syncFolder(pass: MailPass, folders: PassFolders, folder: PlannedFolder, vanished: MailMessageStatus[]): Promise<void> {
  const { session, store, spec } = pass;
  const state = await session.openFolder(folder.path);
  const here = newFolderPass(folder, state, regardingOf(folders, folder.path));
  const stored = await store.syncCursors.get(spec.sourceId, folder.path);
  let cursor = readCursor(imapCursorSchema, stored);
  let validityChanged = false;
  if (cursor && cursor.uidValidity !== state.uidValidity) {
    // RFC 3501 §2.3.1.1: every UID of the folder is void. Re-read it all; messages are matched to
    // their activities again by Message-ID (or content hash), so nothing is duplicated.
    pass.deps.log.warn({ source: spec.sourceId, folder: folder.path, was: cursor.uidValidity, now: state.uidValidity }, 'UIDVALIDITY changed: re-matching the folder');
    cursor = undefined;
    validityChanged = true;
  }
  if (cursor) await syncKnown(pass, here, cursor, vanished);
  await untrackDeletedInCrm(pass, here);
  await syncNew(pass, here, cursor);
  // Stopped mid-import (shutdown, or the pass deadline): the page checkpoints hold what was
  // read; the folder's final cursor below would claim the unread rest and skip it for good.
  if (pass.signal.aborted) return;
  await retryFailed(pass, here);
  if (validityChanged) await dropOldValidity(pass, folder.path, state.uidValidity);
  const highestUid = Math.max(state.uidNext - 1, cursor?.highestUid ?? 0);
  let highestModseq = state.highestModseq;
  if (here.wroteFlags && state.highestModseq !== null && session.capabilities.has('CONDSTORE')) {
    // Our own keyword stores raised HIGHESTMODSEQ during this pass. Fold them (and whatever another
    // client changed meanwhile) in now, so the next pass starts from the real value and an
    // unchanged mailbox costs one SELECT (RFC 7162 §3.1.2.1) instead of re-reading every flag.
    const after = await session.openFolder(folder.path);
    if (after.uidValidity === state.uidValidity && after.highestModseq !== null && after.highestModseq !== state.highestModseq) {
      here.state = after;
      await syncKnown(pass, here, { uidValidity: state.uidValidity, highestUid, highestModseq: state.highestModseq }, vanished);
      highestModseq = after.highestModseq;
    }
  }
  await store.syncCursors.put(spec.sourceId, folder.path, { uidValidity: state.uidValidity, highestUid, highestModseq });
}

async function dropOldValidity(pass: MailPass, folder: string, keep: string): Promise<void> {
  const { store, spec } = pass;
  for (const row of await store.mailMessages.otherValidities(spec.sourceId, folder, keep)) {
    if (row.activityId) await store.activities.removeSource(row.activityId, { type: 'imap', sourceId: spec.sourceId, ref: messageRef(folder, row.uidValidity, row.uid) });
  }
  await store.mailMessages.removeOtherValidities(spec.sourceId, folder, keep);
}

/** Flag changes and expunges among the messages the cursor covers; tracked ones that vanished go to `vanished`. */
async function syncKnown(pass: MailPass, here: FolderPass, cursor: ImapCursor, vanished: MailMessageStatus[]): Promise<void> {
  const delta = await readFolderDelta(pass, here, here.state, cursor);
  if (!delta) return;
  const { store, spec } = pass;
  const { path } = here.folder;
  const { uidValidity } = here.state;
  const { changed } = delta;
  const rows = changed.length > 0 ? await store.mailMessages.range(spec.sourceId, path, uidValidity, Math.min(...changed.map((s) => s.uid)), Math.max(...changed.map((s) => s.uid))) : new Map<number, MailMessageStatus>();
  for (const summary of changed) {
    const row = rows.get(summary.uid);
    if (row) await flagsChanged(pass, here, row, summary);
  }
  for (const uid of delta.vanished) {
    const planned = planVanished(await store.mailMessages.get(spec.sourceId, path, uidValidity, uid));
    if (!planned) continue;
    await store.mailMessages.put(planned.gone);
    if (planned.movedOutCandidate) vanished.push(planned.gone);
  }
}

async function flagsChanged(pass: MailPass, here: FolderPass, row: MailMessageStatus, summary: MessageSummary): Promise<void> {
  const updated = { ...row, flags: summary.flags, modseq: summary.modseq };
  switch (planFlagChange(row, summary, pass.policy)) {
    case 'import': {
      const [raw] = summary.size > pass.maxMessageBytes ? await fetchOversized(pass, here, [summary]) : await pass.session.fetchSources(here.folder.path, [summary.uid]);
      if (!raw) {
        await notDelivered(pass, here, summary);
        return;
      }
      const pending = new PendingMarks();
      await importBatch(pass, here, [raw], pending, new Map([[raw.uid, 'keyword']]));
      await applyMarks(pass, here, pending);
      return;
    }
    case 'untrack':
      await untrack(pass, updated, { removeKeywordFrom: here });
      return;
    case 'record':
      await pass.store.mailMessages.put(updated);
      return;
    case 'none':
      return;
  }
}

/** New UIDs after the cursor, page by page; the cursor is checkpointed after each page. */
async function syncNew(pass: MailPass, here: FolderPass, cursor: ImapCursor | undefined): Promise<void> {
  const { session, store, spec } = pass;
  const { folder, state } = here;
  const importSince = cursor ? undefined : (spec.personal?.importSince ?? spec.shared?.importSince);
  for (const { start, end } of newUidPages((cursor?.highestUid ?? 0) + 1, state.uidNext - 1, pass.pageSize)) {
    if (pass.signal.aborted) return;
    const summaries = await session.summaries(folder.path, start, end);
    const allowed = importSince ? new Set(await session.searchSince(folder.path, new Date(`${importSince}T00:00:00Z`), start, end)) : null;
    // UID SEARCH named these, but the FETCH of their flags and size did not answer for them.
    const listed = new Set(summaries.map((summary) => summary.uid));
    for (const uid of allowed ?? []) if (!listed.has(uid)) await notDelivered(pass, here, unknownSummary(uid));
    await processPage(pass, here, summaries, allowed);
    // Checkpoint: a restart goes on after this page.
    await store.syncCursors.put(spec.sourceId, folder.path, { uidValidity: state.uidValidity, highestUid: end, highestModseq: cursor ? state.highestModseq : null });
  }
}

/**
 * Messages that failed on an earlier pass (a parse error, or a UID the server announced but did
 * not deliver) are tried again, once per pass, until `sync.maxItemAttempts`. Their status row is
 * what keeps them from being lost while the folder cursor moves on: the cursor passes a UID only
 * once it has a row (imported, seen, or failed and waiting here).
 */
async function retryFailed(pass: MailPass, here: FolderPass): Promise<void> {
  const { path } = here.folder;
  const failed = (await pass.store.mailMessages.failed(pass.spec.sourceId, path, here.state.uidValidity, pass.deps.maxItemAttempts)).filter((row) => !here.failed.has(row.uid));
  if (failed.length === 0) return;
  // Their sizes decide how they are fetched, as for new mail (processPage).
  const summaries = await pass.session.summariesOf(path, failed.map((row) => row.uid));
  const listed = new Set(summaries.map((summary) => summary.uid));
  for (const row of failed) {
    if (!listed.has(row.uid)) await notDelivered(pass, here, { ...unknownSummary(row.uid), flags: row.flags, modseq: row.modseq });
  }
  await processPage(pass, here, summaries, null);
}
