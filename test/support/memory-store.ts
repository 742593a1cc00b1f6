import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BlobStore } from '../../src/store/blob-store.js';
import { DatabaseBlobStore } from '../../src/store/database-blob-store.js';
import { migrateToLatest, openDatabase, type OpenDatabase } from '../../src/store/database.js';
import { SecretBox } from '../../src/store/secret-box.js';
import { Store } from '../../src/store/store.js';
import { inject } from 'vitest';
import { adminQuery } from '../servers/postgres.js';
import { TEMPLATE_DATABASE } from '../servers/postgres-setup.js';

export interface TestStore {
  store: Store;
  database: OpenDatabase;
  /** The database's URL: a second store on it is a second process sharing the database. */
  url: string;
  dir: string;
  close(): Promise<void>;
}

/** Which database the store tests run on: the `unit-postgres` project sets TEST_DATABASE=postgres. */
export const testDatabase: 'sqlite' | 'postgres' = process.env['TEST_DATABASE'] === 'postgres' ? 'postgres' : 'sqlite';

/**
 * A fresh database with all migrations applied: SQLite in a temp dir (WAL), or under the
 * `unit-postgres` project a new database on the run's private PostgreSQL, copied from the migrated
 * template (test/servers/postgres-setup.ts) and dropped on close.
 */
export async function createTestStore(options: { maxAttachmentBytes?: number; secretKey?: string; attachments?: 'filesystem' | 'database' } = {}): Promise<TestStore> {
  const dir = mkdtempSync(join(tmpdir(), 'crm-bridge-test-'));
  const postgres = testDatabase === 'postgres' ? await createPostgresDatabase() : undefined;
  const url = postgres?.url ?? `sqlite:${join(dir, 'test.db')}`;
  const database = openDatabase(url);
  await migrateToLatest(database.db);
  const maxBytes = options.maxAttachmentBytes ?? 1024;
  const blobs = options.attachments === 'database' ? new DatabaseBlobStore(database.db, maxBytes) : new BlobStore(join(dir, 'blobs'), maxBytes);
  const store = new Store(database.db, new SecretBox(options.secretKey ?? 'test-secret-key-0123456789'), blobs);
  return {
    store,
    database,
    url,
    dir,
    async close() {
      await database.close();
      await postgres?.drop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Another process's store on the same database (its own connection pool), sharing the blob folder. */
export function openPeerStore(t: TestStore, options: { maxAttachmentBytes?: number } = {}): { store: Store; close(): Promise<void> } {
  const database = openDatabase(t.url);
  const store = new Store(database.db, new SecretBox('test-secret-key-0123456789'), new BlobStore(join(t.dir, 'blobs'), options.maxAttachmentBytes ?? 1024));
  return { store, close: () => database.close() };
}

let databases = 0;

/** A fresh database on the run's PostgreSQL, copied from the migrated template (drop it when done). */
export async function createPostgresDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const info = inject('postgres');
  databases += 1;
  const name = `test_${process.pid}_${databases}_${randomBytes(3).toString('hex')}`;
  await adminQuery(info, `create database ${name} template ${TEMPLATE_DATABASE}`);
  return { url: `${info.baseUrl}${name}`, drop: () => adminQuery(info, `drop database ${name} with (force)`) };
}
