import type { Kysely } from 'kysely';
import { upsertRow } from './compiled-insert.js';
import type { Database, MailMessagesTable } from './schema.js';

export type TrackedBy = 'folder' | 'keyword' | 'auto' | 'shared';
export type MailMessageState = 'seen' | 'tracked' | 'failed' | 'gone' | 'untrack';

/** What the bridge knows about one IMAP message (source, folder, UIDVALIDITY, UID). */
export interface MailMessageStatus {
  sourceId: string;
  folder: string;
  uidValidity: string;
  uid: number;
  messageKey: string | null;
  flags: string[];
  modseq: string | null;
  activityId: string | null;
  trackedBy: TrackedBy | null;
  state: MailMessageState;
  attempts: number;
  lastError: string | null;
}

/**
 * The per-message sync status of mail ingestion (DESIGN.md principle 1 for IMAP): flags seen last
 * time (to notice a tracking keyword added or removed without CONDSTORE), which activity the message
 * became and why, and failures to retry.
 */
export class MailMessageRepository {
  constructor(private readonly db: Kysely<Database>) {}

  /** The rows of one folder under one UIDVALIDITY: every per-folder query starts here. */
  private inFolder(sourceId: string, folder: string, uidValidity: string) {
    return this.db.selectFrom('mail_messages').selectAll().where('source_id', '=', sourceId).where('folder', '=', folder).where('uid_validity', '=', uidValidity);
  }

  async get(sourceId: string, folder: string, uidValidity: string, uid: number): Promise<MailMessageStatus | undefined> {
    const row = await this.inFolder(sourceId, folder, uidValidity).where('uid', '=', uid).executeTakeFirst();
    return row ? toStatus(row) : undefined;
  }

  /** Status rows of a folder for UIDs in [from, to], keyed by UID. */
  async range(sourceId: string, folder: string, uidValidity: string, from: number, to: number): Promise<Map<number, MailMessageStatus>> {
    const rows = await this.inFolder(sourceId, folder, uidValidity).where('uid', '>=', from).where('uid', '<=', to).execute();
    return new Map(rows.map((row) => [row.uid, toStatus(row)]));
  }

  /** Rows still present (not gone) in a folder under the given UIDVALIDITY. */
  async present(sourceId: string, folder: string, uidValidity: string): Promise<MailMessageStatus[]> {
    const rows = await this.inFolder(sourceId, folder, uidValidity).where('state', '!=', 'gone').orderBy('uid').execute();
    return rows.map(toStatus);
  }

  /** Messages whose activity was deleted in the CRM: their keywords still have to go. */
  async toUntrack(sourceId: string, folder: string, uidValidity: string): Promise<MailMessageStatus[]> {
    const rows = await this.inFolder(sourceId, folder, uidValidity).where('state', '=', 'untrack').orderBy('uid').execute();
    return rows.map(toStatus);
  }

  /** Which of these sources still have keywords to take off for activities the CRM deleted (index mail_messages_state). */
  async sourcesToUntrack(sourceIds: readonly string[]): Promise<string[]> {
    if (sourceIds.length === 0) return [];
    const rows = await this.db.selectFrom('mail_messages').select('source_id').distinct().where('source_id', 'in', sourceIds).where('state', '=', 'untrack').execute();
    return rows.map((row) => row.source_id);
  }

  async failed(sourceId: string, folder: string, uidValidity: string, maxAttempts: number): Promise<MailMessageStatus[]> {
    const rows = await this.inFolder(sourceId, folder, uidValidity).where('state', '=', 'failed').where('attempts', '<', maxAttempts).orderBy('uid').execute();
    return rows.map(toStatus);
  }

  /** Rows of this source with the given message key in any folder (moves, copies, UIDVALIDITY resets). */
  async byMessageKey(sourceId: string, messageKey: string): Promise<MailMessageStatus[]> {
    const rows = await this.db.selectFrom('mail_messages').selectAll().where('source_id', '=', sourceId).where('message_key', '=', messageKey).execute();
    return rows.map(toStatus);
  }

  async put(status: MailMessageStatus, now = new Date().toISOString()): Promise<void> {
    const row = {
      source_id: status.sourceId,
      folder: status.folder,
      uid_validity: status.uidValidity,
      uid: status.uid,
      message_key: status.messageKey,
      flags_json: JSON.stringify(status.flags),
      modseq: status.modseq,
      activity_id: status.activityId,
      tracked_by: status.trackedBy,
      state: status.state,
      attempts: status.attempts,
      last_error: status.lastError,
      updated_at: now,
    };
    await upsertRow(this.db, 'mail_messages', row, ['source_id', 'folder', 'uid_validity', 'uid'], ['message_key', 'flags_json', 'modseq', 'activity_id', 'tracked_by', 'state', 'attempts', 'last_error', 'updated_at']);
  }

  /** Rows of a folder under any UIDVALIDITY but `keep` (what a UIDVALIDITY change voids). */
  async otherValidities(sourceId: string, folder: string, keep: string): Promise<MailMessageStatus[]> {
    const rows = await this.db.selectFrom('mail_messages').selectAll().where('source_id', '=', sourceId).where('folder', '=', folder).where('uid_validity', '!=', keep).execute();
    return rows.map(toStatus);
  }

  /** Drop the rows of a folder's old UIDVALIDITY once the folder has been re-matched. */
  async removeOtherValidities(sourceId: string, folder: string, keepUidValidity: string): Promise<void> {
    await this.db.deleteFrom('mail_messages').where('source_id', '=', sourceId).where('folder', '=', folder).where('uid_validity', '!=', keepUidValidity).execute();
  }

  async folderLinks(sourceId: string): Promise<Map<string, { type: string; id: string }>> {
    const rows = await this.db.selectFrom('mail_folder_links').selectAll().where('source_id', '=', sourceId).execute();
    return new Map(rows.map((row) => [row.folder, { type: row.regarding_type, id: row.regarding_id }]));
  }

  /** The link of a folder that turned out to have another path on the server. */
  async moveFolderLink(sourceId: string, from: string, to: string): Promise<void> {
    await this.db.updateTable('mail_folder_links').set({ folder: to }).where('source_id', '=', sourceId).where('folder', '=', from).execute();
  }

  async linkFolder(sourceId: string, folder: string, regarding: { type: string; id: string }, now = new Date().toISOString()): Promise<void> {
    await this.db
      .insertInto('mail_folder_links')
      .values({ source_id: sourceId, folder, regarding_type: regarding.type, regarding_id: regarding.id, created_at: now })
      .onConflict((oc) => oc.columns(['source_id', 'folder']).doUpdateSet({ regarding_type: regarding.type, regarding_id: regarding.id }))
      .execute();
  }

  /** Forget every message state of a source (the mail reset); how many rows went. */
  async removeSource(sourceId: string): Promise<number> {
    const result = await this.db.deleteFrom('mail_messages').where('source_id', '=', sourceId).executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}

function toStatus(row: MailMessagesTable): MailMessageStatus {
  return {
    sourceId: row.source_id,
    folder: row.folder,
    uidValidity: row.uid_validity,
    uid: row.uid,
    messageKey: row.message_key,
    flags: JSON.parse(row.flags_json) as string[],
    modseq: row.modseq,
    activityId: row.activity_id,
    trackedBy: row.tracked_by as TrackedBy | null,
    state: row.state as MailMessageState,
    attempts: row.attempts,
    lastError: row.last_error,
  };

}
