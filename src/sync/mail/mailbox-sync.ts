import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { sql } from 'kysely';
import type { Logger } from 'pino';
import type { Regarding } from '../../domain/activity.js';
import { BridgeError, isBridgeError } from '../../domain/errors.js';
import { normalizeEmail } from '../../domain/fields.js';
import { decideTracking, type AutoTrackPolicy } from '../../mail/decide-tracking.js';
import { correlate, type CorrelationMatch, type CorrelationSettings } from '../../mail/correlate.js';
import { prepareIngest, writeIngest, type PreparedIngest } from '../../mail/ingest-message.js';
import { isSyntheticMessageId, messageKey } from '../../domain/message-id.js';
import { oversizedStandIn } from '../../mail/oversized-message.js';
import { parseMessage } from '../../mail/parse-message.js';
import type { ParsedMessage } from '../../mail/parsed-message.js';
import { isKnownParty, resolveParties } from '../../domain/resolve-parties.js';
import { StoreDirectory } from '../../store/party-directory.js';
import type { MailMessageStatus, TrackedBy } from '../../store/mail-messages.js';
import type { Store } from '../../store/store.js';
import type { FolderState, MailboxConnector, MailboxSession, MailFolder, MailServerSettings, MessageOutline, MessageSummary, RawMessage } from '../../ports/mail.js';
import { releaseBufferMemory } from './buffer-memory.js';
import { delimiterOf, folderSegment, isDiscardFolder, planPersonalFolders, resolveFolderPath, type PlannedFolder } from './folder-plan.js';

/** The keyword a tracked message gets so the user's client can show it (when PERMANENTFLAGS allow). */
export const trackedKeyword = '$CRMTracked';

export interface MailboxSpec {
  /** `imap:<user id>` or `shared-mailbox:<id>`; also the activity source id. */
  sourceId: string;
  mailbox: 'personal' | 'shared';
  ownerId: string | null;
  ownerEmail: string | null;
  queue: string | null;
  server: MailServerSettings;
  personal?: {
    trackedFolders: string[];
    trackingKeyword: string;
    autoTrack: AutoTrackPolicy;
    sentFolder?: string | undefined;
    extraFolders: string[];
    importSince?: string | undefined;
    createContacts: boolean;
  };
  shared?: {
    folders: string[];
    unknownSender: 'lead' | 'unresolved';
    processed: { keyword: string } | { moveTo: string };
    importSince?: string | undefined;
  };
}

export interface MailSyncDeps {
  store: Store;
  connector: MailboxConnector;
  log: Logger;
  users: ReadonlyArray<{ id: string; email: string }>;
  maxItemAttempts: number;
  correlation: CorrelationSettings;
  /** UIDs per page (explicit UID ranges; the cursor is checkpointed after each page). */
  pageSize?: number;
  /** Upper bound of message bytes fetched in one batch, to bound memory. */
  batchBytes?: number;
  /** mail.maxBodyBytes: text and HTML bodies stored per activity are cut to this size. */
  maxBodyBytes?: number;
  /** mail.maxMessageBytes: larger messages are imported from their headers and structure only. */
  maxMessageBytes?: number;
}

export interface MailSyncResult {
  changed: number;
  itemErrors: number;
  /** Folders worth an IDLE connection: INBOX, the tracked folders and Sent (or every shared folder). */
  watch: string[];
}

interface ImapCursor {
  uidValidity: string;
  highestUid: number;
  highestModseq: string | null;
}

function isCursor(value: unknown): value is ImapCursor {
  const cursor = value as ImapCursor | undefined;
  return typeof cursor === 'object' && cursor !== null && typeof cursor.uidValidity === 'string' && Number.isInteger(cursor.highestUid) && (cursor.highestModseq === null || typeof cursor.highestModseq === 'string');
}

/** RFC 5092-style reference of one message: folder, UIDVALIDITY and UID. */
export function messageRef(folder: string, uidValidity: string, uid: number): string {
  return `${folder};UIDVALIDITY=${uidValidity};UID=${uid}`;
}

/**
 * One pass over one mailbox (a user's own, or a shared one): new messages since each folder's
 * cursor, flag changes and expunges since the last pass (CONDSTORE/QRESYNC when offered, else UID
 * SEARCH and flag comparison), tracking and untracking, and the keyword/move that tells the mail
 * client what happened. Exactly once: a message's activity, its source and its status row commit
 * together; the folder cursor is checkpointed after each page; a message already in the status
 * table is never imported again, only repaired (keyword or move re-applied).
 */
export async function syncMailbox(spec: MailboxSpec, deps: MailSyncDeps, signal: AbortSignal, abort?: AbortSignal): Promise<MailSyncResult> {
  const session = await deps.connector.connect(spec.server, abort);
  try {
    return await new MailboxSync(spec, deps, session, signal).run();
  } finally {
    await session.close().catch(() => undefined);
  }
}

interface PendingFlags {
  add: Map<number, string[]>;
  move: number[];
}

class MailboxSync {
  private readonly directory: StoreDirectory;
  private readonly pageSize: number;
  private readonly batchBytes: number;
  private readonly maxMessageBytes: number;
  private changed = 0;
  private itemErrors = 0;
  /** Tracked messages that vanished from their folder this pass: moved out, or deleted? */
  private readonly vanishedFromTracked: MailMessageStatus[] = [];
  private folderLinks = new Map<string, { type: string; id: string }>();
  private readonly keywordWarned = new Set<string>();
  /** `folder\nuid` of messages that failed during this pass: tried once already, not again in retryFailed. */
  private readonly failedThisPass = new Set<string>();
  /** Folders where this pass stored or removed flags itself (see the end of syncFolder). */
  private readonly wroteFlagsIn = new Set<string>();
  /** The server's folders and the ones this pass reads (personal mailboxes): where else a message may have gone. */
  private serverFolders: MailFolder[] = [];
  private plannedPaths = new Set<string>();

