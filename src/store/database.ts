import { dirname, resolve } from 'node:path';
import { isPostgresUrl } from '../domain/database-url.js';
import SqliteDatabase from 'better-sqlite3';
import pg from 'pg';
import { Kysely, Migrator, PostgresDialect, SqliteDialect, sql, type MigrationResultSet, type SqliteDatabase as SqliteDialectDatabase } from 'kysely';
import { BridgeError } from '../domain/errors.js';
import { migrations } from './migrations/index.js';
import { ensureParentDirectories, ensurePrivateFile, restrictIfExists } from './private-files.js';
import type { Database } from './schema.js';

export interface OpenDatabase {
  db: Kysely<Database>;
  /** Where the data lives, for log lines and the admin UI (never includes credentials). */
  location: string;
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** A database URL as it may appear in logs and errors: the password never does. */
export function redactDatabaseUrl(url: string): string {
  return url.replace(/\/\/([^@/]*)@/, (_match, userInfo: string) => `//${userInfo.split(':')[0]}:***@`);
}

export { isPostgresUrl };

/**
 * Open the database named by a URL: `sqlite:PATH` (or `sqlite::memory:`), or
 * `postgres://user:pass@host:port/db[?sslmode=...]`. The repositories use portable kysely
 * queries; what differs between the two lives here and in dialect.ts.
 */
export function openDatabase(url: string, cwd: string = process.cwd()): OpenDatabase {
  if (isPostgresUrl(url)) return openPostgres(url);
  if (!url.startsWith('sqlite:')) {
    throw new BridgeError('CONFIG', `database: unsupported database URL "${redactDatabaseUrl(url)}" (expected sqlite:PATH or postgres://...)`);
  }
  const path = url.slice('sqlite:'.length);
  const memory = path === ':memory:' || path === '';
  const file = memory ? ':memory:' : resolve(cwd, path);
  let handle: SqliteDatabase.Database;
  try {
    if (!memory) {
      // SQLite creates the -wal and -shm files with the database file's mode, so a 0600 database
      // keeps them 0600 too; ones left by an older version are tightened here (private-files.ts).
      ensureParentDirectories(dirname(file));
      ensurePrivateFile(file);
      for (const suffix of ['-wal', '-shm', '-journal']) restrictIfExists(`${file}${suffix}`);
    }
    handle = new SqliteDatabase(file);
    // WAL lets the API read while the sync engine writes; NORMAL is durable across process crashes
    // (only an OS crash can lose the last transactions), which is what a kill -9 test exercises.
    handle.pragma('journal_mode = WAL');
    handle.pragma('synchronous = NORMAL');
    handle.pragma('foreign_keys = ON');
    handle.pragma('busy_timeout = 5000');
    // better-sqlite3 builds SQLite with a 16 MB page cache; 4 MB keeps a 10,000-message import's
    // peak RSS about 12 MB lower at no measurable cost (the OS caches the file anyway).
    handle.pragma('cache_size = -4000');
  } catch (error) {
    throw new BridgeError('CONFIG', `database: cannot open SQLite database ${file}: ${(error as Error).message}`, { cause: error });
  }
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: withStatementCache(handle) }) });
  return {
    db,
    location: memory ? 'sqlite (in memory)' : `sqlite ${file}`,
    async ping() {
      await sql`select 1`.execute(db);
    },
    async close() {
      await db.destroy();
    },
  };
}

const INT8_OID = 20;

/**
 * node-postgres gives bigint (int8) values as strings, since they may exceed 2^53. The schema has
 * no bigint column (IMAP MODSEQs are text); int8 comes only from count() and sum(), which are
 * numbers on SQLite, so they become numbers here too.
 */
const typeParser = ((oid: number, format?: 'text' | 'binary') => (oid === INT8_OID && format !== 'binary' ? (value: string) => Number(value) : pg.types.getTypeParser(oid, format as 'text'))) as typeof pg.types.getTypeParser;

function openPostgres(url: string): OpenDatabase {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new BridgeError('CONFIG', `database: "${redactDatabaseUrl(url)}" is not a valid postgres:// URL`);
  }
  const name = decodeURIComponent(parsed.pathname.replace(/^\//, ''));
  if (name === '') throw new BridgeError('CONFIG', `database: ${redactDatabaseUrl(url)} names no database (postgres://user:pass@host:port/DATABASE)`);
  // node-postgres reads host, port, user, password, database and sslmode from the URL.
  const pool = new pg.Pool({ connectionString: url, max: 10, application_name: 'crm-bridge', types: { getTypeParser: typeParser } });
  // An idle connection the server drops (restart, failover) must not crash the process: the
  // pool replaces it, and the next query reports the error where it belongs.
  pool.on('error', () => undefined);
  // The same for a connection that is checked out but between queries (the outbox holds one
  // for the length of an SMTP transaction): without a listener its 'error' event would be
  // unhandled and end the process; the next query on it fails instead.
  pool.on('connect', (client) => client.on('error', () => undefined));
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  return {
    db,
    location: `postgres ${parsed.hostname}:${parsed.port || '5432'}/${name}`,
    async ping() {
      await sql`select 1`.execute(db);
    },
    async close() {
      await db.destroy();
    },
  };
}

/**
 * kysely's SQLite driver prepares every statement on every call; preparing is a large part of a
 * small query's cost (measured: 6.8 s of a 10,000-message import). The bridge runs the same few
 * hundred statements again and again, so prepared statements are kept and reused, least recently
 * used dropped first. better-sqlite3 statements are reusable, and kysely's single connection never
 * runs two at once.
 */
function withStatementCache(handle: SqliteDatabase.Database, size = 500): SqliteDialectDatabase {
  const cache = new Map<string, SqliteDatabase.Statement>();
  return {
    close: () => handle.close(),
    prepare(sqlText: string) {
      let statement = cache.get(sqlText);
      if (statement) {
        cache.delete(sqlText);
      } else {
        statement = handle.prepare(sqlText);
        if (cache.size >= size) cache.delete(cache.keys().next().value!);
      }
      cache.set(sqlText, statement);
      return statement;
    },
  };
}

export async function migrateToLatest(db: Kysely<Database>): Promise<MigrationResultSet> {
  const migrator = new Migrator({
    db,
    provider: { getMigrations: async () => migrations },
    migrationTableName: 'schema_migrations',
    migrationLockTableName: 'schema_migrations_lock',
  });
  const result = await migrator.migrateToLatest();
  if (result.error) {
    const failed = result.results?.find((entry) => entry.status === 'Error');
    throw new BridgeError('INTERNAL', `database migration ${failed?.migrationName ?? ''} failed: ${(result.error as Error).message}`, { cause: result.error });
  }
  return result;
}
