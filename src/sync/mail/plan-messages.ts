import type { FolderRole } from '../../mail/decide-tracking.js';
import { isSyntheticMessageId } from '../../domain/message-id.js';
import type { MessageSummary } from '../../ports/mail.js';
import type { MailMessageStatus } from '../../store/mail-messages.js';
import { trackedKeyword, type MailboxSpec } from './mailbox-spec.js';

/**
 * Every tracking rule of the mail engine that needs no IO, in one place: what to do with a new
 * UID, a flag change, a vanished UID, a message that left a tracked folder, and which mark tells
 * the mail client that a message is tracked. The IO modules ask these and do what they answer.
 * (Whether a message's headers or content make it worth tracking is src/mail/decide-tracking.ts.)
 */

/** What the rules need to know of the mailbox. */
export interface TrackingPolicy {
  mailbox: 'personal' | 'shared';
  /** The keyword the user sets to track a message (personal mailboxes). */
  trackingKeyword: string | undefined;
  /** What a shared mailbox does to a message it imported. */
  processed: { keyword: string } | { moveTo: string } | undefined;
  /** The mailbox owner: untracking deletes only what they own. */
  ownerId: string | null;
}

export function policyOf(spec: MailboxSpec): TrackingPolicy {
  return { mailbox: spec.mailbox, trackingKeyword: spec.personal?.trackingKeyword, processed: spec.shared?.processed, ownerId: spec.ownerId };
}

/**
 * A new UID (or one that failed before): left alone, repaired, its flag change applied (a row an
 * interrupted pass left), recorded as seen, or fetched (whole, or its headers first).
 */
export type NewMessageAction =
  | { action: 'leave' }
  | { action: 'repair'; row: MailMessageStatus }
  | { action: 'flags'; row: MailMessageStatus; change: 'untrack' | 'record' }
  | { action: 'seen' }
  | { action: 'import'; fetch: 'full' | 'headers'; retrying: boolean };

export function planNewMessage(
  row: MailMessageStatus | undefined,
  summary: MessageSummary,
  context: { policy: TrackingPolicy; folderRole: FolderRole; allowed: ReadonlySet<number> | null; maxItemAttempts: number },
): NewMessageAction {
  // Given up after sync.maxItemAttempts (the last error says so): left alone.
  if (row?.state === 'failed' && row.attempts >= context.maxItemAttempts) return { action: 'leave' };
  // Handled on an earlier pass that was interrupted before its cursor covered the UID: never
  // imported again, only repaired. Its flags may have changed since, and no CHANGEDSINCE will ever
  // report that change (the cursor's mod-sequence moves past it with this pass), so the rule for a
  // flag change is applied here: the tracking keyword set meanwhile imports it, taken off untracks it.
  if (row && row.state !== 'failed') {
    const change = planFlagChange(row, summary, context.policy);
    if (change === 'import') return { action: 'import', fetch: 'full', retrying: false };
    if (change === 'untrack' || change === 'record') return { action: 'flags', row, change };
    return { action: 'repair', row };
  }
  // Older than importSince (first import only).
  if (context.allowed && !context.allowed.has(summary.uid)) return { action: 'seen' };
  // Shared mailboxes and tracked folders take every message, the tracking keyword takes this one:
  // the content is needed anyway. Otherwise the headers decide before any body is downloaded.
  const everyMessage = context.policy.mailbox === 'shared' || context.folderRole === 'tracked';
  const full = everyMessage || hasTrackingKeyword(summary.flags, context.policy);
  return { action: 'import', fetch: full ? 'full' : 'headers', retrying: row?.state === 'failed' };
}

function hasTrackingKeyword(flags: readonly string[], policy: TrackingPolicy): boolean {
  return policy.trackingKeyword !== undefined && flags.includes(policy.trackingKeyword);
}

/**
 * Tracked because the user set the keyword, without asking the automatic policy: a personal
 * mailbox, outside the tracked folders (a message there is tracked by the folder).
 */
export function trackedByKeyword(flags: readonly string[], folderRole: FolderRole, policy: TrackingPolicy): boolean {
  return hasTrackingKeyword(flags, policy) && folderRole !== 'tracked' && policy.mailbox === 'personal';
}

/** A known message whose flags changed: the tracking keyword set (import), taken off (untrack), or nothing that matters. */
export type FlagChangeAction = 'import' | 'untrack' | 'record' | 'none';

