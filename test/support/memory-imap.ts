// An IMAP server in memory behind the mail ports (src/ports/mail.ts), for tests of the mail engine
// without Dovecot: folders with UIDs and UIDVALIDITY, flags and keywords, CONDSTORE mod-sequences
// (RFC 7162) with or without QRESYNC, moves and expunges, and injected faults, including the lost
// answer of a STORE the server has already applied.
import { BridgeError } from '../../src/domain/errors.js';
import { messageKey, parseMessageIdList } from '../../src/domain/message-id.js';
import type {
  FlagChanges,
  FolderState,
  MailboxConnector,
  MailboxSession,
  MailFolder,
  MailServerSettings,
  MessageOutline,
  MessageSummary,
  RawMessage,
} from '../../src/ports/mail.js';

interface StoredMessage {
  source: Buffer;
  flags: Set<string>;
  modseq: number;
  internalDate: string;
}

interface Folder {
  path: string;
  specialUse: string | null;
  uidValidity: number;
  uidNext: number;
  /** RFC 7162 §3.1.1: the highest mod-sequence of the folder, raised by every change and (QRESYNC) expunge. */
  highestModseq: number;
  messages: Map<number, StoredMessage>;
  /** UID -> mod-sequence of its expunge, for VANISHED (EARLIER) (RFC 7162 §3.2.10). */
  expunged: Map<number, number>;
  /** Keywords the server keeps (PERMANENTFLAGS); null: `\*`, any keyword. */
  permanentKeywords: Set<string> | null;
}

/** Which session calls write to the server (the rest only read). */
const writeCalls = new Set(['addFlags', 'removeFlags', 'move', 'createFolder', 'append']);

export interface FaultPlan {
  /** 1-based index of the session call (counted over every session of this server) that fails. */
  failAtCall: number;
  /** For a write: the server applies it, then the answer is lost (the connection drops). */
  afterApplying: boolean;
}

export class MemoryImap implements MailboxConnector {
  readonly folders = new Map<string, Folder>();
  capabilities = new Set(['IMAP4rev1', 'CONDSTORE', 'QRESYNC', 'MOVE', 'UIDPLUS']);
  /** Session calls so far, every session together (what FaultPlan.failAtCall counts). */
  calls = 0;
  /** Write calls that reached the server (applied), every session together. */
  writes = 0;
  /** Names of the session calls, in order, for assertions on what a pass did. */
  readonly log: string[] = [];
  fault: FaultPlan | null = null;
  /** Folders whose SELECT fails with this error (a server that answers NO for one folder, say). */
  readonly refusing = new Map<string, BridgeError>();
  /** Called with the call count at every session call (a test stops a pass there, say). */
  onCall: ((calls: number) => void) | null = null;
  private nextValidity = 1000;
  private clock = Date.parse('2026-01-05T10:00:00Z');

  constructor(folders: ReadonlyArray<{ path: string; specialUse?: string }> = [{ path: 'INBOX' }]) {
    for (const folder of folders) this.addFolder(folder.path, folder.specialUse ?? null);
  }

  connect(_settings: MailServerSettings, abort?: AbortSignal): Promise<MailboxSession> {
    return Promise.resolve(new MemorySession(this, abort));
  }

  // ------------------------------------------------------------- what a mail client does

  addFolder(path: string, specialUse: string | null = null): Folder {
    const existing = this.find(path);
    if (existing) return existing;
    const folder: Folder = { path, specialUse, uidValidity: this.nextValidity++, uidNext: 1, highestModseq: 1, messages: new Map(), expunged: new Map(), permanentKeywords: null };
    this.folders.set(path, folder);
    return folder;
  }

  find(path: string): Folder | undefined {
    // RFC 3501 §5.1: INBOX is case-insensitive, other names are not.
    return path.toUpperCase() === 'INBOX' ? [...this.folders.values()].find((folder) => folder.path.toUpperCase() === 'INBOX') : this.folders.get(path);
  }

