import type { Kysely } from 'kysely';
import type { Attachment } from '../domain/activity.js';
import { idPrefixes, newId } from '../domain/ids.js';
import { toAttachment } from './activity-rows.js';
import type { BlobStorage, StoredBlob } from './blob-storage.js';
import type { Database } from './schema.js';

export interface NewAttachment {
  filename: string | null;
  contentType: string;
  content: Buffer;
}

/** Attachment metadata rows; the bytes live in the content-addressed BlobStore. */
export class AttachmentRepository {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly blobs: BlobStorage,
  ) {}

  async add(activityId: string, attachment: NewAttachment, now = new Date().toISOString()): Promise<Attachment> {
    const blob = await this.blobs.put(attachment.content);
    return this.addStored(activityId, { blob, filename: attachment.filename, contentType: attachment.contentType }, now);
  }

  /** Record an attachment whose bytes are already in the blob store (so the row can join a transaction). */
  async addStored(activityId: string, attachment: { blob: StoredBlob; filename: string | null; contentType: string }, now = new Date().toISOString()): Promise<Attachment> {
    const { blob } = attachment;
    const position = await this.db
      .selectFrom('attachments')
      .select((eb) => eb.fn.countAll<number>().as('count'))
      .where('activity_id', '=', activityId)
      .executeTakeFirstOrThrow();
    const row = {
      id: newId(idPrefixes.attachment),
      activity_id: activityId,
      position: Number(position.count),
      filename: attachment.filename,
      content_type: attachment.contentType,
      size: blob.size,
      sha256: blob.sha256,
      stored: blob.stored ? 1 : 0,
      created_at: now,
    };
    await this.db.insertInto('attachments').values(row).execute();
    return toAttachment(row);
  }

}
