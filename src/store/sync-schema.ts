/** The sync bookkeeping tables of the schema (src/store/schema.ts): status, bases, cursors, errors, mail state, calendar mirror. */

import type { Generated } from 'kysely';

/** DESIGN.md principle 1: one row per synced item and pair of sides. */
export interface SyncStatusTable {
  pair: string;
  identity: string;
  crm_ref: string | null;
  crm_version: string | null;
  crm_hash: string | null;
  remote_ref: string | null;
  remote_version: string | null;
  remote_hash: string | null;
  origin: string;
  tombstone: number;
  /** Intent recorded before a remote create/update/delete (DESIGN.md principle 3). */
  pending: string | null;
  updated_at: string;
}

/** The merge base of each synced event, task and contact (migration 0011; before, 0004 and 0005). */
export interface SyncBaseTable {
  pair: string;
  identity: string;
  fields_json: string;
  data: string | null;
  updated_at: string;
}

export interface SyncCursorsTable {
  pair: string;
  collection: string;
  cursor: string;
  updated_at: string;
}

export interface SyncErrorsTable {
  id: Generated<number>;
  source: string;
  item_ref: string | null;
  code: string;
  message: string;
  /** The last time the problem was seen. */
  at: string;
  /** item_ref, or '' for the whole source: the problem's key with source and code (unique). */
  item_key: Generated<string>;
  first_seen: string | null;
  count: Generated<number>;
  resolved_at: string | null;
}

/** Per-message sync status of mail ingestion: what the bridge saw at each IMAP UID. */
export interface MailMessagesTable {
  source_id: string;
  folder: string;
  uid_validity: string;
  uid: number;
  message_key: string | null;
  flags_json: string;
  modseq: string | null;
  activity_id: string | null;
  /** Why the message is tracked: folder | keyword | auto | shared; null when it is not. */
  tracked_by: string | null;
  /** seen (looked at, not tracked) | tracked | failed (retried next pass) | gone (expunged) |
   * untrack (its activity was deleted in the CRM; keywords to remove on the next pass). */
  state: string;
  attempts: number;
  last_error: string | null;
  updated_at: string;
}

/** Folders such as `CRM/Acme` that set the regarding record of mail moved into them. */
export interface MailFolderLinksTable {
  source_id: string;
  folder: string;
  regarding_type: string;
  regarding_id: string;
  created_at: string;
}

/** Every object of a user's synced calendars, for free/busy (migration 0004). */
export interface CalendarMirrorTable {
  user_id: string;
  href: string;
  collection: string;
  etag: string;
  uid: string | null;
  updated_at: string;
}

export interface CalendarBusyTable {
  user_id: string;
  href: string;
  start_at: string;
  end_at: string;
  fb_type: string;
}
