import { createHash } from 'node:crypto';
import type { Kysely } from 'kysely';
import { BridgeError } from '../domain/errors.js';
import { assertSha256, type BlobStorage, type StoredBlob } from './blob-storage.js';
import type { Database } from './schema.js';

/** Rows of at most 1 MiB: no single value (or query parameter) holds a whole large attachment. */
const CHUNK_BYTES = 1024 * 1024;

/**
 * Content-addressed rows in the database (`attachments.store: database`): one `blobs` row per
 * SHA-256 and its content in `blob_chunks` (bytea on PostgreSQL). For several machines on one
 * PostgreSQL, where no folder is shared. A blob and its chunks are written in one transaction, so a
 * crash never leaves a partial blob under a valid hash; two processes storing the same content at
 * once store it once (the second's insert waits for the first's and then finds it there).
 */
export class DatabaseBlobStore implements BlobStorage {
  constructor(
    private readonly db: Kysely<Database>,
    readonly maxBytes: number,
  ) {}

  async put(content: Buffer, options: { force?: boolean } = {}): Promise<StoredBlob> {
    const sha256 = createHash('sha256').update(content).digest('hex');
    if (content.length > this.maxBytes && !options.force) return { sha256, size: content.length, stored: false };
    const write = async (tx: Kysely<Database>) => {
      const inserted = await tx
        .insertInto('blobs')
        .values({ sha256, size: content.length, created_at: new Date().toISOString() })
        .onConflict((oc) => oc.column('sha256').doNothing())
        .executeTakeFirst();
      if (Number(inserted.numInsertedOrUpdatedRows ?? 0n) === 0) return; // stored before
      for (let seq = 0, offset = 0; offset < content.length || seq === 0; seq += 1, offset += CHUNK_BYTES) {
        await tx.insertInto('blob_chunks').values({ sha256, seq, data: content.subarray(offset, offset + CHUNK_BYTES) }).execute();
      }
    };
    if (this.db.isTransaction) await write(this.db);
    else await this.db.transaction().execute(write);
    return { sha256, size: content.length, stored: true };
  }

  async read(sha256: string): Promise<Buffer> {
    assertSha256(sha256);
    const blob = await this.db.selectFrom('blobs').select('size').where('sha256', '=', sha256).executeTakeFirst();
    if (!blob) throw new BridgeError('NOT_FOUND', `no stored content with sha256 ${sha256}`);
    const chunks = await this.db.selectFrom('blob_chunks').select('data').where('sha256', '=', sha256).orderBy('seq').execute();
    const content = Buffer.concat(chunks.map((chunk) => Buffer.from(chunk.data)));
    if (content.length !== blob.size) throw new BridgeError('INTERNAL', `stored content ${sha256} has ${content.length} of its ${blob.size} bytes`);
    return content;
  }

  async has(sha256: string): Promise<boolean> {
    assertSha256(sha256);
    return (await this.db.selectFrom('blobs').select('sha256').where('sha256', '=', sha256).executeTakeFirst()) !== undefined;
  }
}
