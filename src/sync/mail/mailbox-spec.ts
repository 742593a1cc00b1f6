import type { AutoTrackPolicy } from '../../mail/decide-tracking.js';
import type { CorrelationSettings } from '../../mail/correlate.js';
import type { Logger } from 'pino';
import type { MailboxConnector, MailServerSettings } from '../../ports/mail.js';
import type { Store } from '../../store/store.js';

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

/** Where a folder's last pass stopped (DESIGN.md principle 2); modseqs are decimal strings (RFC 7162 §7). */
/** RFC 5092-style reference of one message: folder, UIDVALIDITY and UID. */
export function messageRef(folder: string, uidValidity: string, uid: number): string {
  return `${folder};UIDVALIDITY=${uidValidity};UID=${uid}`;
}