  constructor(
    private readonly spec: MailboxSpec,
    private readonly deps: MailSyncDeps,
    private readonly session: MailboxSession,
    private readonly signal: AbortSignal,
  ) {
    this.directory = new StoreDirectory(deps.store, deps.users);
    this.pageSize = deps.pageSize ?? 1000;
    this.batchBytes = deps.batchBytes ?? 8 * 1024 * 1024;
    this.maxMessageBytes = deps.maxMessageBytes ?? 50 * 1024 * 1024;
  }

  private get store(): Store {
    return this.deps.store;
  }

  async run(): Promise<MailSyncResult> {
    const folders = await this.planFolders();
    const watch = folders.filter((folder) => folder.watch).map((folder) => folder.path);
    for (const folder of folders) {
      if (this.signal.aborted) break;
      try {
        await this.syncFolder(folder);
      } catch (error) {
        // A folder that vanished or cannot be read is recorded; the others go on. A dead
        // connection ends the pass for this source (the caller records it and retries later).
        if (isBridgeError(error) && (error.code === 'NOT_FOUND' || error.code === 'INVALID_INPUT' || error.code === 'UNSUPPORTED')) {
          this.itemErrors += 1;
          await this.recordError(folder.path, error.code, error.message);
          continue;
        }
        throw error;
      }
    }
    await this.untrackMovedOut();
    return { changed: this.changed, itemErrors: this.itemErrors, watch };
  }

  // ---------------------------------------------------------------- folders

  private async planFolders(): Promise<PlannedFolder[]> {
    let folders = await this.session.listFolders();
    if (this.spec.shared) {
      return this.spec.shared.folders.map((name) => ({ path: resolveFolderPath(name, folders), role: 'watched' as const, watch: true }));
    }
    const personal = this.spec.personal!;
    folders = await this.ensureTrackedFolders(folders, personal.trackedFolders);
    this.folderLinks = await this.store.mailMessages.folderLinks(this.spec.sourceId);
    const planned = planPersonalFolders(folders, { trackedFolders: personal.trackedFolders, sentFolder: personal.sentFolder, extraFolders: personal.extraFolders });
    this.serverFolders = folders;
    this.plannedPaths = new Set(planned.map((folder) => folder.path));
    return planned;
  }

  /**
   * Tracked folders exist, and below the first one a folder per open account and opportunity of the
   * user (`CRM/<name>`), linked to its record so mail moved there is filed as regarding it.
   */
  private async ensureTrackedFolders(folders: MailFolder[], trackedFolders: readonly string[]): Promise<MailFolder[]> {
    const existing = new Set(folders.map((folder) => folder.path.toLowerCase()));
    let created = false;
    const create = async (path: string) => {
      if (existing.has(path.toLowerCase())) return;
      await this.session.createFolder(path);
      existing.add(path.toLowerCase());
      created = true;
    };
    for (const name of trackedFolders) await create(resolveFolderPath(name, folders));
    let current = folders;
    if (created) {
      // The server may have put a new folder elsewhere than asked: the IMAP client adds the personal
      // namespace prefix (RFC 2342), so on an account listing only INBOX `CRM` becomes `INBOX.CRM`.
      // The folders below it, and their links, start from where it really is.
      current = await this.session.listFolders();
      for (const folder of current) existing.add(folder.path.toLowerCase());
      created = false;
    }
    const rootName = trackedFolders[0];
    if (rootName && this.spec.ownerId) {
      const root = resolveFolderPath(rootName, current);
      const delimiter = delimiterOf(current);
      const links = await this.store.mailMessages.folderLinks(this.spec.sourceId);
      const linkedRecords = new Map([...links].map(([folder, record]) => [`${record.type}:${record.id}`, folder]));
      const usedPaths = new Set([...links.keys()].map((path) => path.toLowerCase()));
      for (const record of await this.openRecordsOfOwner(this.spec.ownerId)) {
        const key = `${record.type}:${record.id}`;
        let path = linkedRecords.get(key);
        if (path && !existing.has(path.toLowerCase())) path = await this.relinkIfPrefixed(path, current, usedPaths);
        if (!path) {
          path = `${root}${delimiter}${folderSegment(record.name, delimiter)}`;
          // Two records with the same name get distinct folders.
          if (usedPaths.has(path.toLowerCase())) path = `${path} (${record.id.slice(-6)})`;
          await this.store.mailMessages.linkFolder(this.spec.sourceId, path, { type: record.type, id: record.id });
          usedPaths.add(path.toLowerCase());
        }
        await create(path);
      }
    }
    return created ? this.session.listFolders() : current;
  }

  /**
   * A link stored before the bridge listed the folders again after creating them points at
   * `CRM.<name>` while the server created `INBOX.CRM.<name>` (the IMAP client adds the personal
   * namespace prefix): move the link to where the folder really is.
   */
  private async relinkIfPrefixed(path: string, folders: readonly MailFolder[], usedPaths: Set<string>): Promise<string> {
    const prefixed = `INBOX${delimiterOf(folders)}${path}`.toLowerCase();
    const actual = folders.find((folder) => folder.path.toLowerCase() === prefixed)?.path;
    if (!actual || usedPaths.has(prefixed)) return path;
    await this.store.mailMessages.moveFolderLink(this.spec.sourceId, path, actual);
    usedPaths.add(prefixed);
    return actual;
  }

  private async openRecordsOfOwner(owner: string): Promise<Array<{ type: Regarding['type']; id: string; name: string }>> {
    const records: Array<{ type: Regarding['type']; id: string; name: string }> = [];
    for (let cursor: string | undefined, first = true; first || cursor; first = false) {
      const page = await this.store.accounts.list({ owner }, { limit: 500, cursor });
      records.push(...page.items.map((account) => ({ type: 'account' as const, id: account.id, name: account.name })));
      cursor = page.next ?? undefined;
    }
    for (let cursor: string | undefined, first = true; first || cursor; first = false) {
      const page = await this.store.opportunities.list({ owner, stage: 'open' }, { limit: 500, cursor });
      records.push(...page.items.map((deal) => ({ type: 'opportunity' as const, id: deal.id, name: deal.name })));
      cursor = page.next ?? undefined;
    }
    return records;
  }