export function planFlagChange(row: MailMessageStatus, summary: MessageSummary, policy: TrackingPolicy): FlagChangeAction {
  const had = hasTrackingKeyword(row.flags, policy);
  const has = hasTrackingKeyword(summary.flags, policy);
  if (!had && has && row.state !== 'tracked') return 'import';
  // Only a message tracked by the keyword is untracked by its removal (one in a tracked folder stays).
  if (had && !has && row.trackedBy === 'keyword') return 'untrack';
  // Only the tracking keyword matters in the stored flags; other flag changes (\Seen, our own
  // $CRMTracked) need no write.
  return had !== has ? 'record' : 'none';
}

/**
 * A UID that vanished from its folder: its row is gone. A deleted message never deletes its
 * activity; one that was tracked (however) may have moved to another place, which is decided once
 * every folder was read (planMovedOut).
 */
export function planVanished(row: MailMessageStatus | undefined): { gone: MailMessageStatus; movedOutCandidate: boolean } | null {
  if (!row || row.state === 'gone') return null;
  const gone: MailMessageStatus = { ...row, state: 'gone' };
  return { gone, movedOutCandidate: row.activityId !== null && row.trackedBy !== null };
}

/**
 * A tracked message that left its folder, given the rows of its Message-ID in this mailbox after
 * every folder was read. Still tracked elsewhere (moved, or a copy deleted): the old place leaves
 * the activity's sources (kept, it would hold the activity alive when the other place is untracked
 * later). Moved out of a tracked folder into a folder this pass read (a `seen` row there):
 * untracked. Otherwise a message from a tracked folder is searched for in the folders the pass did
 * not read ('search'); a synthetic identity (no Message-ID) cannot be searched for, and a message
 * tracked by keyword or policy that vanished was deleted: kept.
 */
export function planMovedOut(gone: MailMessageStatus, places: readonly MailMessageStatus[]): 'untrack' | 'search' | 'keep' {
  if (!gone.messageKey) return 'keep';
  const trackedElsewhere = places.some((place) => place.state === 'tracked');
  if (trackedElsewhere || (gone.trackedBy === 'folder' && places.some((place) => place.state === 'seen'))) return 'untrack';
  return gone.trackedBy === 'folder' && !isSyntheticMessageId(gone.messageKey) ? 'search' : 'keep';
}

/** Untracking a place deletes the activity only when no other place holds it and the mailbox owner owns it. */
export function untrackDeletesActivity(remainingSources: number, activityOwner: string | null, policy: TrackingPolicy): boolean {
  return remainingSources === 0 && activityOwner !== null && activityOwner === policy.ownerId;
}

/** The row of an untracked place: no activity, no reason; a vanished one stays gone. */
export function untrackedRow(row: MailMessageStatus): MailMessageStatus {
  return { ...row, state: row.state === 'gone' ? 'gone' : 'seen', trackedBy: null, activityId: null };
}

/** The keywords taken off a message whose activity the CRM deleted. */
export function keywordsOfDeletedActivity(policy: TrackingPolicy): string[] {
  return [trackedKeyword, ...(policy.mailbox === 'personal' && policy.trackingKeyword !== undefined ? [policy.trackingKeyword] : [])];
}

/** What the client should see for a tracked message: $CRMTracked, or the shared mailbox's processed keyword or move. */
export type MarkAction = { mark: 'move' } | { mark: 'keyword'; keyword: string } | { mark: 'unstorable'; keyword: string } | { mark: 'none' };

export function planMark(flags: readonly string[], policy: TrackingPolicy, canStoreKeyword: (keyword: string) => boolean): MarkAction {
  const processed = policy.processed;
  if (processed && 'moveTo' in processed) return { mark: 'move' };
  const keyword = processed && 'keyword' in processed ? processed.keyword : trackedKeyword;
  if (flags.includes(keyword)) return { mark: 'none' };
  // RFC 3501 §7.1 PERMANENTFLAGS: a keyword the folder does not keep would be lost; warned instead.
  return canStoreKeyword(keyword) ? { mark: 'keyword', keyword } : { mark: 'unstorable', keyword };
}

/** A message handled on an earlier (perhaps interrupted) pass: re-apply the mark that may be missing. */
export function planRepair(row: MailMessageStatus, flags: readonly string[], policy: TrackingPolicy, canStoreKeyword: (keyword: string) => boolean): MarkAction {
  return row.state === 'tracked' ? planMark(flags, policy, canStoreKeyword) : { mark: 'none' };
}
