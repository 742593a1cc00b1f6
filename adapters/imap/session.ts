// One authenticated IMAP connection as the sync engine sees it (MailboxSession). Every method
// selects the folder it works on through imapflow's getMailboxLock(), which keeps the current
// selection and only sends SELECT when the folder differs (RFC 3501 §6.3.1); openFolder() always
// re-selects to report fresh UIDNEXT/HIGHESTMODSEQ. Message data is collected completely before
// anything else is sent (DESIGN.md principle 7: never a command inside a fetch iterator), and
// every message range is an explicit UID range or set.

import type { ExpungeEvent, FetchMessageObject, FetchQueryObject, ImapFlow, MailboxObject, ResponseEvent } from 'imapflow';
import { BridgeError } from '../../src/domain/errors.js';
import { messageKey, parseMessageIdList } from '../../src/domain/message-id.js';
import type {
  FlagChanges,
  FolderState,
  MailboxSession,
  MailFolder,
  MailServerSettings,
  MessageOutline,
  MessageSummary,
  RawMessage,
} from '../../src/ports/mail.js';
import { attachmentsOf } from './body-structure.js';
import { closeClient, describeAccount, secretsOf, timeoutOf } from './client.js';
import { canStoreFlag, reportedFlags, validateFlags } from './flags.js';
import { toBridgeError } from './parse-imap-error.js';
import { isUid, normalizeUids, uidRange, uidSets } from './uid-set.js';

/** RFC 6154 §2 special-use attributes; imapflow also reports a non-standard `\Inbox`. */
const SPECIAL_USES = new Map(['\\All', '\\Archive', '\\Drafts', '\\Flagged', '\\Junk', '\\Sent', '\\Trash'].map((use) => [use.toLowerCase(), use]));

/** RFC 7162 §7: mod-sequence-value is a positive 63-bit number. */
const MAX_MODSEQ = 2n ** 63n - 1n;

const SUMMARY_QUERY: FetchQueryObject = { uid: true, flags: true, size: true, internalDate: true };
const SOURCE_QUERY: FetchQueryObject = { uid: true, flags: true, internalDate: true, source: true };
const HEADER_QUERY: FetchQueryObject = { uid: true, flags: true, internalDate: true, headers: true };
/** BODY.PEEK[HEADER], RFC822.SIZE and BODYSTRUCTURE: all of a message but its content. */
const OUTLINE_QUERY: FetchQueryObject = { uid: true, flags: true, internalDate: true, size: true, headers: true, bodyStructure: true };
/** BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)] (RFC 3501 §6.4.5). */
const MESSAGE_ID_QUERY: FetchQueryObject = { uid: true, flags: true, internalDate: true, headers: ['message-id'] };
/** OR terms per SEARCH: keeps the command line short (servers limit it, e.g. Dovecot to 64 KiB). */
const MESSAGE_IDS_PER_SEARCH = 25;

/** The failed tagged response, for commands imapflow reports as `false` instead of throwing. */
interface Refusal {
  responseStatus: string;
  serverResponseCode?: string;
}

function isoDate(value: Date | string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const date = value instanceof Date ? value : new Date(value);
  // An INTERNALDATE imapflow could not parse still belongs to a real message; it is reported as
  // the epoch rather than dropping the message.
  return Number.isNaN(date.getTime()) ? new Date(0).toISOString() : date.toISOString();
}

/**
 * A FETCH answer may hold several rows for one message (a server may split the data items) and
 * unsolicited rows for other messages (flag changes made by other clients, RFC 3501 §7.4.2), which
 * imapflow collects alongside. Rows are merged per UID and only the requested UIDs are kept.
 */
function rowsByUid(rows: readonly FetchMessageObject[], wanted: (uid: number) => boolean): Map<number, FetchMessageObject> {
  const byUid = new Map<number, FetchMessageObject>();
  for (const row of rows) {
    if (!isUid(row.uid) || !wanted(row.uid)) continue;
    const seen = byUid.get(row.uid);
    byUid.set(row.uid, seen === undefined ? row : { ...seen, ...Object.fromEntries(Object.entries(row).filter(([, v]) => v !== undefined)) });
  }
  return new Map([...byUid].sort(([a], [b]) => a - b));
}