  private async syncFolder(folder: PlannedFolder): Promise<void> {
    const state = await this.session.openFolder(folder.path);
    const stored = await this.store.syncCursors.get(this.spec.sourceId, folder.path);
    let cursor = isCursor(stored) ? stored : undefined;
    let validityChanged = false;
    if (cursor && cursor.uidValidity !== state.uidValidity) {
      // RFC 3501 §2.3.1.1: every UID of the folder is void. Re-read it all; messages are matched to
      // their activities again by Message-ID (or content hash), so nothing is duplicated.
      this.deps.log.warn({ source: this.spec.sourceId, folder: folder.path, was: cursor.uidValidity, now: state.uidValidity }, 'UIDVALIDITY changed: re-matching the folder');
      cursor = undefined;
      validityChanged = true;
    }
    if (cursor) await this.syncExisting(folder, state, cursor);
    await this.untrackDeletedInCrm(folder, state);
    await this.syncNew(folder, state, cursor);
    // Stopped mid-import (shutdown, or the pass deadline): the page checkpoints hold what was
    // read; the folder's final cursor below would claim the unread rest and skip it for good.
    if (this.signal.aborted) return;
    await this.retryFailed(folder, state);
    if (validityChanged) await this.dropOldValidity(folder.path, state.uidValidity);
    const highestUid = Math.max(state.uidNext - 1, cursor?.highestUid ?? 0);
    let highestModseq = state.highestModseq;
    if (this.wroteFlagsIn.has(folder.path) && state.highestModseq !== null && this.session.capabilities.has('CONDSTORE')) {
      // Our own keyword stores raised HIGHESTMODSEQ during this pass. Fold them (and whatever another
      // client changed meanwhile) in now, so the next pass starts from the real value and an
      // unchanged mailbox costs one SELECT (RFC 7162 §3.1.2.1) instead of re-reading every flag.
      const after = await this.session.openFolder(folder.path);
      if (after.uidValidity === state.uidValidity && after.highestModseq !== null && after.highestModseq !== state.highestModseq) {
        await this.syncExisting(folder, after, { uidValidity: state.uidValidity, highestUid, highestModseq: state.highestModseq });
        highestModseq = after.highestModseq;
      }
    }
    await this.store.syncCursors.put(this.spec.sourceId, folder.path, { uidValidity: state.uidValidity, highestUid, highestModseq });
  }

  private async dropOldValidity(folder: string, keep: string): Promise<void> {
    for (const row of await this.store.mailMessages.otherValidities(this.spec.sourceId, folder, keep)) {
      if (row.activityId) await this.store.activities.removeSource(row.activityId, { type: 'imap', sourceId: this.spec.sourceId, ref: messageRef(folder, row.uidValidity, row.uid) });
    }
    await this.store.mailMessages.removeOtherValidities(this.spec.sourceId, folder, keep);
  }

  // ---------------------------------------------------------------- changes to known messages

  private async syncExisting(folder: PlannedFolder, state: FolderState, cursor: ImapCursor): Promise<void> {
    if (cursor.highestUid === 0) return;
    // RFC 7162 §3.1.2.1: an unchanged HIGHESTMODSEQ means no flag changed and (with QRESYNC) nothing
    // was expunged: the common case costs one SELECT.
    if (state.highestModseq !== null && cursor.highestModseq !== null && state.highestModseq === cursor.highestModseq) return;
    let changed: MessageSummary[];
    let vanished: number[] | null = null;
    if (state.highestModseq !== null && cursor.highestModseq !== null && this.session.capabilities.has('CONDSTORE')) {
      const changes = await this.session.changesSince(folder.path, cursor.highestModseq, cursor.highestUid);
      changed = changes.changed;
      vanished = changes.vanished;
    } else {
      changed = await this.session.summaries(folder.path, 1, cursor.highestUid);
    }
    if (vanished === null) {
      const present = new Set(await this.session.allUids(folder.path));
      const known = await this.store.mailMessages.present(this.spec.sourceId, folder.path, state.uidValidity);
      vanished = known.filter((row) => row.uid <= cursor.highestUid && !present.has(row.uid)).map((row) => row.uid);
    }
    const rows = changed.length > 0 ? await this.store.mailMessages.range(this.spec.sourceId, folder.path, state.uidValidity, Math.min(...changed.map((s) => s.uid)), Math.max(...changed.map((s) => s.uid))) : new Map<number, MailMessageStatus>();
    for (const summary of changed) {
      const row = rows.get(summary.uid);
      if (row) await this.flagsChanged(folder, state, row, summary);
    }
    for (const uid of vanished) {
      const row = await this.store.mailMessages.get(this.spec.sourceId, folder.path, state.uidValidity, uid);
      if (!row || row.state === 'gone') continue;
      await this.store.mailMessages.put({ ...row, state: 'gone' });
      // A deleted message never deletes its activity; only a move out of a tracked folder into a
      // folder the bridge reads (decided after all folders are read) untracks it. However it was
      // tracked, a message moved into another place that tracks it leaves its old place behind.
      if (row.activityId && row.trackedBy !== null) this.vanishedFromTracked.push({ ...row, state: 'gone' });
    }
  }

