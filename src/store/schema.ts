import type { Generated } from 'kysely';
import type { SyncStatusTable, SyncBaseTable, SyncCursorsTable, SyncErrorsTable, MailMessagesTable, MailFolderLinksTable, CalendarMirrorTable, CalendarBusyTable } from './sync-schema.js';

export type { SyncStatusTable, SyncBaseTable, SyncCursorsTable, SyncErrorsTable, MailMessagesTable, MailFolderLinksTable, CalendarMirrorTable, CalendarBusyTable };

/**
 * Table shapes as kysely sees them. Column types stay portable: text, integer, real. Booleans
 * are 0/1 integers and timestamps ISO 8601 text, so the same SQL runs on SQLite and Postgres.
 */

export interface Database {
  users: UsersTable;
  credentials: CredentialsTable;
  settings: SettingsTable;
  admin_sessions: AdminSessionsTable;
  admin_accounts: AdminAccountsTable;
  admin_audit: AdminAuditTable;
  ui_config: UiConfigTable;
  accounts: AccountsTable;
  account_domains: AccountDomainsTable;
  contacts: ContactsTable;
  contact_emails: ContactEmailsTable;
  contact_phones: ContactPhonesTable;
  leads: LeadsTable;
  opportunities: OpportunitiesTable;
  activities: ActivitiesTable;
  activity_parties: ActivityPartiesTable;
  activity_sources: ActivitySourcesTable;
  attachments: AttachmentsTable;
  changes: ChangesTable;
  webhooks: WebhooksTable;
  webhook_deliveries: WebhookDeliveriesTable;
  sync_status: SyncStatusTable;
  sync_cursors: SyncCursorsTable;
  sync_errors: SyncErrorsTable;
  mail_messages: MailMessagesTable;
  mail_folder_links: MailFolderLinksTable;
  outbox: OutboxTable;
  idempotency_keys: IdempotencyKeysTable;
  token_counters: TokenCountersTable;
  activity_references: ActivityReferencesTable;
  sync_base: SyncBaseTable;
  calendar_mirror: CalendarMirrorTable;
  calendar_busy: CalendarBusyTable;
  blobs: BlobsTable;
  blob_chunks: BlobChunksTable;
  login_failures: LoginFailuresTable;
}

export interface BlobsTable {
  sha256: string;
  size: number;
  created_at: string;
}

export interface BlobChunksTable {
  sha256: string;
  seq: number;
  data: Buffer;
}

/** One failed admin login per row: `key` is what it counts against (client address, user name), `at` epoch ms. */
export interface LoginFailuresTable {
  key: string;
  at: number;
}

export interface UsersTable {
  id: string;
  name: string;
  email: string;
  created_at: string;
  updated_at: string;
}

/** Connection secrets (IMAP, SMTP, DAV passwords), AES-256-GCM encrypted with `secretKey`. */
export interface CredentialsTable {
  owner_type: string;
  owner_id: string;
  kind: string;
  secret: string;
  updated_at: string;
}

export interface SettingsTable {
  key: string;
  value: string;
}

export interface AdminSessionsTable {
  token_hash: string;
  created_at: string;
  expires_at: string;
  /** The admin account that logged in and the session's CSRF synchronizer token (migration 0006). */
  username: string;
  csrf_token: string;
}

/** Admin UI accounts with scrypt password hashes (migration 0006). */
export interface AdminAccountsTable {
  username: string;
  password_hash: string;
  created_at: string;
  updated_at: string;
}

/** Every configuration change made in the admin UI: who, when, what (secrets redacted). */
export interface AdminAuditTable {
  id: Generated<number>;
  at: string;
  actor: string;
  action: string;
  target: string;
  detail: string;
}

/** Configuration made in the admin UI: one users[] or sharedMailboxes[] entry per row; passwords sealed in `secrets`. */
export interface UiConfigTable {
  kind: string;
  id: string;
  document: string;
  secrets: string | null;
  updated_at: string;
  updated_by: string;
}

export interface AccountsTable {
  id: string;
  name: string;
  owner: string | null;
  created_at: string;
  updated_at: string;
}

export interface AccountDomainsTable {
  account_id: string;
  position: number;
  domain: string;
}

export interface ContactsTable {
  id: string;
  first_name: string | null;
  last_name: string | null;
  display_name: string;
  company: string | null;
  title: string | null;
  account_id: string | null;
  owner: string | null;
  active: number;
  created_at: string;
  updated_at: string;
}

export interface ContactEmailsTable {
  contact_id: string;
  position: number;
  email: string;
  email_normalized: string;
}

export interface ContactPhonesTable {
  contact_id: string;
  position: number;
  phone: string;
}

