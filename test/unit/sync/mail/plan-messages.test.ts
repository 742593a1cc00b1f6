import { describe, expect, it } from 'vitest';
import type { MessageSummary } from '../../../../src/ports/mail.js';
import type { MailMessageStatus } from '../../../../src/store/mail-messages.js';
import { syntheticMessageId, messageKey } from '../../../../src/domain/message-id.js';
import {
  keywordsOfDeletedActivity,
  planFlagChange,
  planMark,
  planMovedOut,
  planNewMessage,
  planRepair,
  planVanished,
  trackedByKeyword,
  untrackDeletesActivity,
  untrackedRow,
  type TrackingPolicy,
} from '../../../../src/sync/mail/plan-messages.js';

const personal: TrackingPolicy = { mailbox: 'personal', trackingKeyword: '$CRM', processed: undefined, ownerId: 'alice' };
const shared: TrackingPolicy = { mailbox: 'shared', trackingKeyword: undefined, processed: { keyword: '$Done' }, ownerId: null };
const sharedMoving: TrackingPolicy = { ...shared, processed: { moveTo: 'Processed' } };

function summary(uid: number, flags: string[] = []): MessageSummary {
  return { uid, flags, modseq: '5', size: 100, internalDate: '2026-01-05T10:00:00.000Z' };
}

function row(overrides: Partial<MailMessageStatus> = {}): MailMessageStatus {
  return { sourceId: 'imap:alice', folder: 'INBOX', uidValidity: '1', uid: 1, messageKey: 'a@x', flags: [], modseq: '1', activityId: null, trackedBy: null, state: 'seen', attempts: 0, lastError: null, ...overrides };
}

const tracked = (overrides: Partial<MailMessageStatus> = {}) => row({ state: 'tracked', activityId: 'act-1', trackedBy: 'folder', ...overrides });
const always = () => true;

describe('planNewMessage', () => {
  const context = { policy: personal, folderRole: 'watched' as const, allowed: null, maxItemAttempts: 3 };
  it('never imports a message that has a row again: it is repaired', () => {
    for (const state of ['seen', 'tracked', 'gone', 'untrack'] as const) expect(planNewMessage(row({ state }), summary(1), context)).toEqual({ action: 'repair', row: row({ state }) });
  });
  it('applies a flag change made after an interrupted pass left the row: the keyword set imports, taken off untracks, else recorded', () => {
    // The cursor did not cover the UID yet, so no CHANGEDSINCE will report the change later.
    expect(planNewMessage(row({ state: 'seen' }), summary(1, ['$CRM']), context)).toEqual({ action: 'import', fetch: 'full', retrying: false });
    const byKeyword = tracked({ trackedBy: 'keyword', flags: ['$CRM'] });
    expect(planNewMessage(byKeyword, summary(1, ['\\Seen']), context)).toEqual({ action: 'flags', row: byKeyword, change: 'untrack' });
    expect(planNewMessage(row({ flags: ['$CRM'] }), summary(1), context)).toEqual({ action: 'flags', row: row({ flags: ['$CRM'] }), change: 'record' });
    // A message tracked by its folder keeps being tracked when the keyword comes off, and one tracked already is not imported again.
    expect(planNewMessage(tracked({ flags: ['$CRM'] }), summary(1), context)).toMatchObject({ action: 'flags', change: 'record' });
    expect(planNewMessage(tracked(), summary(1, ['$CRM']), context)).toMatchObject({ action: 'flags', change: 'record' });
  });
  it('leaves a message alone once it failed sync.maxItemAttempts times, and retries one that failed fewer', () => {
    expect(planNewMessage(row({ state: 'failed', attempts: 3 }), summary(1), context)).toEqual({ action: 'leave' });
    expect(planNewMessage(row({ state: 'failed', attempts: 2 }), summary(1), context)).toEqual({ action: 'import', fetch: 'headers', retrying: true });
  });
  it('records messages older than importSince as seen', () => {
    expect(planNewMessage(undefined, summary(1), { ...context, allowed: new Set([2]) })).toEqual({ action: 'seen' });
    expect(planNewMessage(undefined, summary(2), { ...context, allowed: new Set([2]) })).toMatchObject({ action: 'import' });
  });
  it('fetches whole what is tracked anyway (shared mailbox, tracked folder, tracking keyword), else the headers first', () => {
    expect(planNewMessage(undefined, summary(1), context)).toEqual({ action: 'import', fetch: 'headers', retrying: false });
    expect(planNewMessage(undefined, summary(1, ['$CRM']), context)).toMatchObject({ fetch: 'full' });
    expect(planNewMessage(undefined, summary(1), { ...context, folderRole: 'tracked' })).toMatchObject({ fetch: 'full' });
    expect(planNewMessage(undefined, summary(1), { ...context, policy: shared })).toMatchObject({ fetch: 'full' });
  });
});

describe('trackedByKeyword', () => {
  it('is the keyword in a personal mailbox outside the tracked folders', () => {
    expect(trackedByKeyword(['$CRM'], 'watched', personal)).toBe(true);
    expect(trackedByKeyword(['$CRM'], 'sent', personal)).toBe(true);
    expect(trackedByKeyword(['$CRM'], 'tracked', personal)).toBe(false);
    expect(trackedByKeyword([], 'watched', personal)).toBe(false);
    expect(trackedByKeyword(['$CRM'], 'watched', { ...shared, trackingKeyword: '$CRM' })).toBe(false);
  });
});