  private async flagsChanged(folder: PlannedFolder, state: FolderState, row: MailMessageStatus, summary: MessageSummary): Promise<void> {
    const keyword = this.spec.personal?.trackingKeyword;
    const had = keyword !== undefined && row.flags.includes(keyword);
    const has = keyword !== undefined && summary.flags.includes(keyword);
    const updated = { ...row, flags: summary.flags, modseq: summary.modseq };
    if (!had && has && row.state !== 'tracked') {
      const [raw] = summary.size > this.maxMessageBytes ? await this.fetchOversized(folder.path, state, [summary]) : await this.session.fetchSources(folder.path, [summary.uid]);
      if (!raw) {
        await this.notDelivered(folder.path, state, summary);
        return;
      }
      const pending = emptyPending();
      await this.importMessage(folder, state, raw, pending, 'keyword');
      await this.applyPending(folder, state, pending);
      return;
    }
    if (had && !has && row.trackedBy === 'keyword') {
      await this.untrack(updated, { removeKeywordFrom: folder.path });
      return;
    }
    // Only the tracking keyword matters in the stored flags; other flag changes (\Seen, our own
    // $CRMTracked) need no write.
    if (had !== has) await this.store.mailMessages.put(updated);
  }

  // ---------------------------------------------------------------- new messages

  private async syncNew(folder: PlannedFolder, state: FolderState, cursor: ImapCursor | undefined): Promise<void> {
    const first = (cursor?.highestUid ?? 0) + 1;
    const last = state.uidNext - 1;
    const importSince = cursor ? undefined : (this.spec.personal?.importSince ?? this.spec.shared?.importSince);
    for (let start = first; start <= last; start += this.pageSize) {
      if (this.signal.aborted) return;
      const end = Math.min(last, start + this.pageSize - 1);
      const summaries = await this.session.summaries(folder.path, start, end);
      const allowed = importSince ? new Set(await this.session.searchSince(folder.path, new Date(`${importSince}T00:00:00Z`), start, end)) : null;
      // UID SEARCH named these, but the FETCH of their flags and size did not answer for them.
      const listed = new Set(summaries.map((summary) => summary.uid));
      for (const uid of allowed ?? []) if (!listed.has(uid)) await this.notDelivered(folder.path, state, unknownSummary(uid));
      await this.processPage(folder, state, summaries, allowed);
      // Checkpoint: a restart goes on after this page.
      await this.store.syncCursors.put(this.spec.sourceId, folder.path, { uidValidity: state.uidValidity, highestUid: end, highestModseq: cursor ? state.highestModseq : null });
    }
  }

  private async processPage(folder: PlannedFolder, state: FolderState, summaries: MessageSummary[], allowed: Set<number> | null): Promise<void> {
    if (summaries.length === 0) return;
    const rows = await this.store.mailMessages.range(this.spec.sourceId, folder.path, state.uidValidity, summaries[0]!.uid, summaries.at(-1)!.uid);
    const pending = emptyPending();
    const full: MessageSummary[] = [];
    const headersOnly: MessageSummary[] = [];
    /** Failed on an earlier pass: fetched one per FETCH, so one bad message cannot fail the others again. */
    const retrying = new Set<number>();
    for (const summary of summaries) {
      const row = rows.get(summary.uid);
      // Given up after sync.maxItemAttempts (the last error says so): left alone.
      if (row?.state === 'failed' && row.attempts >= this.deps.maxItemAttempts) continue;
      if (row?.state === 'failed') retrying.add(summary.uid);
      if (row && row.state !== 'failed') {
        this.repair(row, summary, state, pending);
        continue;
      }
      if (allowed && !allowed.has(summary.uid)) {
        await this.recordSeen(folder.path, state, summary, null);
        continue;
      }
      const everyMessage = this.spec.mailbox === 'shared' || folder.role === 'tracked';
      const keyword = this.spec.personal?.trackingKeyword;
      if (everyMessage || (keyword !== undefined && summary.flags.includes(keyword))) full.push(summary);
      else headersOnly.push(summary);
    }
    // Messages the policy may or may not track: their headers decide, and identify them for
    // move detection, before any body is downloaded.
    const decided = new Map<number, TrackedBy>();
    const headerRaws = await this.session.fetchHeaders(folder.path, headersOnly.map((summary) => summary.uid));
    for (const summary of notIn(headersOnly, headerRaws)) await this.notDelivered(folder.path, state, summary);
    const announced = new Map(summaries.map((summary) => [summary.uid, summary]));
    for (const raw of headerRaws) {
      // The announced summary carries the message's real size (RFC822.SIZE), not the header block's.
      const summary = announced.get(raw.uid) ?? summaryOf(raw);
      try {
        const headers = await parseMessage(raw.source);
        const { trackedBy } = await this.trackReason(folder, headers);
        if (trackedBy) {
          decided.set(raw.uid, trackedBy);
          full.push(summary);
        } else await this.recordSeen(folder.path, state, summary, messageKey(headers.messageId));
      } catch (error) {
        await this.itemFailed(folder.path, state, summary, undefined, error);
      }
    }
    full.sort((a, b) => a.uid - b.uid);
    // RFC822.SIZE came with the summaries: a message over mail.maxMessageBytes is never fetched
    // whole (no extra round trip for the others).
    const oversized = full.filter((summary) => summary.size > this.maxMessageBytes);
    const fetchable = full.filter((summary) => summary.size <= this.maxMessageBytes);
    const batches = [
      ...batchesBySize(
        fetchable.filter((summary) => !retrying.has(summary.uid)),
        this.batchBytes,
      ),
      ...fetchable.filter((summary) => retrying.has(summary.uid)).map((summary) => [summary]),
    ];
    // The next batch is on its way from the server while this one is parsed and stored, so IMAP
    // and the CPU overlap. fetchSources() resolves only once its FETCH has completed, and nothing
    // else is sent meanwhile (imapflow queues commands), so no command runs inside a fetch.
    const fetch = (index: number): Promise<RawMessage[]> | null => {
      const batch = batches[index];
      if (!batch) return null;
      const fetching = this.session.fetchSources(folder.path, batch.map((summary) => summary.uid));
      fetching.catch(() => undefined); // awaited below; an early failure must not go unhandled
      return fetching;
    };
    let next = fetch(0);
    for (let index = 0; next; index += 1) {
      let raws: RawMessage[];
      try {
        raws = await next;
      } catch (error) {
        // The server sent more than its RFC822.SIZE said, past the client's cap (PAYLOAD_TOO_LARGE):
        // the connection is gone. Every message of the batch gets an attempt, so the next pass
        // fetches them one by one and only the offending one is given up in the end.
        if (isBridgeError(error) && error.code === 'PAYLOAD_TOO_LARGE') {
          for (const summary of batches[index]!) await this.itemFailed(folder.path, state, summary, undefined, error);
        }
        throw error;
      }
      next = fetch(index + 1);
      for (const summary of notIn(batches[index]!, raws)) await this.notDelivered(folder.path, state, summary);
      // The headers already decided some of these; the decision is not made again from the full message.
      await this.importBatch(folder, state, raws, pending, decided);
      releaseBufferMemory();
    }
    if (oversized.length > 0) await this.importBatch(folder, state, await this.fetchOversized(folder.path, state, oversized), pending, decided);
    await this.applyPending(folder, state, pending);
  }

