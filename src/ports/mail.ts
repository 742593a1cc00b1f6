import type { BearerTokens, OAuthConnection } from './oauth.js';

/**
 * The IMAP side of mail ingestion, as the sync engine sees it. adapters/imap implements these
 * with imapflow; the engine never sees imapflow types. All UIDs are numbers, all modseqs and
 * UIDVALIDITY values are decimal strings (RFC 7162 mod-sequences are 63-bit; JS numbers are not).
 */

/** One attachment as BODYSTRUCTURE describes it (RFC 3501 §7.4.2), for the stand-in of an oversized message. */
export interface OversizedPart {
  filename: string | null;
  contentType: string;
  /** Octets as sent, transfer encoding included. */
  encodedSize: number;
  /** Content-Transfer-Encoding, lower case. */
  encoding: string;
}

export interface MailServerSettings {
  host: string;
  port: number;
  security: 'none' | 'starttls' | 'tls';
  username: string;
  password: string;
  /** The OAuth2 grant the connection signs in with; the runtime gives it `bearer` from it. */
  oauth?: OAuthConnection;
  /**
   * Sign in with OAuth2 access tokens instead of the password: SASL OAUTHBEARER or XOAUTH2
   * (RFC 7628) for IMAP and SMTP, `Authorization: Bearer` (RFC 6750) for DAV.
   */
  bearer?: BearerTokens;
  /** Accept self-signed certificates (test servers only). */
  allowInsecureTls: boolean;
  /** PEM certificates trusted besides the system's roots (the connection's `tls.ca` file, read). */
  tlsCa?: string;
  /** Connection/greeting/socket timeout in ms. */
  timeoutMs?: number;
  /**
   * Overall time one session call (one IMAP command or a batch fetch) may take, in ms, and the
   * part of an SMTP send before its final "." (plus the upload); `sync.commandTimeoutSeconds`. A
   * server that drips a byte every few seconds never trips the socket inactivity timeout, so this
   * bounds the command itself. Default 120 s.
   */
  commandTimeoutMs?: number;
  /**
   * mail.maxMessageBytes: the largest message whose body is fetched. It also bounds what the IMAP
   * client buffers for one literal and one response, so a server cannot make it hold more.
   */
  maxMessageBytes?: number;
}

export interface MailFolder {
  /** Full path as the server names it, e.g. `CRM/Acme` or `INBOX.Sent`. */
  path: string;
  /** Hierarchy delimiter of the folder's namespace, e.g. `/` or `.`. */
  delimiter: string;
  /** RFC 6154 special use: `\Sent`, `\Trash`, `\Drafts`, `\Junk`, `\Archive`, `\All`, or null. */
  specialUse: string | null;
  /** false for \Noselect folders (containers only). */
  selectable: boolean;
}

export interface FolderState {
  path: string;
  uidValidity: string;
  uidNext: number;
  /** null when the server has no CONDSTORE for this folder (RFC 7162 NOMODSEQ). */
  highestModseq: string | null;
  messages: number;
  /** Keywords can be stored permanently: PERMANENTFLAGS contains `\*` or the keyword (RFC 3501 §7.1). */
  canStoreKeyword(keyword: string): boolean;
}

export interface MessageSummary {
  uid: number;
  /** System flags and keywords, as the server spells them (e.g. `\Seen`, `$CRM`). */
  flags: string[];
  modseq: string | null;
  size: number;
  /** INTERNALDATE, ISO 8601. */
  internalDate: string;
}

export interface RawMessage {
  uid: number;
  flags: string[];
  modseq: string | null;
  internalDate: string;
  /** The whole RFC 5322 message (BODY.PEEK[]); header-only fetches give just the header block. */
  source: Buffer;
}

/** A message known by its headers and MIME structure only: fetched instead of a body too large to fetch. */
export interface MessageOutline {
  uid: number;
  flags: string[];
  modseq: string | null;
  internalDate: string;
  /** RFC822.SIZE. */
  size: number;
  /** The header block (BODY.PEEK[HEADER]). */
  headers: Buffer;
  /** The parts that are attachments (named, or not text), in order. */
  attachments: OversizedPart[];
}

export interface FlagChanges {
  /** Messages whose flags changed since the given modseq (UID FETCH ... CHANGEDSINCE, RFC 7162 §3.1.4). */
  changed: MessageSummary[];
  /** UIDs expunged since the given modseq (QRESYNC VANISHED, RFC 7162 §3.2.10); null when the server has no QRESYNC. */
  vanished: number[] | null;
}