  folder(path: string): Folder {
    const folder = this.find(path);
    if (!folder) throw new BridgeError('NOT_FOUND', `IMAP folder "${path}" does not exist`);
    return folder;
  }

  /** A message arrives (delivery or a client's APPEND); returns its UID. */
  deliver(path: string, source: Buffer, flags: readonly string[] = [], internalDate?: string): number {
    const folder = this.folder(path);
    const uid = folder.uidNext++;
    this.clock += 60_000;
    folder.messages.set(uid, { source, flags: new Set(flags), modseq: ++folder.highestModseq, internalDate: internalDate ?? new Date(this.clock).toISOString() });
    return uid;
  }

  setFlags(path: string, uid: number, change: { add?: readonly string[]; remove?: readonly string[] }): void {
    const folder = this.folder(path);
    const message = folder.messages.get(uid);
    if (!message) return;
    const before = [...message.flags].sort().join(' ');
    for (const flag of change.add ?? []) if (this.keeps(folder, flag)) message.flags.add(flag);
    for (const flag of change.remove ?? []) message.flags.delete(flag);
    // RFC 7162 §3.1.3: a STORE that changes nothing leaves the mod-sequence alone.
    if ([...message.flags].sort().join(' ') !== before) message.modseq = ++folder.highestModseq;
  }

  expunge(path: string, uid: number): void {
    const folder = this.folder(path);
    if (!folder.messages.delete(uid)) return;
    folder.expunged.set(uid, ++folder.highestModseq);
  }

  /** UID MOVE (RFC 6851): a new UID in the destination, an expunge in the source. */
  moveMessage(path: string, uid: number, destination: string): number | null {
    const from = this.folder(path);
    const to = this.folder(destination);
    const message = from.messages.get(uid);
    if (!message || from === to) return null;
    const newUid = to.uidNext++;
    to.messages.set(newUid, { source: message.source, flags: new Set(message.flags), modseq: ++to.highestModseq, internalDate: message.internalDate });
    this.expunge(path, uid);
    return newUid;
  }

  /** Deleted and created again: a new UIDVALIDITY, UIDs from 1 (RFC 3501 §2.3.1.1). */
  recreate(path: string): void {
    const folder = this.folder(path);
    const messages = [...folder.messages.values()];
    folder.uidValidity = this.nextValidity++;
    folder.uidNext = 1;
    folder.messages = new Map();
    folder.expunged = new Map();
    for (const message of messages) folder.messages.set(folder.uidNext++, { ...message, flags: new Set(message.flags), modseq: ++folder.highestModseq });
  }

  messages(path: string): Array<{ uid: number; flags: string[]; messageId: string | null }> {
    return [...this.folder(path).messages].map(([uid, message]) => ({ uid, flags: [...message.flags], messageId: messageIdOf(message.source) }));
  }

  private keeps(folder: Folder, flag: string): boolean {
    return flag.startsWith('\\') || folder.permanentKeywords === null || folder.permanentKeywords.has(flag);
  }

  // ------------------------------------------------------------- what the session asks

  /** Counts the call, throws the planned fault before it, or returns a hook that throws after applying. */
  enter(call: string, abort: AbortSignal | undefined): { lostAnswer: boolean } {
    if (abort?.aborted) throw new BridgeError('TEMPORARY', `${call}: the pass was aborted`, { connectionLost: true });
    this.calls += 1;
    this.log.push(call);
    this.onCall?.(this.calls);
    const fault = this.fault;
    if (!fault || fault.failAtCall !== this.calls) return { lostAnswer: false };
    if (fault.afterApplying && writeCalls.has(call)) return { lostAnswer: true };
    throw new BridgeError('TEMPORARY', `${call}: connection reset (injected at call ${this.calls})`, { connectionLost: true });
  }

  applied(call: string, lostAnswer: boolean): void {
    if (writeCalls.has(call)) this.writes += 1;
    if (lostAnswer) throw new BridgeError('TEMPORARY', `${call}: connection reset after the server applied it (injected at call ${this.calls})`, { connectionLost: true });
  }