  /**
   * Messages over mail.maxMessageBytes: their header block and BODYSTRUCTURE only, made into
   * stand-ins (src/mail/oversized-message.ts) that import like any message. Each is noted in
   * sync_errors (PAYLOAD_TOO_LARGE) so the admin sees what was not downloaded.
   */
  private async fetchOversized(folder: string, state: FolderState, summaries: readonly MessageSummary[]): Promise<RawMessage[]> {
    const outlines: MessageOutline[] = [];
    // One per FETCH (such messages are rare): a header block over the client's cap then fails only
    // its own message, which gets the attempt, as in processPage.
    for (const summary of summaries) {
      try {
        outlines.push(...(await this.session.fetchOutlines(folder, [summary.uid])));
      } catch (error) {
        if (isBridgeError(error) && error.code === 'PAYLOAD_TOO_LARGE') await this.itemFailed(folder, state, summary, undefined, error);
        throw error;
      }
    }
    for (const summary of notIn(summaries, outlines)) await this.notDelivered(folder, state, summary);
    const raws: RawMessage[] = [];
    for (const outline of outlines) {
      const ref = messageRef(folder, state.uidValidity, outline.uid);
      await this.recordError(ref, 'PAYLOAD_TOO_LARGE', `the message is ${outline.size} bytes, over mail.maxMessageBytes (${this.maxMessageBytes}): imported from its headers and structure only`);
      raws.push({ uid: outline.uid, flags: outline.flags, modseq: outline.modseq, internalDate: outline.internalDate, source: oversizedStandIn(outline, this.maxMessageBytes) });
    }
    return raws;
  }

  /**
   * Messages that failed on an earlier pass (a parse error, or a UID the server announced but did
   * not deliver) are tried again, once per pass, until `sync.maxItemAttempts`. Their status row is
   * what keeps them from being lost while the folder cursor moves on: the cursor passes a UID only
   * once it has a row (imported, seen, or failed and waiting here).
   */
  private async retryFailed(folder: PlannedFolder, state: FolderState): Promise<void> {
    const failed = (await this.store.mailMessages.failed(this.spec.sourceId, folder.path, state.uidValidity, this.deps.maxItemAttempts)).filter(
      (row) => !this.failedThisPass.has(passKey(folder.path, row.uid)),
    );
    if (failed.length === 0) return;
    // Their sizes decide how they are fetched, as for new mail (processPage).
    const summaries = await this.session.summariesOf(folder.path, failed.map((row) => row.uid));
    const listed = new Set(summaries.map((summary) => summary.uid));
    for (const row of failed) {
      if (!listed.has(row.uid)) await this.notDelivered(folder.path, state, { ...unknownSummary(row.uid), flags: row.flags, modseq: row.modseq });
    }
    await this.processPage(folder, state, summaries, null);
  }

  /**
   * Why a message is tracked, if it is, and the correlation found on the way (so the import does not
   * look it up again). Shared mailboxes and tracked folders need no lookup at all.
   */
  private async trackReason(folder: PlannedFolder, message: ParsedMessage): Promise<{ trackedBy: TrackedBy | null; correlated?: CorrelationMatch | null }> {
    const personal = this.spec.personal;
    const facts = { mailbox: this.spec.mailbox, folderRole: folder.role, hasTrackingKeyword: false, policy: personal?.autoTrack ?? 'none', repliesToCrmMail: false, counterpartKnown: false };
    const decided = decideTracking(facts);
    if (decided || facts.policy === 'none') return { trackedBy: decided };
    const correlated = await correlate(this.store, message, this.deps.correlation);
    let counterpartKnown = false;
    if (facts.policy === 'known-senders' && !correlated) {
      const outgoing = folder.role === 'sent' || this.isFromOwner(message);
      const counterpart = outgoing ? [...message.to, ...message.cc].map((a) => ({ ...a, role: 'to' as const })) : message.from.map((a) => ({ ...a, role: 'from' as const }));
      counterpartKnown = (await resolveParties(counterpart, this.directory)).some(isKnownParty);
    }
    return { trackedBy: decideTracking({ ...facts, repliesToCrmMail: correlated !== null, counterpartKnown }), correlated };
  }

  private isFromOwner(message: ParsedMessage): boolean {
    const owner = this.spec.ownerEmail ? normalizeEmail(this.spec.ownerEmail) : null;
    return owner !== null && message.from.some((address) => normalizeEmail(address.address) === owner);
  }

  private async importMessage(folder: PlannedFolder, state: FolderState, raw: RawMessage, pending: PendingFlags, forced: TrackedBy | undefined): Promise<void> {
    await this.importBatch(folder, state, [raw], pending, forced === undefined ? new Map() : new Map([[raw.uid, forced]]));
  }

