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

describe('migration 0009-appointment-reminder', () => {
  it('adds a nullable activities.reminder_minutes (null for existing rows); down removes it', async () => {
    dir = mkdtempSync(join(tmpdir(), 'crm-bridge-migration-'));
    database = openDatabase(`sqlite:${join(dir, 'db.sqlite')}`);
    const migrator = new Migrator({ db: database.db, provider: { getMigrations: async () => migrations }, migrationTableName: 'schema_migrations', migrationLockTableName: 'schema_migrations_lock' });
    expect((await migrator.migrateTo('0008-task-percent')).error).toBeUndefined();
    await sql`insert into activities (id, kind, subject, all_day, status, priority, references_json, created_at, updated_at) values ('a1', 'appointment', 'x', 0, 'open', 'normal', '[]', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z')`.execute(database.db);

    await migrateToLatest(database.db);
    expect(await database.db.selectFrom('activities').select(['id', 'reminder_minutes']).execute()).toEqual([{ id: 'a1', reminder_minutes: null }]);
    await database.db.updateTable('activities').set({ reminder_minutes: 15 }).where('id', '=', 'a1').execute();
    expect(await database.db.selectFrom('activities').select(['reminder_minutes']).execute()).toEqual([{ reminder_minutes: 15 }]);

    expect((await migrator.migrateTo('0008-task-percent')).error).toBeUndefined();
    const columns = await sql<{ name: string }>`select name from pragma_table_info('activities')`.execute(database.db);
    expect(columns.rows.map((column) => column.name)).not.toContain('reminder_minutes');
  });
});
