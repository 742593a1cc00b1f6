import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Migrator, sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase, type OpenDatabase } from '../../../src/store/database.js';
import { migrations } from '../../../src/store/migrations/index.js';
import { SyncErrorRepository } from '../../../src/store/sync-errors.js';

let database: OpenDatabase | undefined;
let dir: string | undefined;
afterEach(async () => {
  await database?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('migration 0013-sync-error-counts', () => {
  it('merges the rows of one problem into its latest, counting them from the first, and keeps the others apart', async () => {
    dir = mkdtempSync(join(tmpdir(), 'crm-bridge-migration-'));
    database = openDatabase(`sqlite:${join(dir, 'db.sqlite')}`);
    const migrator = new Migrator({ db: database.db, provider: { getMigrations: async () => migrations }, migrationTableName: 'schema_migrations', migrationLockTableName: 'schema_migrations_lock' });
    expect((await migrator.migrateTo('0012-shared-state')).error).toBeUndefined();
    const row = (source: string, item: string | null, code: string, message: string, at: string) => sql`insert into sync_errors (source, item_ref, code, message, at) values (${source}, ${item}, ${code}, ${message}, ${at})`.execute(database!.db);
    await row('imap:alice', null, 'AUTH', 'first', '2026-12-01T10:00:00.000Z');
    await row('imap:alice', null, 'AUTH', 'second', '2026-12-01T10:05:00.000Z');
    await row('imap:alice', null, 'AUTH', 'third', '2026-12-01T10:10:00.000Z');
    await row('imap:alice', 'INBOX/1', 'AUTH', 'an item', '2026-12-01T10:01:00.000Z');
    await row('caldav:alice', null, 'AUTH', 'other source', '2026-12-01T10:02:00.000Z');

    expect((await migrator.migrateTo('0013-sync-error-counts')).error).toBeUndefined();
    const rows = await new SyncErrorRepository(database.db as never).list(10, { state: 'all' });
    expect(rows.map((entry) => [entry.source, entry.itemRef, entry.message, entry.count, entry.firstSeen, entry.lastSeen])).toEqual([
      ['imap:alice', null, 'third', 3, '2026-12-01T10:00:00.000Z', '2026-12-01T10:10:00.000Z'],
      ['caldav:alice', null, 'other source', 1, '2026-12-01T10:02:00.000Z', '2026-12-01T10:02:00.000Z'],
      ['imap:alice', 'INBOX/1', 'an item', 1, '2026-12-01T10:01:00.000Z', '2026-12-01T10:01:00.000Z'],
    ]);
    expect((await migrator.migrateTo('0012-shared-state')).error).toBeUndefined();
    expect((await migrator.migrateTo('0013-sync-error-counts')).error).toBeUndefined();
  });
});
