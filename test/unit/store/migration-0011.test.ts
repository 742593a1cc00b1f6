import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Migrator, sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase, type OpenDatabase } from '../../../src/store/database.js';
import { migrations } from '../../../src/store/migrations/index.js';
import { SyncBaseRepository } from '../../../src/store/sync-base.js';

let database: OpenDatabase | undefined;
let dir: string | undefined;
afterEach(async () => {
  await database?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('migration 0011-one-sync-base', () => {
  it('moves the calendar and contact merge bases into sync_base unchanged, and back down', async () => {
    dir = mkdtempSync(join(tmpdir(), 'crm-bridge-migration-'));
    database = openDatabase(`sqlite:${join(dir, 'db.sqlite')}`);
    const migrator = new Migrator({ db: database.db, provider: { getMigrations: async () => migrations }, migrationTableName: 'schema_migrations', migrationLockTableName: 'schema_migrations_lock' });
    expect((await migrator.migrateTo('0010-message-fingerprint')).error).toBeUndefined();
    const at = '2026-11-30T10:00:00.000Z';
    await sql`insert into calendar_sync_base (pair, identity, fields_json, ical, updated_at) values ('calendar:alice', 'crm-bridge-act_1', '{"subject":"Review"}', 'BEGIN:VCALENDAR', ${at}), ('tasks:alice', 'todo-7', '{"subject":"Call"}', null, ${at})`.execute(database.db);
    await sql`insert into contact_sync_base (pair, identity, fields_json, vcard, updated_at) values ('contacts:alice', 'uid-1', '{"displayName":"Ann"}', 'BEGIN:VCARD', ${at})`.execute(database.db);

    expect((await migrator.migrateTo('0011-one-sync-base')).error).toBeUndefined();
    const bases = new SyncBaseRepository(database.db);
    expect(await bases.get('calendar:alice', 'crm-bridge-act_1')).toEqual({ fields: { subject: 'Review' }, data: 'BEGIN:VCALENDAR' });
    expect(await bases.get('tasks:alice', 'todo-7')).toEqual({ fields: { subject: 'Call' }, data: null });
    expect([...(await bases.listPair('contacts:alice'))]).toEqual([['uid-1', { fields: { displayName: 'Ann' }, data: 'BEGIN:VCARD' }]]);
    const tables = await sql<{ name: string }>`select name from sqlite_master where type = 'table' and name like '%sync_base'`.execute(database.db);
    expect(tables.rows.map((row) => row.name)).toEqual(['sync_base']);

    expect((await migrator.migrateTo('0010-message-fingerprint')).error).toBeUndefined();
    const calendar = await sql<{ pair: string; ical: string | null }>`select pair, ical from calendar_sync_base order by pair`.execute(database.db);
    expect(calendar.rows).toEqual([{ pair: 'calendar:alice', ical: 'BEGIN:VCALENDAR' }, { pair: 'tasks:alice', ical: null }]);
    const contacts = await sql<{ identity: string; vcard: string | null }>`select identity, vcard from contact_sync_base`.execute(database.db);
    expect(contacts.rows).toEqual([{ identity: 'uid-1', vcard: 'BEGIN:VCARD' }]);
  });
});