describe('planFlagChange', () => {
  it('imports a message the user just flagged, unless it is tracked already', () => {
    expect(planFlagChange(row(), summary(1, ['$CRM']), personal)).toBe('import');
    expect(planFlagChange(tracked(), summary(1, ['$CRM']), personal)).toBe('record');
  });
  it('untracks a message tracked by the keyword when it comes off; one tracked by its folder only records it', () => {
    expect(planFlagChange(tracked({ trackedBy: 'keyword', flags: ['$CRM'] }), summary(1), personal)).toBe('untrack');
    expect(planFlagChange(tracked({ trackedBy: 'folder', flags: ['$CRM'] }), summary(1), personal)).toBe('record');
  });
  it('ignores every other flag change (no write)', () => {
    expect(planFlagChange(row({ flags: ['\\Seen'] }), summary(1, ['$CRMTracked']), personal)).toBe('none');
    expect(planFlagChange(row(), summary(1, ['$CRM']), shared)).toBe('none');
  });
});

describe('planVanished', () => {
  it('marks the row gone; a tracked one becomes a moved-out candidate', () => {
    expect(planVanished(undefined)).toBeNull();
    expect(planVanished(row({ state: 'gone' }))).toBeNull();
    expect(planVanished(row())).toEqual({ gone: row({ state: 'gone' }), movedOutCandidate: false });
    expect(planVanished(tracked())).toEqual({ gone: tracked({ state: 'gone' }), movedOutCandidate: true });
    expect(planVanished(row({ state: 'untrack', activityId: 'act-1', trackedBy: null }))?.movedOutCandidate).toBe(false);
  });
});

describe('planMovedOut', () => {
  const gone = tracked({ state: 'gone' });
  it('untracks the old place when the message is tracked elsewhere, however it was tracked', () => {
    expect(planMovedOut(gone, [gone, tracked({ folder: 'CRM/Acme', uid: 9 })])).toBe('untrack');
    expect(planMovedOut({ ...gone, trackedBy: 'keyword' }, [tracked({ folder: 'CRM', uid: 9 })])).toBe('untrack');
  });
  it('untracks a message moved from a tracked folder into a folder the pass read', () => {
    expect(planMovedOut(gone, [gone, row({ folder: 'Archive', uid: 4 })])).toBe('untrack');
  });
  it('searches the unread folders for a message from a tracked folder found nowhere else', () => {
    expect(planMovedOut(gone, [gone])).toBe('search');
  });
  it('keeps (deleted) what cannot be searched for or was not tracked by a folder', () => {
    expect(planMovedOut({ ...gone, messageKey: null }, [])).toBe('keep');
    expect(planMovedOut({ ...gone, messageKey: messageKey(syntheticMessageId('ab'.repeat(32))) }, [])).toBe('keep');
    expect(planMovedOut({ ...gone, trackedBy: 'keyword' }, [row({ folder: 'Archive' })])).toBe('keep');
    expect(planMovedOut({ ...gone, trackedBy: 'shared' }, [])).toBe('keep');
  });
});

describe('untracking', () => {
  it('deletes the activity only when no place holds it any more and the mailbox owner owns it', () => {
    expect(untrackDeletesActivity(0, 'alice', personal)).toBe(true);
    expect(untrackDeletesActivity(1, 'alice', personal)).toBe(false);
    expect(untrackDeletesActivity(0, 'bob', personal)).toBe(false);
    expect(untrackDeletesActivity(0, null, personal)).toBe(false);
    expect(untrackDeletesActivity(0, null, shared)).toBe(false);
  });
  it('forgets the activity and the reason; a vanished place stays gone', () => {
    expect(untrackedRow(tracked())).toEqual(row());
    expect(untrackedRow(tracked({ state: 'gone' }))).toEqual(row({ state: 'gone' }));
  });
  it('takes $CRMTracked and the tracking keyword off a message whose activity the CRM deleted', () => {
    expect(keywordsOfDeletedActivity(personal)).toEqual(['$CRMTracked', '$CRM']);
    expect(keywordsOfDeletedActivity(shared)).toEqual(['$CRMTracked']);
  });
});

describe('planMark and planRepair', () => {
  it('marks tracked mail $CRMTracked, shared mail with its processed keyword or move, and nothing twice', () => {
    expect(planMark([], personal, always)).toEqual({ mark: 'keyword', keyword: '$CRMTracked' });
    expect(planMark(['$CRMTracked'], personal, always)).toEqual({ mark: 'none' });
    expect(planMark([], shared, always)).toEqual({ mark: 'keyword', keyword: '$Done' });
    expect(planMark(['$Done'], sharedMoving, always)).toEqual({ mark: 'move' });
  });
  it('does not store a keyword the folder cannot keep (PERMANENTFLAGS)', () => {
    expect(planMark([], personal, () => false)).toEqual({ mark: 'unstorable', keyword: '$CRMTracked' });
  });
  it('repairs only tracked rows', () => {
    expect(planRepair(tracked(), [], personal, always)).toEqual({ mark: 'keyword', keyword: '$CRMTracked' });
    expect(planRepair(row(), [], personal, always)).toEqual({ mark: 'none' });
    expect(planRepair(row({ state: 'gone' }), [], sharedMoving, always)).toEqual({ mark: 'none' });
  });
});