  /**
   * One fetched batch. Every message is parsed and prepared (parties, attachment files) outside
   * any transaction; then the whole batch commits in ONE transaction, each message's activity,
   * source and status row together, each under its own savepoint so a message that fails there is
   * rolled back alone and recorded as failed. A crash before the commit leaves nothing of the batch
   * (the cursor moves only after the page, so the next pass fetches it again); a crash after it
   * leaves complete rows, whose keywords the next pass repairs. Exactly once either way.
   */
  private async importBatch(folder: PlannedFolder, state: FolderState, raws: RawMessage[], pending: PendingFlags, decided: ReadonlyMap<number, TrackedBy>): Promise<void> {
    interface Item {
      summary: MessageSummary;
      ref: string;
      key: string | null;
      message?: ParsedMessage;
      trackedBy?: TrackedBy;
      prepared?: PreparedIngest;
      created?: boolean;
      error?: unknown;
    }
    const items: Item[] = [];
    for (let index = 0; index < raws.length; index += 1) {
      const raw = raws[index]!;
      // The batch's sources are dropped as they are parsed: memory holds one batch, not two.
      raws[index] = undefined as unknown as RawMessage;
      const item: Item = { summary: summaryOf(raw), ref: messageRef(folder.path, state.uidValidity, raw.uid), key: null };
      items.push(item);
      // Parsing and storing rarely wait for I/O, so without this the event loop would not read the
      // socket until the batch is done, and the next batch would not arrive while this one is worked on.
      await yieldToEventLoop();
      try {
        const message = await parseMessage(raw.source, this.deps.maxBodyBytes === undefined ? {} : { maxBodyBytes: this.deps.maxBodyBytes });
        // Attachment bytes are written to the blob store by prepareIngest; the item keeps none.
        item.message = { ...message, attachments: [] };
        item.key = messageKey(message.messageId);
        const forced = decided.get(raw.uid);
        const keyword = this.spec.personal?.trackingKeyword;
        const byKeyword = keyword !== undefined && raw.flags.includes(keyword) && folder.role !== 'tracked' && this.spec.mailbox === 'personal';
        const reason = forced !== undefined || byKeyword ? { trackedBy: forced ?? ('keyword' as const) } : await this.trackReason(folder, message);
        if (!reason.trackedBy) continue;
        item.trackedBy = reason.trackedBy;
        const outgoing = this.spec.mailbox === 'personal' && (folder.role === 'sent' || this.isFromOwner(message));
        const shared = this.spec.shared;
        const trackedBy = reason.trackedBy;
        const key = item.key;
        item.prepared = await prepareIngest(
          this.store,
          this.directory,
          message,
          {
            source: { sourceId: this.spec.sourceId, ref: item.ref },
            correlation: this.deps.correlation,
            // A correlation found before the batch is kept; none found is looked up again in the
            // transaction, where an original earlier in the same batch is visible.
            ...('correlated' in reason && reason.correlated ? { correlated: reason.correlated } : {}),
            owner: this.spec.ownerId,
            kind: outgoing ? 'email_out' : 'email_in',
            queue: this.spec.queue,
            regarding: folder.role === 'tracked' ? this.regardingOf(folder.path) : null,
            createLeadForUnknownSender: shared?.unknownSender === 'lead',
            createContacts: this.spec.personal?.createContacts ?? false,
            alsoInTransaction: async (tx, activityId) => {
              await tx.mailMessages.put({ sourceId: this.spec.sourceId, folder: folder.path, uidValidity: state.uidValidity, uid: raw.uid, messageKey: key, flags: raw.flags, modseq: raw.modseq, activityId, trackedBy, state: 'tracked', attempts: 0, lastError: null });
            },
          },
          true,
        );
      } catch (error) {
        if (isBridgeError(error) && error.code === 'TEMPORARY') throw error;
        item.error = error;
      }
    }
    if (items.some((item) => item.error === undefined)) {
      // The attachment files were written while the batch was parsed; the transaction starts once
      // they are there, so it does not hold the database while a large one is still being written.
      await Promise.allSettled(items.map((item) => item.prepared?.blobs));
      await this.store.atomically(async (tx) => {
        for (const item of items) {
          if (item.error !== undefined) continue;
          if (!item.prepared) {
            await tx.mailMessages.put(this.seenRow(folder.path, state, item.summary, item.key));
            continue;
          }
          await yieldToEventLoop();
          await sql`savepoint ingest_message`.execute(tx.db);
          try {
            item.created = (await writeIngest(tx, this.directory, item.prepared)).created;
            await sql`release savepoint ingest_message`.execute(tx.db);
          } catch (error) {
            await sql`rollback to savepoint ingest_message`.execute(tx.db);
            await sql`release savepoint ingest_message`.execute(tx.db);
            if (isBridgeError(error) && error.code === 'TEMPORARY') throw error;
            item.error = error;
          }
        }
      });
    }
    for (const item of items) {
      if (item.error !== undefined) {
        await this.itemFailed(folder.path, state, item.summary, item.message, item.error);
        continue;
      }
      if (!item.prepared) continue;
      if (item.created) this.changed += 1;
      for (const warning of item.message?.warnings ?? []) await this.recordError(item.ref, 'INVALID_INPUT', `imported with a problem: ${warning}`);
      this.markTracked(item.summary, state, pending);
    }
  }

  private regardingOf(path: string): Regarding | null {
    const link = this.folderLinks.get(path);
    return link ? ({ type: link.type, id: link.id } as Regarding) : null;
  }

  // ---------------------------------------------------------------- flags and moves on the server

