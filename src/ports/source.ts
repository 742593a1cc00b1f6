import type { ErrorCode } from '../domain/errors.js';

/**
 * The contracts between the sync engine and the adapters (adapters/ implement them; only there may
 * protocol libraries be imported). Issue by issue each source kind gets a runner.
 */
export type SourceKind = 'imap' | 'shared-mailbox' | 'caldav' | 'carddav';

/** One remote place the bridge syncs with: a user's mailbox, calendar home, address book home, or a shared mailbox. */
export interface SyncSource {
  /** Stable id, e.g. `imap:alice`, `shared-mailbox:support`. */
  id: string;
  kind: SourceKind;
  /** The user or shared mailbox it belongs to. */
  ownerId: string;
  /** Where it lives, for messages (host or URL; never credentials). */
  location: string;
}

export interface SourceResult {
  source: string;
  /** false when the source could not be reached or authenticated. */
  reached: boolean;
  /** Items created, updated or deleted on either side. */
  changed: number;
  /** Items that failed on their own (recorded in sync_errors); they do not make the source fail. */
  itemErrors: number;
  skipped?: string;
  error?: { code: ErrorCode; message: string };
  /** Collections worth a push connection (IMAP IDLE) under `serve`, e.g. INBOX and the tracked folder. */
  watch?: string[];
}

export interface SourceRunner {
  kind: SourceKind;
  /**
   * One complete pass in both directions. Throws BridgeError when the source is unreachable.
   * `signal`: stop at the next checkpoint (shutdown, or the pass deadline). `abort`: the pass
   * deadline passed, close the connections at once (handed to the connectors); see
   * src/sync/source-deadline.ts.
   */
  runOnce(source: SyncSource, signal: AbortSignal, abort?: AbortSignal): Promise<Omit<SourceResult, 'source' | 'reached'>>;
}
