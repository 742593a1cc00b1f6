import { sql, type Kysely } from 'kysely';
import { autoIncrementKey, autoIncrementType } from '../dialect.js';

/**
 * The admin UI (issue 7): several admin accounts (the first-run `admin` password hash moves here
 * from `settings`), sessions that know their admin, the audit log of configuration changes, and
 * the configuration made in the UI (one row per users[] / sharedMailboxes[] entry, secrets sealed).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('admin_accounts')
    .addColumn('username', 'text', (c) => c.primaryKey())
    .addColumn('password_hash', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  const now = new Date().toISOString();
  await sql`insert into admin_accounts (username, password_hash, created_at, updated_at)
            select 'admin', value, ${now}, ${now} from settings where key = 'admin_password_hash'`.execute(db);
  await sql`delete from settings where key = 'admin_password_hash'`.execute(db);

  // Sessions opened before this migration belong to no account: they are dropped (log in again).
  await sql`delete from admin_sessions`.execute(db);
  await db.schema.alterTable('admin_sessions').addColumn('username', 'text', (c) => c.notNull().defaultTo('')).execute();
  await db.schema.alterTable('admin_sessions').addColumn('csrf_token', 'text', (c) => c.notNull().defaultTo('')).execute();

  await db.schema
    .createTable('admin_audit')
    .addColumn('id', autoIncrementType(db), autoIncrementKey(db))
    .addColumn('at', 'text', (c) => c.notNull())
    .addColumn('actor', 'text', (c) => c.notNull())
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('target', 'text', (c) => c.notNull())
    .addColumn('detail', 'text', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('ui_config')
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('document', 'text', (c) => c.notNull())
    .addColumn('secrets', 'text')
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addColumn('updated_by', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('ui_config_pk', ['kind', 'id'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('ui_config').ifExists().execute();
  await db.schema.dropTable('admin_audit').ifExists().execute();
  await db.schema.alterTable('admin_sessions').dropColumn('csrf_token').execute();
  await db.schema.alterTable('admin_sessions').dropColumn('username').execute();
  await db.schema.dropTable('admin_accounts').ifExists().execute();
}
