import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BlobStore } from '../../src/store/blob-store.js';
import { migrateToLatest, openDatabase, type OpenDatabase } from '../../src/store/database.js';
import { SecretBox } from '../../src/store/secret-box.js';
import { Store } from '../../src/store/store.js';

export interface TestStore {
  store: Store;
  database: OpenDatabase;
  dir: string;
  close(): Promise<void>;
}

/** A real SQLite database (in a temp dir, WAL) with all migrations applied. */
export async function createTestStore(options: { maxAttachmentBytes?: number; secretKey?: string } = {}): Promise<TestStore> {
  const dir = mkdtempSync(join(tmpdir(), 'crm-bridge-test-'));
  const database = openDatabase(`sqlite:${join(dir, 'test.db')}`);
  await migrateToLatest(database.db);
  const store = new Store(database.db, new SecretBox(options.secretKey ?? 'test-secret-key-0123456789'), new BlobStore(join(dir, 'blobs'), options.maxAttachmentBytes ?? 1024));
  return {
    store,
    database,
    dir,
    async close() {
      await database.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