/** A full summary, or undefined for a row that lacks data items (an unsolicited flag update). */
function toSummary(row: FetchMessageObject): MessageSummary | undefined {
  const internalDate = isoDate(row.internalDate);
  if (row.flags === undefined || row.size === undefined || internalDate === undefined) return undefined;
  return { uid: row.uid, flags: reportedFlags(row.flags), modseq: row.modseq?.toString() ?? null, size: row.size, internalDate };
}

function toRaw(row: FetchMessageObject, source: Buffer | undefined): RawMessage | undefined {
  const internalDate = isoDate(row.internalDate);
  if (source === undefined || internalDate === undefined) return undefined;
  return { uid: row.uid, flags: reportedFlags(row.flags), modseq: row.modseq?.toString() ?? null, internalDate, source };
}

function defined<T>(value: T | undefined): value is T {
  return value !== undefined;
}

export class ImapSession implements MailboxSession {
  readonly capabilities: ReadonlySet<string>;
  private readonly account: string;
  private readonly secrets: readonly string[];
  private readonly logoutWaitMs: number;
  private closed = false;
  private readonly keepalive: NodeJS.Timeout;
  private lastRefusal: Refusal | null = null;
  private connectionError: Error | null = null;

  /** Takes over a connected, authenticated client (see ImapConnector). */
  constructor(
    private readonly client: ImapFlow,
    settings: MailServerSettings,
    accessToken?: string,
  ) {
    // Capability names are case-insensitive (RFC 3501 §7.2.1); the port speaks upper case.
    this.capabilities = new Set([...client.capabilities.keys()].map((name) => name.toUpperCase()));
    this.account = describeAccount(settings);
    this.secrets = secretsOf(settings, accessToken);
    this.logoutWaitMs = Math.min(timeoutOf(settings), 5000);
    // imapflow reports some failures (STORE, MOVE, COPY, SEARCH) as `false`, without the error.
    // The tagged NO/BAD and its RFC 5530 code are still announced as a 'response' event.
    client.on('response', (event: ResponseEvent) => {
      if (event.response === 'NO' || event.response === 'BAD') {
        this.lastRefusal = { responseStatus: event.response, ...(event.code !== undefined ? { serverResponseCode: event.code.toUpperCase() } : {}) };
      }
    });
    // An 'error' without a listener would throw from the EventEmitter and crash the process. The
    // connection is closed after it; the next call reports that as TEMPORARY.
    client.on('error', (error: Error) => {
      this.connectionError = error;
    });
    // With a folder selected imapflow goes into IDLE when the session is quiet, and its socket
    // watchdog then only sends a keepalive NOOP. With none selected (after LIST, CREATE) it would
    // take timeoutMs of quiet for a dead server and drop the connection, so a NOOP (RFC 3501
    // §6.1.2) keeps a session usable while the engine works between IMAP calls.
    const every = Math.max(250, Math.floor(timeoutOf(settings) / 3));
    this.keepalive = setInterval(() => {
      if (!client.usable || client.mailbox !== false) return;
      if (Date.now() - (client.lastClientWrite ?? 0) >= every) client.noop().catch(() => undefined);
    }, every);
    this.keepalive.unref();
    client.once('close', () => clearInterval(this.keepalive));
  }

  // ------------------------------------------------------------------ folders

  async listFolders(): Promise<MailFolder[]> {
    const context = `Listing the IMAP folders of ${this.account}`;
    this.assertOpen(context);
    try {
      // Not `listOnly`: Dovecot reports RFC 6154 attributes only when LIST asks for them with
      // RETURN (SPECIAL-USE) (RFC 6154 §5.1), which imapflow adds to the LIST-EXTENDED form that
      // also returns subscription state (RFC 5258). A plain LIST loses \Sent and friends.
      const entries = await this.client.list();
      return entries.map((entry) => {
        const flags = [...entry.flags].map((flag) => flag.toLowerCase());
        return {
          path: entry.path,
          delimiter: entry.delimiter ?? '',
          specialUse: entry.specialUse !== undefined ? (SPECIAL_USES.get(entry.specialUse.toLowerCase()) ?? null) : null,
          // RFC 3501 §7.2.2 \Noselect, RFC 5258 §3.4 \NonExistent: containers, not folders.
          selectable: !flags.includes('\\noselect') && !flags.includes('\\nonexistent'),
        };
      });
    } catch (error) {
      throw this.fail(error, context);
    }
  }