  /** What the client should see for a tracked message: $CRMTracked, or the shared mailbox's processed keyword/move. */
  private markTracked(summary: MessageSummary, state: FolderState, pending: PendingFlags): void {
    const processed = this.spec.shared?.processed;
    if (processed && 'moveTo' in processed) {
      pending.move.push(summary.uid);
      return;
    }
    const keyword = processed && 'keyword' in processed ? processed.keyword : trackedKeyword;
    if (!summary.flags.includes(keyword)) {
      if (state.canStoreKeyword(keyword)) pending.add.set(summary.uid, [keyword]);
      else this.warnKeyword(state.path, keyword);
    }
  }

  /** A message handled on an earlier (perhaps interrupted) pass: re-apply what may be missing. */
  private repair(row: MailMessageStatus, summary: MessageSummary, state: FolderState, pending: PendingFlags): void {
    if (row.state === 'tracked') this.markTracked(summary, state, pending);
  }

  private async applyPending(folder: PlannedFolder, state: FolderState, pending: PendingFlags): Promise<void> {
    if (pending.add.size > 0) {
      const byKeyword = new Map<string, number[]>();
      for (const [uid, keywords] of pending.add) for (const keyword of keywords) byKeyword.set(keyword, [...(byKeyword.get(keyword) ?? []), uid]);
      for (const [keyword, uids] of byKeyword) {
        await this.session.addFlags(folder.path, uids, [keyword]);
        this.wroteFlagsIn.add(folder.path);
        // Verify the keyword landed (DESIGN.md principle 7): some servers accept STORE and drop it.
        const check = await this.session.summaries(folder.path, Math.min(...uids), Math.max(...uids));
        const missing = check.filter((summary) => uids.includes(summary.uid) && !summary.flags.includes(keyword));
        if (missing.length > 0) this.warnKeyword(folder.path, keyword);
      }
    }
    const moveTo = this.spec.shared?.processed && 'moveTo' in this.spec.shared.processed ? this.spec.shared.processed.moveTo : undefined;
    if (moveTo && pending.move.length > 0) {
      const folders = await this.session.listFolders();
      const destination = resolveFolderPath(moveTo, folders);
      if (!folders.some((entry) => entry.path === destination)) await this.session.createFolder(destination);
      await this.session.move(folder.path, pending.move, destination);
      this.wroteFlagsIn.add(folder.path);
      for (const uid of pending.move) {
        const row = await this.store.mailMessages.get(this.spec.sourceId, folder.path, state.uidValidity, uid);
        if (row) await this.store.mailMessages.put({ ...row, state: 'gone' });
      }
    }
  }

  private warnKeyword(folder: string, keyword: string): void {
    if (this.keywordWarned.has(folder)) return;
    this.keywordWarned.add(folder);
    this.deps.log.warn({ source: this.spec.sourceId, folder, keyword }, 'the server does not keep this keyword (PERMANENTFLAGS); tracked mail is not marked in the mail client');
  }

  // ---------------------------------------------------------------- untracking

  /**
   * Untrack: forget this place of the message; the activity itself goes only when the mailbox owner
   * owns it and no other place still holds it.
   */
  private async untrack(row: MailMessageStatus, options: { removeKeywordFrom?: string } = {}): Promise<void> {
    const activityId = row.activityId;
    await this.store.atomically(async (tx) => {
      if (activityId) {
        const remaining = await tx.activities.removeSource(activityId, { type: 'imap', sourceId: this.spec.sourceId, ref: messageRef(row.folder, row.uidValidity, row.uid) });
        const activity = await tx.activities.get(activityId);
        if (activity && remaining === 0 && activity.owner !== null && activity.owner === this.spec.ownerId) {
          await tx.activities.delete(activityId);
          this.changed += 1;
        }
      }
      await tx.mailMessages.put({ ...row, state: row.state === 'gone' ? 'gone' : 'seen', trackedBy: null, activityId: null });
    });
    if (options.removeKeywordFrom) {
      await this.session.removeFlags(options.removeKeywordFrom, [row.uid], [trackedKeyword]);
      this.wroteFlagsIn.add(options.removeKeywordFrom);
    }
  }

  /** Activities deleted through the API: take the tracking keywords off their messages. */
  private async untrackDeletedInCrm(folder: PlannedFolder, state: FolderState): Promise<void> {
    const rows = await this.store.mailMessages.toUntrack(this.spec.sourceId, folder.path, state.uidValidity);
    if (rows.length === 0) return;
    const keywords = [trackedKeyword, ...(this.spec.personal ? [this.spec.personal.trackingKeyword] : [])];
    await this.session.removeFlags(folder.path, rows.map((row) => row.uid), keywords);
    this.wroteFlagsIn.add(folder.path);
    for (const row of rows) await this.store.mailMessages.put({ ...row, state: 'seen', flags: row.flags.filter((flag) => !keywords.includes(flag)) });
  }

  /**
   * A message that left a tracked folder was moved out (untracked: the CRM copy goes if the user
   * owns it) or deleted (the activity stays). Moved into a folder this pass read, it has a `seen`
   * row there; otherwise the server's other folders are asked for its Message-ID (Trash and Junk
   * excepted: a message there was deleted). Not found anywhere: deleted.
   */
  private async untrackMovedOut(): Promise<void> {
    const unresolved: MailMessageStatus[] = [];
    for (const gone of this.vanishedFromTracked) {
      if (!gone.messageKey) continue;
      const places = await this.store.mailMessages.byMessageKey(this.spec.sourceId, gone.messageKey);
      // Still tracked elsewhere (moved, or a copy deleted): the place that no longer exists leaves the
      // activity's sources (kept, it would hold the activity alive when that other place is untracked
      // later). Moved out of a tracked folder into a folder this pass read: untracked.
      const trackedElsewhere = places.some((place) => place.state === 'tracked');
      if (trackedElsewhere || (gone.trackedBy === 'folder' && places.some((place) => place.state === 'seen'))) {
        await this.untrack(gone);
        continue;
      }
      // A synthetic identity (the message had no Message-ID) cannot be searched for.
      if (gone.trackedBy === 'folder' && !isSyntheticMessageId(gone.messageKey)) unresolved.push(gone);
    }
    if (unresolved.length === 0) return;
    // The key is the Message-ID lower-cased without brackets; SEARCH compares case-insensitively.
    const elsewhere = await this.foundInUnreadFolders(unresolved.map((row) => `<${row.messageKey}>`));
    for (const row of unresolved) if (elsewhere.has(row.messageKey!)) await this.untrack(row);
  }

