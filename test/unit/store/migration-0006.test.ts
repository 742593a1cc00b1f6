import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Migrator, sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { AdminAccounts } from '../../../src/store/admin-accounts.js';
import { hashPassword } from '../../../src/domain/password-hash.js';
import { migrateToLatest, openDatabase, type OpenDatabase } from '../../../src/store/database.js';
import { migrations } from '../../../src/store/migrations/index.js';

let database: OpenDatabase | undefined;
let dir: string | undefined;
afterEach(async () => {
  await database?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('migration 0006-admin', () => {
  it('moves the first-run admin password into the admin accounts and drops sessions that belong to no account', async () => {
    dir = mkdtempSync(join(tmpdir(), 'crm-bridge-migration-'));
    database = openDatabase(`sqlite:${join(dir, 'db.sqlite')}`);
    const before = Object.keys(migrations).filter((name) => name < '0006');
    const migrator = new Migrator({ db: database.db, provider: { getMigrations: async () => migrations }, migrationTableName: 'schema_migrations', migrationLockTableName: 'schema_migrations_lock' });
    expect((await migrator.migrateTo(before.at(-1)!)).error).toBeUndefined();
    await sql`insert into settings (key, value) values ('admin_password_hash', ${await hashPassword('old-admin-password')})`.execute(database.db);
    await sql`insert into admin_sessions (token_hash, created_at, expires_at) values ('x', '2026-01-01T00:00:00Z', '2999-01-01T00:00:00Z')`.execute(database.db);

    await migrateToLatest(database.db);
    expect(await new AdminAccounts(database.db).verify('admin', 'old-admin-password')).toBe(true);
    expect(await database.db.selectFrom('settings').selectAll().where('key', '=', 'admin_password_hash').execute()).toEqual([]);
    expect(await database.db.selectFrom('admin_sessions').selectAll().execute()).toEqual([]);
  });
});