  async openFolder(path: string): Promise<FolderState> {
    const before = this.client.mailbox;
    return this.inFolder(path, 'Selecting', async (selected) => {
      // getMailboxLock() reuses an existing selection; its UIDNEXT and HIGHESTMODSEQ are from the
      // earlier SELECT. A second SELECT of the same folder reports the current values.
      const mailbox = selected === before ? await this.client.mailboxOpen(path) : selected;
      return this.folderState(path, mailbox);
    });
  }

  async createFolder(path: string): Promise<void> {
    const context = `Creating IMAP folder "${path}" of ${this.account}`;
    this.assertOpen(context);
    if (path.trim() === '') throw new BridgeError('INVALID_INPUT', `${context}: the folder name is empty`);
    try {
      // imapflow answers RFC 5530 ALREADYEXISTS with created: false, and SUBSCRIBEs (RFC 3501
      // §6.3.6) only what it created itself.
      const result = await this.client.mailboxCreate(path);
      if (result === undefined) throw this.refusal();
      if (!result.created) await this.subscribe(path);
    } catch (error) {
      // Servers without RFC 5530 answer a plain NO to CREATE of an existing folder.
      if (this.client.usable && (await this.folderExists(path))) {
        await this.subscribe(path);
        return;
      }
      throw this.fail(error, context);
    }
  }

  // ------------------------------------------------------------------ reading

  async summaries(path: string, from: number, to: number): Promise<MessageSummary[]> {
    const range = uidRange(from, to, 'summaries');
    this.assertOpen('summaries');
    if (range === null) return [];
    return this.inFolder(path, `Reading message summaries (UIDs ${range.from}:${range.to}) in`, async () => {
      const rows = await this.client.fetchAll(`${range.from}:${range.to}`, SUMMARY_QUERY, { uid: true });
      // UIDs that vanished since the caller learnt of them are simply absent.
      return [...rowsByUid(rows, (uid) => uid >= range.from && uid <= range.to).values()].map(toSummary).filter(defined);
    });
  }

  async summariesOf(path: string, uids: readonly number[]): Promise<MessageSummary[]> {
    const wanted = normalizeUids(uids, 'summariesOf');
    this.assertOpen('summariesOf');
    if (wanted.length === 0) return [];
    const wantedSet = new Set(wanted);
    return this.inFolder(path, `Reading the summaries of ${wanted.length} message(s) in`, async () => {
      const out: MessageSummary[] = [];
      for (const set of uidSets(wanted)) {
        const rows = await this.client.fetchAll(set, SUMMARY_QUERY, { uid: true });
        out.push(...[...rowsByUid(rows, (uid) => wantedSet.has(uid)).values()].map(toSummary).filter(defined));
      }
      return out.sort((a, b) => a.uid - b.uid);
    });
  }

  async searchSince(path: string, since: Date, from: number, to: number): Promise<number[]> {
    if (Number.isNaN(since.getTime())) throw new BridgeError('INVALID_INPUT', 'searchSince: the date is invalid');
    const range = uidRange(from, to, 'searchSince');
    this.assertOpen('searchSince');
    if (range === null) return [];
    return this.inFolder(path, `Searching messages since ${since.toISOString().slice(0, 10)} (UIDs ${range.from}:${range.to}) in`, async () => {
      // RFC 3501 §6.4.4 SINCE compares the date only (imapflow sends the UTC date of `since`);
      // a message from earlier the same day can match.
      const uids = await this.search({ since, uid: `${range.from}:${range.to}` });
      return uids.filter((uid) => uid >= range.from && uid <= range.to);
    });
  }

  async allUids(path: string): Promise<number[]> {
    this.assertOpen('allUids');
    return this.inFolder(path, 'Listing all UIDs in', () => this.search({ all: true }));
  }

