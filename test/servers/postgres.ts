// A private PostgreSQL instance for the tests: `initdb` into a fresh temp dir, the server on a free
// loopback port with its socket in the same dir, trust authentication for the one superuser
// `bridge` (loopback only). When the test process is root, it runs as the unprivileged user
// `crmbridge-test` (PostgreSQL refuses to run as root), like Dovecot.
//
// Durability is switched off (fsync, synchronous_commit, full_page_writes): the data dies with the
// run, and the tests exercise the bridge's transactions, not the disk.

import { execFileSync } from 'node:child_process';
import { chown, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import pg from 'pg';
import { assertServerPackages } from './ensure-packages.mjs';
import { ensureServiceUser } from './dovecot.js';
import { findFreePort, LOOPBACK, serverLifetime, spawnServer, startOnFreePorts, waitUntilReady } from './util.js';

export interface PostgresInfo {
  host: string;
  port: number;
  user: string;
  /** `postgres://bridge@127.0.0.1:PORT/` : append a database name. */
  baseUrl: string;
  logFile: string;
  /** The PostgreSQL binaries (createdb and the rest) of the server, for tests that need them synchronously. */
  bin: string;
}

export interface PostgresServer {
  info: PostgresInfo;
  stop(): Promise<void>;
}

export const POSTGRES_USER = 'bridge';

export async function startPostgres(options: { startTimeoutMs?: number } = {}): Promise<PostgresServer> {
  const binaries = assertServerPackages();
  const bin = binaries.postgresBin;
  if (bin === undefined) throw new Error('PostgreSQL binaries not found (Debian package postgresql)');
  const runAs = ensureServiceUser();
  const life = await serverLifetime('postgres');
  const { dataDir } = life;
  const clusterDir = join(dataDir, 'cluster');
  const socketDir = join(dataDir, 'socket');
  const logFile = join(dataDir, 'postgres.log');
  const ids = runAs.switchUser ? { uid: runAs.uid, gid: runAs.gid } : {};
  return startOnFreePorts(life, logFile, {
    prepare: async () => {
      await mkdir(socketDir);
      if (runAs.switchUser) {
        await chown(dataDir, runAs.uid, runAs.gid);
        await chown(socketDir, runAs.uid, runAs.gid);
      }
      execFileSync(join(bin, 'initdb'), ['-D', clusterDir, '-U', POSTGRES_USER, '--auth=trust', '-E', 'UTF8', '--locale=C', '--no-sync'], { stdio: ['ignore', 'pipe', 'pipe'], cwd: dataDir, ...ids });
    },
    attempt: async () => {
      const port = await findFreePort();
      const args = ['-D', clusterDir, '-h', LOOPBACK, '-p', String(port), '-k', socketDir, '-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off', '-c', 'max_connections=300', '-c', 'log_min_messages=warning'];
      const proc = spawnServer(join(bin, 'postgres'), args, { cwd: dataDir, logFile, ...ids });
      const baseUrl = `postgres://${POSTGRES_USER}@${LOOPBACK}:${port}/`;
      return {
        proc,
        ready: async () => {
          await waitUntilReady({
            name: 'PostgreSQL',
            proc,
            logFile,
            timeoutMs: options.startTimeoutMs ?? 30_000,
            probe: async () => {
              const client = new pg.Client({ connectionString: `${baseUrl}postgres` });
              await client.connect();
              try {
                await client.query('select 1');
              } finally {
                await client.end();
              }
            },
          });
          return { info: { host: LOOPBACK, port, user: POSTGRES_USER, baseUrl, logFile, bin }, stop: life.stop };
        },
      };
    },
  });
}

/** Run one statement on the server's `postgres` database (CREATE/DROP DATABASE cannot run in a transaction). */
export async function adminQuery(info: PostgresInfo, statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: `${info.baseUrl}postgres` });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}
