// `crm-bridge migrate` (and every `serve` at start) may run in several processes against one
// PostgreSQL at once (issue 14): each must end with the schema complete and each migration applied
// once. kysely's Migrator takes a session-level advisory lock on PostgreSQL; this holds it to that.
// Only in the unit-postgres project: SQLite is one file on one machine.
import { afterEach, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { migrateToLatest, openDatabase, type OpenDatabase } from '../../../src/store/database.js';
import { migrations } from '../../../src/store/migrations/index.js';
import { adminQuery } from '../../servers/postgres.js';

const info = inject('postgres');
const name = `migrate_${process.pid}_${Date.now()}`;
const opened: OpenDatabase[] = [];
afterEach(async () => {
  for (const database of opened.splice(0)) await database.close();
  await adminQuery(info, `drop database if exists ${name} with (force)`);
});

describe('migrate on PostgreSQL', () => {
  it('from four processes at once: every one succeeds, every migration is applied once', async () => {
    await adminQuery(info, `create database ${name}`);
    for (let i = 0; i < 4; i += 1) opened.push(openDatabase(`${info.baseUrl}${name}`));
    const results = await Promise.all(opened.map((database) => migrateToLatest(database.db)));
    const applied = results.flatMap((result) => (result.results ?? []).filter((entry) => entry.status === 'Success').map((entry) => entry.migrationName));
    expect(applied.sort()).toEqual(Object.keys(migrations).sort());
    const rows = await opened[0]!.db.selectFrom('schema_migrations' as never).select('name' as never).execute();
    expect(rows).toHaveLength(Object.keys(migrations).length);
    // The schema works: a write and a read through the last migration's table.
    await opened[1]!.db.insertInto('sync_base').values({ pair: 'calendar:alice', identity: 'u1', fields_json: '{}', data: null, updated_at: new Date().toISOString() }).execute();
    expect(await opened[2]!.db.selectFrom('sync_base').select('identity').execute()).toEqual([{ identity: 'u1' }]);
  });
});
