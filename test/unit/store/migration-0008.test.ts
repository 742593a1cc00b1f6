import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Migrator, sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { migrateToLatest, openDatabase, type OpenDatabase } from '../../../src/store/database.js';
import { migrations } from '../../../src/store/migrations/index.js';

let database: OpenDatabase | undefined;
let dir: string | undefined;
afterEach(async () => {
  await database?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('migration 0008-task-percent', () => {
  it('adds activities.percent_complete: 100 for completed tasks, null for everything else; down removes it', async () => {
    dir = mkdtempSync(join(tmpdir(), 'crm-bridge-migration-'));
    database = openDatabase(`sqlite:${join(dir, 'db.sqlite')}`);
    const migrator = new Migrator({ db: database.db, provider: { getMigrations: async () => migrations }, migrationTableName: 'schema_migrations', migrationLockTableName: 'schema_migrations_lock' });
    expect((await migrator.migrateTo('0007-busy-indexes')).error).toBeUndefined();
    const row = (id: string, kind: string, status: string) =>
      sql`insert into activities (id, kind, subject, all_day, status, priority, references_json, created_at, updated_at) values (${id}, ${kind}, 'x', 0, ${status}, 'normal', '[]', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z')`.execute(database!.db);
    await row('a1', 'task', 'completed');
    await row('a2', 'follow_up', 'completed');
    await row('a3', 'task', 'open');
    await row('a4', 'email_in', 'completed');

    await migrateToLatest(database.db);
    const rows = await database.db.selectFrom('activities').select(['id', 'percent_complete']).orderBy('id').execute();
    expect(rows).toEqual([
      { id: 'a1', percent_complete: 100 },
      { id: 'a2', percent_complete: 100 },
      { id: 'a3', percent_complete: null },
      { id: 'a4', percent_complete: null },
    ]);

    expect((await migrator.migrateTo('0007-busy-indexes')).error).toBeUndefined();
    const columns = await sql<{ name: string }>`select name from pragma_table_info('activities')`.execute(database.db);
    expect(columns.rows.map((column) => column.name)).not.toContain('percent_complete');
  });
});