/** One authenticated IMAP connection. Methods select the folder they need; none may be called concurrently. */
export interface MailboxSession {
  readonly capabilities: ReadonlySet<string>;
  listFolders(): Promise<MailFolder[]>;
  /** SELECT with CONDSTORE enabled when offered. Throws NOT_FOUND when the folder does not exist. */
  openFolder(path: string): Promise<FolderState>;
  /** Summaries of the messages with UIDs in [from, to] (both inclusive, explicit upper bound). */
  summaries(path: string, from: number, to: number): Promise<MessageSummary[]>;
  /** Summaries of exactly these UIDs (those that still exist). */
  summariesOf(path: string, uids: readonly number[]): Promise<MessageSummary[]>;
  /** UIDs in [from, to] of messages with INTERNALDATE on or after `since` (UID SEARCH SINCE). */
  searchSince(path: string, since: Date, from: number, to: number): Promise<number[]>;
  /** Every UID currently in the folder (UID SEARCH ALL), to detect expunges without QRESYNC. */
  allUids(path: string): Promise<number[]>;
  /** Flag changes and expunges since `modseq` among UIDs 1..`upTo`. Requires CONDSTORE. */
  changesSince(path: string, modseq: string, upTo: number): Promise<FlagChanges>;
  /** Full sources of the given UIDs; collects all of them before returning (never a command inside a fetch). */
  fetchSources(path: string, uids: readonly number[]): Promise<RawMessage[]>;
  /** Header block, size and BODYSTRUCTURE (RFC 3501 §6.4.5), for messages too large to fetch whole. */
  fetchOutlines(path: string, uids: readonly number[]): Promise<MessageOutline[]>;
  /** Only the header blocks (BODY.PEEK[HEADER]), to decide whether a message is worth a full fetch. */
  fetchHeaders(path: string, uids: readonly number[]): Promise<RawMessage[]>;
  /**
   * Which of these Message-IDs (`<local@domain>`) a message in the folder carries (UID SEARCH
   * HEADER Message-ID, RFC 3501 §6.4.4, then the matches' own header compared exactly). Answers in
   * the spelling asked for.
   */
  findMessageIds(path: string, messageIds: readonly string[]): Promise<string[]>;
  /** The same search, with the UIDs carrying each Message-ID found (by the spelling asked for). */
  locateMessageIds(path: string, messageIds: readonly string[]): Promise<Map<string, number[]>>;
  addFlags(path: string, uids: readonly number[], flags: readonly string[]): Promise<void>;
  removeFlags(path: string, uids: readonly number[], flags: readonly string[]): Promise<void>;
  /** UID MOVE (RFC 6851), or COPY + STORE \Deleted + UID EXPUNGE when MOVE is missing. */
  move(path: string, uids: readonly number[], destination: string): Promise<void>;
  /** CREATE (and SUBSCRIBE); succeeds when the folder already exists. */
  createFolder(path: string): Promise<void>;
  /** APPEND; returns the new UID when the server reports it (UIDPLUS). */
  append(path: string, source: Buffer, flags?: readonly string[], date?: Date): Promise<{ uid: number | null }>;
  close(): Promise<void>;
}

export interface MailboxConnector {
  /**
   * Connect and authenticate. Throws BridgeError AUTH on bad credentials, TEMPORARY when
   * unreachable. When `abort` fires (the source's pass deadline) the connection is closed at once
   * and every call in flight or after it fails TEMPORARY.
   */
  connect(settings: MailServerSettings, abort?: AbortSignal): Promise<MailboxSession>;
}

export interface FolderWatcher {
  /** Resolves when the watcher has stopped and its connection is closed. */
  stop(): Promise<void>;
}

export interface MailboxWatcherFactory {
  /**
   * Keep an IDLE connection on one folder (RFC 2177) and call `onChange` when the server reports new
   * messages, flag changes or expunges; falls back to NOOP polling every `pollMs` when IDLE is
   * missing; reconnects with capped exponential backoff, always with a fresh client.
   */
  watch(settings: MailServerSettings, path: string, onChange: () => void, options: { pollMs: number; onError: (error: unknown) => void }): FolderWatcher;
}
