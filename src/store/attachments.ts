import type { Kysely } from 'kysely';
import type { Attachment } from '../domain/activity.js';
import { idPrefixes, newId } from '../domain/ids.js';
import { toAttachment } from './activities.js';
import type { BlobStore } from './blob-store.js';
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
    private readonly blobs: BlobStore,
  ) {}

  async add(activityId: string, attachment: NewAttachment, now = new Date().toISOString()): Promise<Attachment> {
    const blob = await this.blobs.put(attachment.content);
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

  async get(id: string): Promise<Attachment | undefined> {
    const row = await this.db.selectFrom('attachments').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? toAttachment(row) : undefined;
  }
}