  summary(uid: number, message: StoredMessage): MessageSummary {
    return { uid, flags: [...message.flags], modseq: this.hasModseq() ? String(message.modseq) : null, size: message.source.length, internalDate: message.internalDate };
  }

  hasModseq(): boolean {
    return this.capabilities.has('CONDSTORE');
  }
}

function headerBlock(source: Buffer): Buffer {
  const end = source.indexOf('\r\n\r\n');
  return end < 0 ? source : source.subarray(0, end + 4);
}

function messageIdOf(source: Buffer): string | null {
  const unfolded = headerBlock(source).toString('latin1').replace(/\r\n[ \t]/g, ' ');
  const line = /^message-id:(.*)$/im.exec(unfolded);
  return line ? (parseMessageIdList(line[1]!)[0] ?? null) : null;
}

class MemorySession implements MailboxSession {
  private closed = false;

  constructor(
    private readonly server: MemoryImap,
    private readonly abort: AbortSignal | undefined,
  ) {}

  get capabilities(): ReadonlySet<string> {
    return this.server.capabilities;
  }

  /** One session call: the fault plan decides whether it fails before, or after the server applied it. */
  private async call<T>(name: string, work: () => T): Promise<T> {
    if (this.closed) throw new BridgeError('TEMPORARY', `${name}: the session is closed`, { connectionLost: true });
    try {
      const { lostAnswer } = this.server.enter(name, this.abort);
      await Promise.resolve();
      const result = work();
      this.server.applied(name, lostAnswer);
      return result;
    } catch (error) {
      // A reset connection stays dead, as a real one does: every later call of this session fails.
      if (error instanceof BridgeError && error.connectionLost) this.closed = true;
      throw error;
    }
  }

  private inFolder(path: string): Folder {
    return this.server.folder(path);
  }

  listFolders(): Promise<MailFolder[]> {
    return this.call('listFolders', () => [...this.server.folders.values()].map((folder) => ({ path: folder.path, delimiter: '/', specialUse: folder.specialUse, selectable: true })));
  }

  openFolder(path: string): Promise<FolderState> {
    return this.call('openFolder', () => {
      const refusal = this.server.refusing.get(path);
      if (refusal) throw refusal;
      const folder = this.inFolder(path);
      const keywords = folder.permanentKeywords;
      return {
        path: folder.path,
        uidValidity: String(folder.uidValidity),
        uidNext: folder.uidNext,
        highestModseq: this.server.hasModseq() ? String(folder.highestModseq) : null,
        messages: folder.messages.size,
        canStoreKeyword: (keyword: string) => keywords === null || keywords.has(keyword),
      };
    });
  }

  summaries(path: string, from: number, to: number): Promise<MessageSummary[]> {
    return this.call('summaries', () => this.select(path, (uid) => uid >= from && uid <= to).map(([uid, message]) => this.server.summary(uid, message)));
  }

  summariesOf(path: string, uids: readonly number[]): Promise<MessageSummary[]> {
    const wanted = new Set(uids);
    return this.call('summariesOf', () => this.select(path, (uid) => wanted.has(uid)).map(([uid, message]) => this.server.summary(uid, message)));
  }

  searchSince(path: string, since: Date, from: number, to: number): Promise<number[]> {
    // RFC 3501 §6.4.4: SINCE compares dates, not times.
    const day = since.toISOString().slice(0, 10);
    return this.call('searchSince', () => this.select(path, (uid, message) => uid >= from && uid <= to && message.internalDate.slice(0, 10) >= day).map(([uid]) => uid));
  }

  allUids(path: string): Promise<number[]> {
    return this.call('allUids', () => this.select(path, () => true).map(([uid]) => uid));
  }

  changesSince(path: string, modseq: string, upTo: number): Promise<FlagChanges> {
    return this.call('changesSince', () => {
      if (!this.server.hasModseq()) throw new BridgeError('UNSUPPORTED', `IMAP folder "${path}" has no mod-sequences`);
      const since = Number(modseq);
      const folder = this.inFolder(path);
      const changed = this.select(path, (uid, message) => uid <= upTo && message.modseq > since).map(([uid, message]) => this.server.summary(uid, message));
      if (!this.server.capabilities.has('QRESYNC')) return { changed, vanished: null };
      const vanished = [...folder.expunged].filter(([uid, at]) => uid <= upTo && at > since).map(([uid]) => uid);
      return { changed, vanished: vanished.sort((a, b) => a - b) };
    });
  }

