// Several bridge processes on one PostgreSQL (issue 14): every source is held by exactly one of
// them, each holds at most its share, and when one dies (its session ends) the others take its
// sources over. Three PostgresSourceClaims here stand for three processes (each has its own session).
import { pino } from 'pino';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { SOURCE_LOCK_SPACE } from '../../../src/store/lock-spaces.js';
import { PostgresSourceClaims } from '../../../src/store/postgres-source-claims.js';
import { adminQuery } from '../../servers/postgres.js';

const info = inject('postgres');
const log = pino({ level: 'silent' });
const sources = ['imap:a', 'imap:b', 'imap:c', 'caldav:a', 'caldav:b', 'carddav:a', 'shared-mailbox:s'];
const database = `claims_${process.pid}_${Date.now()}`;
const url = `${info.baseUrl}${database}`;
const running: PostgresSourceClaims[] = [];

afterEach(async () => {
  for (const claims of running.splice(0)) await claims.stop();
  await adminQuery(info, `drop database if exists ${database} with (force)`);
});

interface Process {
  claims: PostgresSourceClaims;
  acquired: string[];
  released: string[];
  lost: string[];
}

function startProcess(): Process {
  const claims = new PostgresSourceClaims(url, log, { intervalMs: 100, reconnectMs: 200 });
  const process: Process = { claims, acquired: [], released: [], lost: [] };
  claims.start(sources, { acquired: (id) => process.acquired.push(id), release: (id) => Promise.resolve(void process.released.push(id)), lost: (ids) => process.lost.push(...ids) });
  running.push(claims);
  return process;
}

let watched: Process[] = [];
const debugState = () => watched.map((p) => `[${[...p.claims.owned()].join(',')}]`).join(' ');

async function eventually(check: () => boolean | Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out: ${debugState()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Each source held by exactly one process, none above `share`. */
function partitioned(processes: readonly Process[], share: number): boolean {
  const held = processes.flatMap((p) => [...p.claims.owned()]);
  return held.length === sources.length && new Set(held).size === sources.length && processes.every((p) => p.claims.owned().size <= share);
}

/** What the server says: how many sessions hold each source's lock. */
async function lockHolders(): Promise<number[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const result = await client.query<{ holders: number }>(`select count(*)::int as holders from pg_locks where locktype = 'advisory' and classid = $1::int::oid and objsubid = 2 and granted group by objid`, [SOURCE_LOCK_SPACE]);
    return result.rows.map((row) => row.holders);
  } finally {
    await client.end();
  }
}

describe('PostgreSQL source claims', () => {
  it('spread the sources over three processes, one holder each; a killed session’s sources are taken over', async () => {
    await adminQuery(info, `create database ${database}`);
    const [a, b, c] = [startProcess(), startProcess(), startProcess()];
    const all = [a!, b!, c!];
    watched = all;
    await eventually(() => partitioned(all, 3) && all.every((p) => p.claims.owned().size >= 2));
    expect((await lockHolders()).sort()).toEqual(sources.map(() => 1));

    // c dies as a process would: the server ends its session (its locks go with it), and c does
    // not come back (stop() after the session is gone releases nothing more).
    const lostBefore = [...c!.claims.owned()];
    const pid = c!.claims.sessionPid();
    expect(pid).toBeGreaterThan(0);
    const started = Date.now();
    await adminQuery(info, `select pg_terminate_backend(${pid})`);
    await eventually(() => c!.lost.length >= lostBefore.length);
    await c!.claims.stop();
    expect(c!.lost.sort()).toEqual(lostBefore.sort());
    expect(c!.claims.owned().size).toBe(0);
    await eventually(() => partitioned([a!, b!], 4));
    const takeoverMs = Date.now() - started;
    expect(takeoverMs).toBeLessThan(10_000);
    expect((await lockHolders()).sort()).toEqual(sources.map(() => 1));

    // A new process joins: the others give back their surplus, still one holder per source.
    const d = startProcess();
    watched = [a!, b!, d];
    await eventually(() => partitioned([a!, b!, d], 3) && d.claims.owned().size >= 2);
    expect((await lockHolders()).sort()).toEqual(sources.map(() => 1));
    expect(a!.released.length + b!.released.length).toBeGreaterThan(0);
  }, 60_000);

  it('stop() gives every source back at once; the others take them', async () => {
    await adminQuery(info, `create database ${database}`);
    const a = startProcess();
    await eventually(() => a.claims.owned().size === sources.length);
    const b = startProcess();
    await eventually(() => partitioned([a, b], 4) && b.claims.owned().size === 3);
    await a.claims.stop();
    await eventually(() => b.claims.owned().size === sources.length);
    expect((await lockHolders()).sort()).toEqual(sources.map(() => 1));
  }, 60_000);
});