export interface LeadsTable {
  id: string;
  first_name: string | null;
  last_name: string | null;
  email: string | null;
  email_normalized: string | null;
  company: string | null;
  source: string | null;
  status: string;
  owner: string | null;
  created_at: string;
  updated_at: string;
}

export interface OpportunitiesTable {
  id: string;
  name: string;
  account_id: string | null;
  contact_id: string | null;
  stage: string;
  amount: number | null;
  currency: string | null;
  close_date: string | null;
  owner: string | null;
  created_at: string;
  updated_at: string;
}

export interface ActivitiesTable {
  id: string;
  kind: string;
  subject: string;
  owner: string | null;
  start_at: string | null;
  end_at: string | null;
  due_at: string | null;
  all_day: number;
  time_zone: string | null;
  location: string | null;
  status: string;
  priority: string;
  /** Tasks: RFC 5545 §3.8.1.8 PERCENT-COMPLETE 0-100, or null (migration 0008). */
  percent_complete: number | null;
  /** Appointments and meetings: reminder minutes before the start (RFC 5545 §3.6.6), or null (migration 0009). */
  reminder_minutes: number | null;
  busy_status: string | null;
  message_id: string | null;
  in_reply_to: string | null;
  references_json: string;
  thread_id: string | null;
  regarding_type: string | null;
  regarding_id: string | null;
  correlation_method: string | null;
  correlation_activity_id: string | null;
  queue: string | null;
  body_text: string | null;
  body_html: string | null;
  /** normal | auto_reply | out_of_office | bounce, for e-mail activities. */
  classification: string | null;
  /** Lower-cased Message-ID without brackets: with content_fingerprint, the identity that
   * de-duplicates mail across mailboxes (unique together). */
  message_key: string | null;
  /** What the message says (src/mail/message-identity.ts); '' for activities that are no mail,
   * mail sent by the bridge and mail stored before migration 0010 (until a copy lends its own). */
  content_fingerprint: string;
  /** `CRM:0100042`-style token put in the subject of mail sent from the CRM (without brackets). */
  tracking_token: string | null;
  /** Subject without reply/forward prefixes and tracking token, lower-cased: for smart matching. */
  subject_key: string | null;
  created_at: string;
  updated_at: string;
}

export interface ActivityPartiesTable {
  activity_id: string;
  position: number;
  role: string;
  address: string;
  address_normalized: string;
  name: string | null;
  contact_id: string | null;
  account_id: string | null;
  lead_id: string | null;
  user_id: string | null;
}

export interface ActivitySourcesTable {
  activity_id: string;
  type: string;
  source_id: string;
  ref: string;
  seen_at: string;
}

export interface AttachmentsTable {
  id: string;
  activity_id: string;
  position: number;
  filename: string | null;
  content_type: string;
  size: number;
  sha256: string;
  stored: number;
  created_at: string;
}

export interface ChangesTable {
  seq: Generated<number>;
  entity: string;
  entity_id: string;
  op: string;
  at: string;
  data: string | null;
}

export interface WebhooksTable {
  id: string;
  url: string;
  secret: string;
  events_json: string;
  origin: string;
  active: number;
  /** Last change-feed sequence delivered (2xx) to this endpoint. */
  cursor_seq: number;
  /** Attempts made at the change after cursor_seq, and when to try it again. */
  attempts: number;
  next_attempt_at: string | null;
  created_at: string;
  updated_at: string;
}

export interface WebhookDeliveriesTable {
  id: Generated<number>;
  webhook_id: string;
  change_seq: number;
  attempt: number;
  outcome: string;
  http_status: number | null;
  error: string | null;
  duration_ms: number;
  at: string;
}

/** Mail sent from the CRM, until it is delivered (and a copy is in the user's Sent folder). */
export interface OutboxTable {
  activity_id: string;
  user_id: string;
  /** queued | sending | sent | failed | uncertain (a send interrupted by a crash: never re-sent by itself). */
  state: string;
  attempts: number;
  next_attempt_at: string | null;
  last_error: string | null;
  /** The composed message in the blob store, so every attempt and the Sent copy are the same bytes. */
  raw_sha256: string;
  envelope_json: string;
  sent_at: string | null;
  /** pending | done | failed | none (no IMAP configured). */
  sent_copy: string;
  created_at: string;
  updated_at: string;
}

export interface IdempotencyKeysTable {
  token_name: string;
  key: string;
  request_hash: string;
  status: number;
  response_json: string;
  created_at: string;
}

export interface TokenCountersTable {
  user_id: string;
  user_number: number;
  counter: number;
}

export interface ActivityReferencesTable {
  activity_id: string;
  message_key: string;
}