  async changesSince(path: string, modseq: string, upTo: number): Promise<FlagChanges> {
    const since = /^[0-9]{1,19}$/.test(modseq) ? BigInt(modseq) : 0n;
    if (since < 1n || since > MAX_MODSEQ) {
      throw new BridgeError('INVALID_INPUT', `changesSince: ${JSON.stringify(modseq)} is not a mod-sequence (RFC 7162 §7: positive 63-bit number)`);
    }
    const range = uidRange(1, upTo, 'changesSince');
    this.assertOpen('changesSince');
    return this.inFolder(path, `Reading changes since mod-sequence ${modseq} in`, async (mailbox) => {
      // imapflow silently drops CHANGEDSINCE without CONDSTORE, which would report every message
      // as changed; a NOMODSEQ folder (RFC 7162 §3.1.2.2) has no mod-sequences to compare.
      if (!this.client.enabled.has('CONDSTORE') || mailbox.noModseq === true || mailbox.highestModseq === undefined) {
        throw new BridgeError('UNSUPPORTED', `IMAP folder "${path}" of ${this.account} has no mod-sequences (CONDSTORE, RFC 7162)`);
      }
      // With QRESYNC enabled imapflow adds VANISHED to the UID FETCH (RFC 7162 §3.2.6); the server
      // answers with VANISHED (EARLIER) for UIDs of the set expunged since the mod-sequence, which
      // imapflow emits as 'expunge' events (vanished: true, earlier: true) before the command
      // completes. A plain VANISHED during the command (an expunge happening right now) counts too.
      const qresync = this.client.enabled.has('QRESYNC');
      if (range === null) return { changed: [], vanished: qresync ? [] : null };
      const vanished = new Set<number>();
      const onExpunge = (event: ExpungeEvent): void => {
        if (event.vanished && event.uid !== undefined && event.path === mailbox.path) vanished.add(event.uid);
      };
      this.client.on('expunge', onExpunge);
      let rows: FetchMessageObject[];
      try {
        rows = await this.client.fetchAll(`1:${range.to}`, SUMMARY_QUERY, { uid: true, changedSince: since });
      } finally {
        this.client.off('expunge', onExpunge);
      }
      // A UID the server reported vanished is gone, whatever else came for it: Cyrus 3.6, asked on
      // a folder already selected, sends the FETCH of the message another client flagged \Deleted
      // and then expunged, and only after it the VANISHED (UIDs are never reused, RFC 3501 §2.3.1.1).
      const changed = [...rowsByUid(rows, (uid) => uid <= range.to && !vanished.has(uid)).values()].map(toSummary).filter(defined);
      return {
        changed,
        vanished: qresync ? [...vanished].filter((uid) => uid <= range.to).sort((a, b) => a - b) : null,
      };
    });
  }

  async fetchSources(path: string, uids: readonly number[]): Promise<RawMessage[]> {
    const wanted = normalizeUids(uids, 'fetchSources');
    this.assertOpen('fetchSources');
    if (wanted.length === 0) return [];
    return this.inFolder(path, `Fetching ${wanted.length} message(s) from`, () => this.fetchRaw(wanted, SOURCE_QUERY, (row) => row.source));
  }

  async fetchHeaders(path: string, uids: readonly number[]): Promise<RawMessage[]> {
    const wanted = normalizeUids(uids, 'fetchHeaders');
    this.assertOpen('fetchHeaders');
    if (wanted.length === 0) return [];
    // BODY.PEEK[HEADER] (RFC 3501 §6.4.5): the header block including its blank line; PEEK keeps \Seen.
    return this.inFolder(path, `Fetching the headers of ${wanted.length} message(s) from`, () => this.fetchRaw(wanted, HEADER_QUERY, (row) => row.headers));
  }

