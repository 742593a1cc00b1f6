/** What a stored piece of content is known by. */
export interface StoredBlob {
  sha256: string;
  size: number;
  /** false when the content was over the size limit and only its hash and size were kept. */
  stored: boolean;
}

/**
 * Content-addressed storage of attachments and outgoing mail (`attachments.store`): the same content
 * is stored once under its SHA-256. Two implementations: files under dataDir (store/blob-store.ts,
 * the default; one machine, or a shared volume) and rows in the database
 * (store/database-blob-store.ts; any number of machines on one PostgreSQL).
 */
export interface BlobStorage {
  /** Content over this many bytes is not kept (its hash and size are), unless put with `force`. */
  readonly maxBytes: number;
  /** Store content; over the size limit only its hash is returned, unless `force` (outgoing mail must be kept whole). */
  put(content: Buffer, options?: { force?: boolean }): Promise<StoredBlob>;
  /** The content; fails when it was never stored. */
  read(sha256: string): Promise<Buffer>;
  has(sha256: string): Promise<boolean>;
}

export function assertSha256(sha256: string): void {
  if (!/^[0-9a-f]{64}$/.test(sha256)) throw new Error(`not a sha256 digest: ${sha256}`);
}