  fetchSources(path: string, uids: readonly number[]): Promise<RawMessage[]> {
    const wanted = new Set(uids);
    return this.call('fetchSources', () => this.select(path, (uid) => wanted.has(uid)).map(([uid, message]) => this.raw(uid, message, message.source)));
  }

  fetchHeaders(path: string, uids: readonly number[]): Promise<RawMessage[]> {
    const wanted = new Set(uids);
    return this.call('fetchHeaders', () => this.select(path, (uid) => wanted.has(uid)).map(([uid, message]) => this.raw(uid, message, headerBlock(message.source))));
  }

  fetchOutlines(path: string, uids: readonly number[]): Promise<MessageOutline[]> {
    const wanted = new Set(uids);
    return this.call('fetchOutlines', () =>
      this.select(path, (uid) => wanted.has(uid)).map(([uid, message]) => ({ ...this.server.summary(uid, message), headers: headerBlock(message.source), attachments: [] })),
    );
  }

  findMessageIds(path: string, messageIds: readonly string[]): Promise<string[]> {
    return this.call('findMessageIds', () => {
      const present = new Set(this.select(path, () => true).map(([, message]) => messageIdOf(message.source)).filter((id) => id !== null).map(messageKey));
      return messageIds.filter((id) => present.has(messageKey(id)));
    });
  }

  locateMessageIds(path: string, messageIds: readonly string[]): Promise<Map<string, number[]>> {
    return this.call('locateMessageIds', () => {
      const found = new Map<string, number[]>();
      for (const [uid, message] of this.select(path, () => true)) {
        const id = messageIdOf(message.source);
        const asked = id === null ? undefined : messageIds.find((candidate) => messageKey(candidate) === messageKey(id));
        if (asked !== undefined) found.set(asked, [...(found.get(asked) ?? []), uid]);
      }
      return found;
    });
  }

  addFlags(path: string, uids: readonly number[], flags: readonly string[]): Promise<void> {
    return this.call('addFlags', () => {
      this.inFolder(path);
      for (const uid of uids) this.server.setFlags(path, uid, { add: flags });
    });
  }

  removeFlags(path: string, uids: readonly number[], flags: readonly string[]): Promise<void> {
    return this.call('removeFlags', () => {
      this.inFolder(path);
      for (const uid of uids) this.server.setFlags(path, uid, { remove: flags });
    });
  }

  move(path: string, uids: readonly number[], destination: string): Promise<void> {
    return this.call('move', () => {
      this.inFolder(path);
      this.inFolder(destination);
      for (const uid of uids) this.server.moveMessage(path, uid, destination);
    });
  }

  createFolder(path: string): Promise<void> {
    return this.call('createFolder', () => {
      if (path.trim() === '') throw new BridgeError('INVALID_INPUT', 'the folder name is empty');
      this.server.addFolder(path);
    });
  }

  append(path: string, source: Buffer, flags: readonly string[] = [], date?: Date): Promise<{ uid: number | null }> {
    return this.call('append', () => ({ uid: this.server.deliver(path, source, flags, date?.toISOString()) }));
  }

  close(): Promise<void> {
    this.closed = true;
    return Promise.resolve();
  }

  private select(path: string, keep: (uid: number, message: StoredMessage) => boolean): Array<[number, StoredMessage]> {
    return [...this.inFolder(path).messages].filter(([uid, message]) => keep(uid, message)).sort(([a], [b]) => a - b);
  }

  private raw(uid: number, message: StoredMessage, source: Buffer): RawMessage {
    const summary = this.server.summary(uid, message);
    return { uid, flags: summary.flags, modseq: summary.modseq, internalDate: summary.internalDate, source };
  }
}
