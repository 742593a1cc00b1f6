import type { Regarding } from '../../domain/activity.js';
import { BridgeError, isBridgeError } from '../../domain/errors.js';
import { failureScope, PassFailures } from '../engine/failure.js';
import { messageKey } from '../../domain/message-id.js';
import type { ParsedMessage } from '../../mail/parsed-message.js';
import { StoreDirectory } from '../../store/party-directory.js';
import type { FolderState, MailboxSession, MessageSummary } from '../../ports/mail.js';
import type { MailMessageStatus } from '../../store/mail-messages.js';
import type { Store } from '../../store/store.js';
import type { PlannedFolder } from './folder-plan.js';
import { messageRef, type MailboxSpec, type MailSyncDeps } from './mailbox-spec.js';
import { policyOf, type TrackingPolicy } from './plan-messages.js';

/** What every step of one pass over one mailbox works with; only the tally changes. */
export interface MailPass {
  readonly spec: MailboxSpec;
  readonly deps: MailSyncDeps;
  readonly store: Store;
  readonly session: MailboxSession;
  readonly signal: AbortSignal;
  readonly directory: StoreDirectory;
  readonly policy: TrackingPolicy;
  readonly pageSize: number;
  readonly batchBytes: number;
  readonly maxMessageBytes: number;
  /** What the pass reports: activities created or deleted. */
  readonly tally: { changed: number };
  /** Messages and folders that failed (src/sync/engine/failure.ts decides how far a failure reaches). */
  readonly failures: PassFailures;
}

export function newMailPass(spec: MailboxSpec, deps: MailSyncDeps, session: MailboxSession, signal: AbortSignal): MailPass {
  return {
    spec,
    deps,
    store: deps.store,
    session,
    signal,
    directory: new StoreDirectory(deps.store, deps.users),
    policy: policyOf(spec),
    pageSize: deps.pageSize ?? 1000,
    batchBytes: deps.batchBytes ?? 8 * 1024 * 1024,
    maxMessageBytes: deps.maxMessageBytes ?? 50 * 1024 * 1024,
    tally: { changed: 0 },
    failures: new PassFailures(deps.store.syncErrors, spec.sourceId, deps.log),
  };
}

/** One folder during one pass: what was selected, and what the pass did there so far. */
export interface FolderPass {
  readonly folder: PlannedFolder;
  /** As selected; after the pass's own writes, as selected again to fold them in (see syncFolder). */
  state: FolderState;
  /** The record a `CRM/<name>` folder is linked to: mail filed there is regarding it. */
  readonly regarding: Regarding | null;
  /** This pass stored or removed flags here, so the folder's HIGHESTMODSEQ moved (see syncFolder). */
  wroteFlags: boolean;
  /** UIDs that failed during this pass: tried once already, not again by the retry of failed ones. */
  readonly failed: Set<number>;
  /** The PERMANENTFLAGS warning was logged for this folder during this pass. */
  keywordWarned: boolean;
}

export function newFolderPass(folder: PlannedFolder, state: FolderState, regarding: Regarding | null): FolderPass {
  return { folder, state, regarding, wroteFlags: false, failed: new Set(), keywordWarned: false };
}

export function refOf(here: FolderPass, uid: number): string {
  return messageRef(here.folder.path, here.state.uidValidity, uid);
}

export function seenRow(pass: MailPass, here: FolderPass, summary: MessageSummary, key: string | null): MailMessageStatus {
  return { sourceId: pass.spec.sourceId, folder: here.folder.path, uidValidity: here.state.uidValidity, uid: summary.uid, messageKey: key, flags: summary.flags, modseq: summary.modseq, activityId: null, trackedBy: null, state: 'seen', attempts: 0, lastError: null };
}

export async function recordSeen(pass: MailPass, here: FolderPass, summary: MessageSummary, key: string | null): Promise<void> {
  await pass.store.mailMessages.put(seenRow(pass, here, summary, key));
}

/** A UID known only by number (named by UID SEARCH, or by a failed row the server no longer lists). */
export function unknownSummary(uid: number): MessageSummary {
  return { uid, flags: [], modseq: null, size: 0, internalDate: new Date(0).toISOString() };
}

/**
 * A UID the server announced (UID SEARCH, or a FETCH of its flags and size) but then left out of
 * the FETCH of its content, or answered without it. RFC 3501 §6.4.8 lets a UID FETCH skip UIDs
 * that no longer exist; one that was expunged meanwhile is marked gone by the next pass's expunge
 * check before it is retried, so what stays failed is a message the server holds but withheld.
 */
export async function notDelivered(pass: MailPass, here: FolderPass, summary: MessageSummary): Promise<void> {
  const error = new BridgeError('NOT_FOUND', `IMAP folder "${here.folder.path}": the server announced UID ${summary.uid} but its FETCH answer did not deliver the message`);
  await itemFailed(pass, here, summary, undefined, error);
}

/** Those of `asked` that the FETCH answer did not deliver. */
export function notIn(asked: readonly MessageSummary[], delivered: ReadonlyArray<{ uid: number }>): MessageSummary[] {
  const got = new Set(delivered.map((raw) => raw.uid));
  return asked.filter((summary) => !got.has(summary.uid));
}

/**
 * One message failed (a connection loss or a struggling server is not a message's failure: it
 * ends the pass, failure.ts). Its failed row keeps it from being lost while the cursor moves on;
 * it is retried on later passes until sync.maxItemAttempts.
 */
export async function itemFailed(pass: MailPass, here: FolderPass, summary: MessageSummary, message: ParsedMessage | undefined, error: unknown): Promise<void> {
  if (failureScope(error, 'item') === 'source') throw error;
  await attemptFailed(pass, here, summary, message, error);
}

/**
 * Count a failed attempt of one message, whatever the failure's scope: a FETCH whose answer was
 * over the client's cap ends the pass (the connection is torn down), yet each message of that
 * batch must get its attempt, or the one that is too large would be fetched forever.
 */
export async function attemptFailed(pass: MailPass, here: FolderPass, summary: MessageSummary, message: ParsedMessage | undefined, error: unknown): Promise<void> {
  here.failed.add(summary.uid);
  const bridgeError = isBridgeError(error) ? error : new BridgeError('INTERNAL', error instanceof Error ? error.message : String(error), { cause: error });
  const ref = refOf(here, summary.uid);
  const sourceId = pass.spec.sourceId;
  const maxItemAttempts = pass.deps.maxItemAttempts;
  const previous = await pass.store.mailMessages.get(sourceId, here.folder.path, here.state.uidValidity, summary.uid);
  const attempts = (previous?.attempts ?? 0) + 1;
  // The last attempt says so: the message is left alone from now on (a reset or a changed
  // UIDVALIDITY reads it again).
  const givenUp = attempts >= maxItemAttempts ? `; given up after ${attempts} attempts (sync.maxItemAttempts)` : `; attempt ${attempts} of ${maxItemAttempts}, retried on the next pass`;
  await pass.store.mailMessages.put({
    sourceId,
    folder: here.folder.path,
    uidValidity: here.state.uidValidity,
    uid: summary.uid,
    messageKey: message ? messageKey(message.messageId) : null,
    flags: summary.flags,
    modseq: summary.modseq,
    activityId: null,
    trackedBy: null,
    state: 'failed',
    attempts,
    lastError: bridgeError.message.slice(0, 1000),
  });
  await pass.failures.record(ref, bridgeError.code, `${bridgeError.message}${givenUp}`, error);
}