  async fetchOutlines(path: string, uids: readonly number[]): Promise<MessageOutline[]> {
    const wanted = normalizeUids(uids, 'fetchOutlines');
    this.assertOpen('fetchOutlines');
    if (wanted.length === 0) return [];
    const wantedSet = new Set(wanted);
    return this.inFolder(path, `Fetching the headers and structure of ${wanted.length} message(s) from`, async () => {
      const out: MessageOutline[] = [];
      for (const set of uidSets(wanted)) {
        const rows = await this.client.fetchAll(set, OUTLINE_QUERY, { uid: true });
        for (const row of rowsByUid(rows, (uid) => wantedSet.has(uid)).values()) {
          const internalDate = isoDate(row.internalDate);
          // Like fetchRaw: a row without the header block is left out, and the caller records it.
          if (row.headers === undefined || row.size === undefined || internalDate === undefined) continue;
          out.push({
            uid: row.uid,
            flags: reportedFlags(row.flags),
            modseq: row.modseq?.toString() ?? null,
            internalDate,
            size: row.size,
            headers: row.headers,
            attachments: attachmentsOf(row.bodyStructure),
          });
        }
      }
      return out;
    });
  }

  async findMessageIds(path: string, messageIds: readonly string[]): Promise<string[]> {
    const found = await this.locateMessageIds(path, messageIds);
    return messageIds.filter((id, index) => found.has(id) && messageIds.indexOf(id) === index);
  }

  async locateMessageIds(path: string, messageIds: readonly string[]): Promise<Map<string, number[]>> {
    this.assertOpen('locateMessageIds');
    const wanted = new Map<string, string>();
    for (const id of messageIds) if (id.trim() !== '') wanted.set(messageKey(id), id);
    if (wanted.size === 0) return new Map();
    return this.inFolder(path, `Looking for ${wanted.size} Message-ID(s) in`, async () => {
      const found = new Map<string, number[]>();
      const ids = [...wanted.values()];
      for (let start = 0; start < ids.length; start += MESSAGE_IDS_PER_SEARCH) {
        const terms = ids.slice(start, start + MESSAGE_IDS_PER_SEARCH).map((id) => ({ header: { 'message-id': id } }));
        const uids = await this.search(terms.length === 1 ? terms[0]! : { or: terms });
        if (uids.length === 0) continue;
        // HEADER matches substrings: <a@x> is inside <ba@x>. The matches' own header decides.
        for (const raw of await this.fetchRaw(uids, MESSAGE_ID_QUERY, (row) => row.headers)) {
          for (const id of parseMessageIdList(unfoldHeaderBlock(raw.source.toString('latin1')))) {
            const asked = wanted.get(messageKey(id));
            if (asked === undefined) continue;
            const at = found.get(asked) ?? [];
            if (!at.includes(raw.uid)) found.set(asked, [...at, raw.uid].sort((a, b) => a - b));
          }
        }
      }
      return found;
    });
  }

  // ------------------------------------------------------------------ writing

  async addFlags(path: string, uids: readonly number[], flags: readonly string[]): Promise<void> {
    await this.store(path, uids, flags, 'add');
  }

  async removeFlags(path: string, uids: readonly number[], flags: readonly string[]): Promise<void> {
    await this.store(path, uids, flags, 'remove');
  }

  async move(path: string, uids: readonly number[], destination: string): Promise<void> {
    const wanted = normalizeUids(uids, 'move');
    this.assertOpen('move');
    if (wanted.length === 0 || sameFolder(path, destination)) return;
    const doing = `Moving ${wanted.length} message(s) to "${destination}" from`;
    await this.inFolder(path, doing, async () => {
      for (const set of uidSets(wanted)) {
        this.lastRefusal = null;
        // UID MOVE (RFC 6851 §3.2). Without MOVE imapflow runs UID COPY, STORE +FLAGS \Deleted and
        // UID EXPUNGE (RFC 4315 §2.1), so other \Deleted messages stay; a server that also lacks
        // UIDPLUS gets a plain EXPUNGE, which removes every message flagged \Deleted.
        const result = await this.client.messageMove(set, destination, { uid: true });
        if (result === false || result === undefined) {
          throw toBridgeError(this.refusal(), `${doing} IMAP folder "${path}" of ${this.account}`, { folder: destination, secrets: this.secrets });
        }
      }
    });
  }

