// sabre/dav 1.8 (Debian php-sabre-dav) as CalDAV/CardDAV server for integration tests: the server
// without sync-collection (RFC 6578), only getctag and ETags, as older Baikal and ownCloud run it.
// `php -S` serves test/servers/sabre/server.php on a free loopback port with a few workers; its
// SQLite database (sabre's own schema from the package's examples, plus a plain-password users
// table the server script checks Basic auth against) lives in a fresh temp dir.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { propfind } from './dav.js';
import { assertServerPackages } from './ensure-packages.mjs';
import type { Credentials, SabreInfo } from './types.js';
import { DEFAULT_PASSWORD, randomUsername } from './users.js';
import { findFreePort, LOOPBACK, serverLifetime, spawnServer, startOnFreePorts, waitUntilReady } from './util.js';

const SCHEMA_DIR = '/usr/share/doc/php-sabre-dav/examples/sql';
const SCHEMA_FILES = ['sqlite.principals.sql', 'sqlite.calendars.sql', 'sqlite.addressbooks.sql'];
const SERVER_SCRIPT = fileURLToPath(new URL('./sabre/server.php', import.meta.url));

export const PRESET_SABRE_USERS: readonly string[] = ['alice', 'bob'];

export interface SabreServer {
  info: SabreInfo;
  addUser(username: string, password?: string): Credentials;
  stop(): Promise<void>;
}

/** Add a user (and its principal, whose calendar and address-book homes sabre/dav then serves). */
export function addSabreUser(target: Pick<SabreInfo, 'dbFile'>, username: string, password: string = DEFAULT_PASSWORD): Credentials {
  if (!/^[A-Za-z0-9._-]+$/.test(username)) throw new Error(`sabre/dav test usernames are letters, digits, . _ -: ${username}`);
  const db = new Database(target.dbFile);
  try {
    db.pragma('busy_timeout = 5000');
    db.transaction(() => {
      db.prepare('INSERT INTO test_users (username, password) VALUES (?, ?)').run(username, password);
      db.prepare('INSERT INTO principals (uri, email, displayname) VALUES (?, ?, ?)').run(`principals/${username}`, `${username}@example.com`, username);
    })();
  } finally {
    db.close();
  }
  return { username, password };
}

/** A fresh throwaway sabre/dav account, e.g. `alice-5e6f7a8b` / `secret`. */
export function createSabreUser(servers: { sabre: Pick<SabreInfo, 'dbFile'> }, prefix = 'user', password: string = DEFAULT_PASSWORD): Credentials {
  return addSabreUser(servers.sabre, randomUsername(prefix), password);
}

function createDatabase(dbFile: string): void {
  const db = new Database(dbFile);
  try {
    for (const file of SCHEMA_FILES) db.exec(readFileSync(join(SCHEMA_DIR, file), 'utf8'));
    // The example data's admin principal is not one of ours.
    db.exec("DELETE FROM principals WHERE uri LIKE 'principals/admin%'");
    db.exec('CREATE TABLE test_users (username TEXT PRIMARY KEY, password TEXT NOT NULL)');
    // Concurrent PHP workers write to it: WAL keeps readers from blocking on a writer.
    db.pragma('journal_mode = WAL');
  } finally {
    db.close();
  }
}

/**
 * `introspectionUrl`: also accept `Authorization: Bearer` tokens, checked at this RFC 7662
 * endpoint (userinfo in the URL: the resource server's client credentials), the way Nextcloud's
 * user_oidc app lets sabre/dav take the tokens of an OpenID provider.
 */
export async function startSabre(options: { startTimeoutMs?: number; workers?: number; introspectionUrl?: string } = {}): Promise<SabreServer> {
  const binaries = assertServerPackages();
  const life = await serverLifetime('sabre');
  const { dataDir, stop } = life;
  const logFile = join(dataDir, 'php.log');
  const dbFile = join(dataDir, 'sabre.sqlite');
  const users: Credentials[] = PRESET_SABRE_USERS.map((username) => ({ username, password: DEFAULT_PASSWORD }));
  return startOnFreePorts(life, logFile, {
    prepare: () => {
      createDatabase(dbFile);
      for (const user of users) addSabreUser({ dbFile }, user.username, user.password);
      return Promise.resolve();
    },
    attempt: async () => {
      const port = await findFreePort();
      const url = `http://${LOOPBACK}:${port}/`;
      const proc = spawnServer(binaries.php, ['-d', 'include_path=.:/usr/share/php', '-S', `${LOOPBACK}:${port}`, SERVER_SCRIPT], {
        cwd: dataDir,
        logFile,
        env: {
          PATH: process.env['PATH'] ?? '/usr/bin:/bin',
          LANG: 'C.UTF-8',
          SABRE_DB: dbFile,
          ...(options.introspectionUrl !== undefined ? { SABRE_INTROSPECTION: options.introspectionUrl } : {}),
          // php -S forks this many workers (Linux), so the engine's parallel GETs are served.
          PHP_CLI_SERVER_WORKERS: String(options.workers ?? 4),
        },
      });
      const ready = async (): Promise<SabreServer> => {
        const first = users[0]!;
        await waitUntilReady({
          name: 'sabre/dav',
          proc,
          logFile,
          ...(options.startTimeoutMs !== undefined ? { timeoutMs: options.startTimeoutMs } : {}),
          probe: async () => {
            const res = await propfind(`${url}principals/${first.username}/`, '<d:resourcetype/>', '0', first);
            if (res.status !== 207) throw new Error(`PROPFIND /principals/${first.username}/ answered ${res.status}: ${res.text.slice(0, 200)}`);
          },
        });
        const info: SabreInfo = { host: LOOPBACK, port, url, dbFile, logFile, dataDir, users };
        return { info, addUser: (username, password = DEFAULT_PASSWORD) => addSabreUser(info, username, password), stop };
      };
      return { proc, ready };
    },
  });
}