  /** Message keys of those Message-IDs that are in a folder this pass does not read (not Trash or Junk). */
  private async foundInUnreadFolders(messageIds: readonly string[]): Promise<Set<string>> {
    const found = new Set<string>();
    const candidates = this.serverFolders.filter((folder) => folder.selectable && !this.plannedPaths.has(folder.path) && !isDiscardFolder(folder));
    for (const folder of candidates) {
      const missing = messageIds.filter((id) => !found.has(messageKey(id)));
      if (missing.length === 0) break;
      try {
        for (const id of await this.session.findMessageIds(folder.path, missing)) found.add(messageKey(id));
      } catch (error) {
        // A folder that vanished or refuses the search is skipped; a dead connection ends the pass.
        if (isBridgeError(error) && error.code !== 'TEMPORARY' && error.code !== 'AUTH') continue;
        throw error;
      }
    }
    return found;
  }

  // ---------------------------------------------------------------- bookkeeping

  private async recordSeen(folder: string, state: FolderState, summary: MessageSummary, key: string | null): Promise<void> {
    await this.store.mailMessages.put(this.seenRow(folder, state, summary, key));
  }

  private seenRow(folder: string, state: FolderState, summary: MessageSummary, key: string | null): MailMessageStatus {
    return { sourceId: this.spec.sourceId, folder, uidValidity: state.uidValidity, uid: summary.uid, messageKey: key, flags: summary.flags, modseq: summary.modseq, activityId: null, trackedBy: null, state: 'seen', attempts: 0, lastError: null };
  }

  /**
   * A UID the server announced (UID SEARCH, or a FETCH of its flags and size) but then left out of
   * the FETCH of its content, or answered without it. RFC 3501 §6.4.8 lets a UID FETCH skip UIDs
   * that no longer exist; one that was expunged meanwhile is marked gone by the next pass's expunge
   * check before it is retried, so what stays failed is a message the server holds but withheld.
   */
  private async notDelivered(folder: string, state: FolderState, summary: MessageSummary): Promise<void> {
    const error = new BridgeError('NOT_FOUND', `IMAP folder "${folder}": the server announced UID ${summary.uid} but its FETCH answer did not deliver the message`);
    await this.itemFailed(folder, state, summary, undefined, error);
  }

  private async itemFailed(folder: string, state: FolderState, summary: MessageSummary, message: ParsedMessage | undefined, error: unknown): Promise<void> {
    if (isBridgeError(error) && error.code === 'TEMPORARY') throw error;
    this.itemErrors += 1;
    this.failedThisPass.add(passKey(folder, summary.uid));
    const bridgeError = isBridgeError(error) ? error : new BridgeError('INTERNAL', error instanceof Error ? error.message : String(error), { cause: error });
    const ref = messageRef(folder, state.uidValidity, summary.uid);
    const previous = await this.store.mailMessages.get(this.spec.sourceId, folder, state.uidValidity, summary.uid);
    const attempts = (previous?.attempts ?? 0) + 1;
    // The last attempt says so: the message is left alone from now on (a reset or a changed
    // UIDVALIDITY reads it again).
    const givenUp = attempts >= this.deps.maxItemAttempts ? `; given up after ${attempts} attempts (sync.maxItemAttempts)` : `; attempt ${attempts} of ${this.deps.maxItemAttempts}, retried on the next pass`;
    await this.store.mailMessages.put({
      sourceId: this.spec.sourceId,
      folder,
      uidValidity: state.uidValidity,
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
    await this.recordError(ref, bridgeError.code, `${bridgeError.message}${givenUp}`);
    this.deps.log.warn({ source: this.spec.sourceId, ref, code: bridgeError.code, err: error }, 'message not imported');
  }

  private async recordError(itemRef: string, code: BridgeError['code'], message: string): Promise<void> {
    await this.store.syncErrors.record(this.spec.sourceId, itemRef, code, message);
  }
}

function emptyPending(): PendingFlags {
  return { add: new Map(), move: [] };
}

function passKey(folder: string, uid: number): string {
  return `${folder}\n${uid}`;
}

/** A UID known only by number (named by UID SEARCH, or by a failed row the server no longer lists). */
function unknownSummary(uid: number): MessageSummary {
  return { uid, flags: [], modseq: null, size: 0, internalDate: new Date(0).toISOString() };
}

/** Those of `asked` that the FETCH answer did not deliver. */
function notIn(asked: readonly MessageSummary[], delivered: ReadonlyArray<{ uid: number }>): MessageSummary[] {
  const got = new Set(delivered.map((raw) => raw.uid));
  return asked.filter((summary) => !got.has(summary.uid));
}

function summaryOf(raw: RawMessage): MessageSummary {
  return { uid: raw.uid, flags: raw.flags, modseq: raw.modseq, size: raw.source.length, internalDate: raw.internalDate };
}

/** Split into batches of at most `maxBytes` (a single bigger message gets a batch of its own). */
export function batchesBySize(summaries: readonly MessageSummary[], maxBytes: number): MessageSummary[][] {
  const batches: MessageSummary[][] = [];
  let current: MessageSummary[] = [];
  let bytes = 0;
  for (const summary of summaries) {
    if (current.length > 0 && (bytes + summary.size > maxBytes || current.length >= 100)) {
      batches.push(current);
      current = [];
      bytes = 0;
    }
    current.push(summary);
    bytes += summary.size;
  }
  if (current.length > 0) batches.push(current);
  return batches;
}