  async append(path: string, source: Buffer, flags: readonly string[] = [], date?: Date): Promise<{ uid: number | null }> {
    const context = `Appending a message to IMAP folder "${path}" of ${this.account}`;
    const wanted = validateFlags(flags, 'append');
    if (date !== undefined && Number.isNaN(date.getTime())) throw new BridgeError('INVALID_INPUT', `${context}: the date is invalid`);
    this.assertOpen(context);
    try {
      const result = await this.client.append(path, source, wanted, date);
      if (result === false) throw this.refusal();
      // RFC 4315 §3 APPENDUID; imapflow falls back to a lookup when the folder is selected.
      return { uid: result.uid !== undefined && isUid(result.uid) ? result.uid : null };
    } catch (error) {
      throw this.fail(error, context, path);
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.keepalive);
    await closeClient(this.client, this.logoutWaitMs);
  }

  // ------------------------------------------------------------------ internals

  private assertOpen(context: string): void {
    if (this.closed) throw new BridgeError('INTERNAL', `${context}: the IMAP session was already closed`);
  }

  private fail(error: unknown, context: string, folder?: string): BridgeError {
    // When imapflow stops reading (a response over the size caps, an unparsable one), the pending
    // command only learns NoConnection; the reason came first as the 'error' event.
    const noConnection = typeof error === 'object' && error !== null && (error as { code?: unknown }).code === 'NoConnection';
    const reason = noConnection && this.connectionError !== null ? this.connectionError : error;
    return toBridgeError(reason, context, { secrets: this.secrets, ...(folder !== undefined ? { folder } : {}) });
  }

  /**
   * The error behind a `false` from imapflow: the lost connection (with the server's BYE reason),
   * or the tagged NO/BAD the 'response' listener saw.
   */
  private refusal(): Error {
    if (!this.client.usable) {
      if (this.connectionError !== null) return this.connectionError;
      return Object.assign(new Error('IMAP connection not available'), {
        code: 'NoConnection',
        ...(this.client.byeReason !== undefined ? { reason: this.client.byeReason } : {}),
      });
    }
    return Object.assign(new Error('IMAP command refused'), this.lastRefusal ?? { responseStatus: 'NO' });
  }

  /**
   * Select `path` (only if another folder is selected) and run `work` while holding the lock.
   * `doing` reads on with the folder: `Fetching 3 message(s) from` (IMAP folder "INBOX" of ...).
   */
  private async inFolder<T>(path: string, doing: string, work: (mailbox: MailboxObject) => Promise<T>): Promise<T> {
    const context = `${doing} IMAP folder "${path}" of ${this.account}`;
    this.assertOpen(context);
    let lock: { release(): void };
    try {
      lock = await this.client.getMailboxLock(path);
    } catch (error) {
      throw this.fail(error, context, path);
    }
    try {
      const mailbox = this.client.mailbox;
      if (mailbox === false) throw this.refusal();
      return await work(mailbox);
    } catch (error) {
      throw this.fail(error, context, path);
    } finally {
      lock.release();
    }
  }

  private async folderState(path: string, mailbox: MailboxObject): Promise<FolderState> {
    // RFC 3501 §6.3.1: UIDVALIDITY and UIDNEXT are required SELECT responses.
    if (typeof mailbox.uidValidity !== 'bigint') {
      throw new BridgeError('UNSUPPORTED', `IMAP folder "${path}" of ${this.account} has no UIDVALIDITY`);
    }
    let uidNext = mailbox.uidNext;
    if (!isUid(uidNext)) {
      // Some servers omit UIDNEXT; one past the UID of the last message is what it would say.
      const last = mailbox.exists > 0 ? await this.client.fetchOne(String(mailbox.exists), { uid: true }) : false;
      uidNext = last === false ? 1 : last.uid + 1;
    }
    const modseqs = this.client.enabled.has('CONDSTORE') && mailbox.noModseq !== true && mailbox.highestModseq !== undefined;
    const permanentFlags = mailbox.permanentFlags !== undefined ? new Set(mailbox.permanentFlags) : undefined;
    const readOnly = mailbox.readOnly === true;
    return {
      path: mailbox.path,
      uidValidity: mailbox.uidValidity.toString(),
      uidNext,
      highestModseq: modseqs && mailbox.highestModseq !== undefined ? mailbox.highestModseq.toString() : null,
      messages: mailbox.exists,
      canStoreKeyword: (keyword: string) => canStoreFlag(permanentFlags, readOnly, keyword),
    };
  }

  private async fetchRaw(wanted: readonly number[], query: FetchQueryObject, pick: (row: FetchMessageObject) => Buffer | undefined): Promise<RawMessage[]> {
    const wantedSet = new Set(wanted);
    const out: RawMessage[] = [];
    for (const set of uidSets(wanted)) {
      // fetchAll() collects every row before resolving; no command runs while rows arrive.
      const rows = await this.client.fetchAll(set, query, { uid: true });
      // A UID the server leaves out, or answers without the section asked for, is simply not in
      // the result: the caller knows what it asked for and records those (a per-item error).
      for (const row of rowsByUid(rows, (uid) => wantedSet.has(uid)).values()) {
        const raw = toRaw(row, pick(row));
        if (raw !== undefined) out.push(raw);
      }
    }
    return out;
  }

  private async search(query: Parameters<ImapFlow['search']>[0]): Promise<number[]> {
    this.lastRefusal = null;
    const result = await this.client.search(query, { uid: true });
    if (!Array.isArray(result)) throw this.refusal();
    return [...new Set(result.filter(isUid))].sort((a, b) => a - b);
  }

  private async store(path: string, uids: readonly number[], flags: readonly string[], operation: 'add' | 'remove'): Promise<void> {
    const what = operation === 'add' ? 'addFlags' : 'removeFlags';
    const wanted = normalizeUids(uids, what);
    const wantedFlags = validateFlags(flags, what);
    this.assertOpen(what);
    if (wanted.length === 0 || wantedFlags.length === 0) return;
    const doing = `${operation === 'add' ? 'Adding' : 'Removing'} ${wantedFlags.join(' ')} ${operation === 'add' ? 'to' : 'from'} ${wanted.length} message(s) in`;
    await this.inFolder(path, doing, async (mailbox) => {
      if (mailbox.readOnly === true) {
        throw new BridgeError('UNSUPPORTED', `IMAP folder "${path}" of ${this.account} is read-only; cannot change flags`);
      }
      // imapflow silently drops flags missing from PERMANENTFLAGS (RFC 3501 §7.1); say so instead.
      const refused = operation === 'add' ? wantedFlags.filter((flag) => !canStoreFlag(mailbox.permanentFlags, false, flag)) : [];
      if (refused.length > 0) {
        throw new BridgeError('UNSUPPORTED', `IMAP folder "${path}" of ${this.account} cannot store ${refused.join(' ')} permanently (PERMANENTFLAGS)`);
      }
      for (const set of uidSets(wanted)) {
        this.lastRefusal = null;
        // .SILENT: no FETCH echo per message (RFC 3501 §6.4.6); callers re-read flags when they must.
        const options = { uid: true, silent: true };
        const ok =
          operation === 'add'
            ? await this.client.messageFlagsAdd(set, wantedFlags, options)
            : await this.client.messageFlagsRemove(set, wantedFlags, options);
        if (!ok) throw this.refusal();
      }
    });
  }

  private async subscribe(path: string): Promise<void> {
    this.lastRefusal = null;
    const ok = await this.client.mailboxSubscribe(path);
    // The folder exists, which is what matters; a refused SUBSCRIBE only hides it in clients that
    // show subscribed folders. A lost connection is still an error.
    if (!ok && !this.client.usable) throw this.refusal();
  }

  private async folderExists(path: string): Promise<boolean> {
    try {
      const entries = await this.client.list({ listOnly: true });
      return entries.some(
        (entry) => sameFolder(entry.path, path) && ![...entry.flags].some((flag) => flag.toLowerCase() === '\\nonexistent'),
      );
    } catch {
      return false;
    }
  }
}

/** INBOX is case-insensitive (RFC 3501 §5.1); other names are compared as given. */
function sameFolder(a: string, b: string): boolean {
  return a === b || (a.toUpperCase() === 'INBOX' && b.toUpperCase() === 'INBOX');
}

/** The values of a header block (only Message-ID was asked for), unfolded (RFC 5322 §2.2.3). */
function unfoldHeaderBlock(block: string): string {
  return block.replace(/\r?\n[ \t]+/g, ' ');
}
