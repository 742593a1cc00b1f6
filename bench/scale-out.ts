/**
 * Scale-out on PostgreSQL (issue 14): many shared mailboxes on the real Dovecot, imported by
 * `crm-bridge serve` processes (a build of src/, `node dist/src/cli.js`, as users run it):
 *
 *   (a) first import with 1, 2 and 4 processes on one PostgreSQL, and with 1 process on SQLite, in
 *       the same run: wall time from the processes' spawn until every message is an activity,
 *       messages per second, and each process's peak RSS (VmHWM from /proc, read before the stop);
 *   (b) 4 processes on PostgreSQL, one killed with SIGKILL when a third of the mail is in: the
 *       takeover time (the kill until every source is held again by a live process, from pg_locks),
 *       the time to finish, and the counts (activities, distinct Message-IDs, sources: 0 lost, 0
 *       duplicated).
 *
 * Every scenario starts from an empty database; between scenarios the processed keyword is taken
 * off every message, so each one imports and marks the same mailboxes.
 *
 *   npm run bench -- scale-out [--records 1000]   # messages per mailbox; BENCH_MAILBOXES (50) mailboxes;
 *                                                 # BENCH_SCENARIOS=kill,2 runs only those scenarios
 *
 * The machine's cores bound what more processes can give: report the ratio, not an absolute time.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import pg from 'pg';
import { stringify } from 'yaml';
import { SOURCE_LOCK_SPACE } from '../src/store/lock-spaces.js';
import { createMailUsers, startTestServers, type TestServers } from '../test/servers/index.js';
import { adminQuery, startPostgres, type PostgresInfo } from '../test/servers/postgres.js';
import { imapClient } from '../test/support/mail.js';
import { appendAll, children, compiledCli, messageGenerator, type Person } from './imap-import.js';
import type { BenchRow } from './store-and-api.js';

const secretKey = 'bench-secret-key-0123456789';
const processedKeyword = '$CRMImported';
const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));
const log = (line: string) => process.stderr.write(`[scale-out] ${line}\n`);

interface Mailbox {
  username: string;
  password: string;
}

/** One `serve` process; `peakMiB()` reads its peak RSS so far (VmHWM). */
interface Served {
  child: ChildProcess;
  peakMiB(): number;
  stop(signal?: NodeJS.Signals): Promise<void>;
}

function serve(cli: string, configFile: string, cwd: string): Served {
  const child = spawn(process.execPath, [cli, 'serve', '--config', configFile], { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
  children.add(child);
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  exited.then(() => children.delete(child), () => undefined);
  let peak = 0;
  return {
    child,
    peakMiB() {
      try {
        const kib = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))?.[1];
        if (kib) peak = Math.max(peak, Number(kib) / 1024);
      } catch {
        // exited: the last reading stands
      }
      return peak;
    },
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await exited;
      if (signal === 'SIGTERM' && child.exitCode !== 0 && child.exitCode !== null) log(`a serve process exited with ${child.exitCode}: ${stderr}`);
    },
  };
}

function config(servers: TestServers, mailboxes: readonly Mailbox[], database: string, dataDir: string): string {
  return stringify({
    database,
    dataDir,
    secretKey,
    server: { listen: '127.0.0.1:0' },
    logging: { level: 'warn' },
    sync: { intervalSeconds: 3600 },
    sharedMailboxes: mailboxes.map((box, i) => ({
      id: `box${i}`,
      address: box.username,
      processed: { keyword: processedKeyword },
      imap: { host: servers.dovecot.host, port: servers.dovecot.imapPort, security: 'none', username: box.username, password: box.password },
    })),
  });
}

/** Take the processed keyword off every message, so the next scenario imports and marks the same mail. */
async function unmark(servers: TestServers, mailboxes: readonly Mailbox[]): Promise<void> {
  await Promise.all(
    mailboxes.map(async (box) => {
      const client = await imapClient(servers, box.username, box.password);
      try {
        const lock = await client.getMailboxLock('INBOX');
        try {
          await client.messageFlagsRemove('1:*', [processedKeyword]);
        } finally {
          lock.release();
        }
      } finally {
        await client.logout();
      }
    }),
  );
}

interface Counts {
  activities: number;
  keys: number;
  sources: number;
}

interface Database {
  url: string;
  counts(): Promise<Counts>;
  /** How many sources are held by these processes (OS pids; PostgreSQL; null on SQLite). */
  held(pids: readonly number[]): Promise<number | null>;
  close(): Promise<void>;
}

const countsSql = 'select (select count(*) from activities) as activities, (select count(distinct message_key) from activities) as keys, (select count(*) from activity_sources) as sources';

async function postgresDatabase(info: PostgresInfo, name: string): Promise<Database> {
  await adminQuery(info, `create database ${name}`);
  const url = `${info.baseUrl}${name}`;
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  return {
    url,
    async counts() {
      try {
        const row = (await client.query<Record<keyof Counts, string>>(countsSql)).rows[0]!;
        return { activities: Number(row.activities), keys: Number(row.keys), sources: Number(row.sources) };
      } catch {
        return { activities: 0, keys: 0, sources: 0 }; // not migrated yet
      }
    },
    async held(pids) {
      // The claims connection names its process (application_name "crm-bridge claims pid=N"): a
      // killed process's backend may still hold its locks for a moment, and does not count.
      const { rows } = await client.query<{ n: string }>(
        `select count(*) as n from pg_locks l join pg_stat_activity a on a.pid = l.pid
          where l.locktype = 'advisory' and l.classid = $1::int::oid and l.granted and l.database = (select oid from pg_database where datname = current_database())
            and a.application_name = any($2::text[])`,
        [SOURCE_LOCK_SPACE, pids.map((pid) => `crm-bridge claims pid=${pid}`)],
      );
      return Number(rows[0]!.n);
    },
    async close() {
      await client.end();
      await adminQuery(info, `drop database ${name} with (force)`);
    },
  };
}

function sqliteDatabase(file: string): Database {
  return {
    url: `sqlite:${file}`,
    counts() {
      try {
        const db = new BetterSqlite3(file, { readonly: true, fileMustExist: true });
        try {
          return Promise.resolve(db.prepare(countsSql).get() as Counts);
        } finally {
          db.close();
        }
      } catch {
        return Promise.resolve({ activities: 0, keys: 0, sources: 0 });
      }
    },
    held: () => Promise.resolve(null),
    close: () => Promise.resolve(),
  };
}

/** Poll until `check` holds (every 100 ms); the time it took, or null on timeout. */
async function until(check: () => Promise<boolean>, timeoutMs: number): Promise<number | null> {
  const started = Date.now();
  while (Date.now() - started < timeoutMs) {
    if (await check()) return Date.now() - started;
    await sleep(100);
  }
  return null;
}

/** The machine's CPU time so far (all cores), busy and total, in clock ticks (/proc/stat). */
function cpuTicks(): { busy: number; total: number } {
  const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const total = fields.reduce((sum, value) => sum + value, 0);
  const idle = (fields[3] ?? 0) + (fields[4] ?? 0); // idle + iowait
  return { busy: total - idle, total };
}

interface ImportRun {
  /** Share of the machine's CPU time that was busy during the import (every process, PostgreSQL and Dovecot included). */
  cpuBusy: number;
  ms: number;
  counts: Counts;
  peaks: number[];
  takeoverMs?: number | null | undefined;
  killedAt?: number | undefined;
}

async function importWith(cli: string, dir: string, servers: TestServers, mailboxes: readonly Mailbox[], total: number, database: Database, processes: number, kill: boolean): Promise<ImportRun> {
  const file = join(dir, `serve-${processes}-${Date.now()}.yaml`);
  writeFileSync(file, config(servers, mailboxes, database.url, join(dir, 'data')));
  const started = Date.now();
  const ticks = cpuTicks();
  const served = Array.from({ length: processes }, () => serve(cli, file, dir));
  const sample = setInterval(() => served.forEach((entry) => entry.peakMiB()), 200);
  const timeout = 30 * 60_000;
  let run: ImportRun;
  try {
    let takeoverMs: number | null | undefined;
    let killedAt: number | undefined;
    if (kill) {
      await until(async () => (await database.counts()).activities >= total / 3, timeout);
      const victim = served.pop()!;
      victim.peakMiB();
      await victim.stop('SIGKILL');
      killedAt = (await database.counts()).activities;
      const live = served.map((entry) => entry.child.pid!);
      takeoverMs = await until(async () => (await database.held(live)) === mailboxes.length, 120_000);
      served.push(victim); // its peak is reported with the others
    }
    const ms = await until(async () => (await database.counts()).activities >= total, timeout);
    if (ms === null) throw new Error(`the import did not finish within ${timeout / 60_000} minutes: ${JSON.stringify(await database.counts())}`);
    // Settle: a duplicate would show as more activities than messages after the last pass.
    await sleep(2000);
    const after = cpuTicks();
    run = { cpuBusy: (after.busy - ticks.busy) / Math.max(1, after.total - ticks.total), ms: Date.now() - started - 2000, counts: await database.counts(), peaks: served.map((entry) => entry.peakMiB()), ...(kill ? { takeoverMs, killedAt } : {}) };
  } finally {
    clearInterval(sample);
    for (const entry of served) await entry.stop();
  }
  return run;
}

export async function benchScaleOut(options: { perMailbox: number; mailboxes: number }): Promise<BenchRow[]> {
  const { perMailbox, mailboxes: boxes } = options;
  const total = perMailbox * boxes;
  const dir = mkdtempSync(join(tmpdir(), 'crm-bridge-bench-scale-'));
  const rows: BenchRow[] = [];
  const running = await startTestServers();
  const postgres = await startPostgres();
  const servers = running.info;
  try {
    const mailboxes = await createMailUsers(servers, Array.from({ length: boxes }, (_, i) => `scale${i}`));
    log(`appending ${perMailbox} messages to each of ${boxes} mailboxes`);
    const appendStarted = Date.now();
    let bytes = 0;
    // Eight mailboxes at a time (one IMAP connection each).
    for (let first = 0; first < boxes; first += 8) {
      await Promise.all(
        mailboxes.slice(first, first + 8).map(async (box, offset) => {
          const person: Person = { name: `Shared ${first + offset}`, address: box.username, company: 'Example' };
          const client = await imapClient(servers, box.username, box.password);
          try {
            bytes += (await appendAll(client, 'INBOX', perMailbox, messageGenerator(20261207 + first + offset, person, perMailbox))).bytes;
          } finally {
            await client.logout();
          }
        }),
      );
    }
    rows.push({ measure: `mailboxes: ${boxes} shared mailboxes x ${perMailbox} messages = ${total} (10% with a 20-200 KB attachment), appended (not timed below)`, value: `${(bytes / 2 ** 20).toFixed(0)} MiB in ${((Date.now() - appendStarted) / 1000).toFixed(1)} s` });

    const compiled = await compiledCli(dir);
    if ('error' in compiled) throw new Error(compiled.error);
    const scenarios: Array<{ label: string; processes: number; database: 'postgres' | 'sqlite'; kill: boolean }> = [
      { label: '1 process, SQLite', processes: 1, database: 'sqlite', kill: false },
      { label: '1 process, PostgreSQL', processes: 1, database: 'postgres', kill: false },
      { label: '2 processes, PostgreSQL', processes: 2, database: 'postgres', kill: false },
      { label: '4 processes, PostgreSQL', processes: 4, database: 'postgres', kill: false },
      { label: '4 processes, PostgreSQL, one killed (SIGKILL) a third in', processes: 4, database: 'postgres', kill: true },
    ];
    // BENCH_SCENARIOS=kill (or sqlite, 1, 2, 4): only the scenarios whose label contains one of these words.
    const only = (process.env['BENCH_SCENARIOS'] ?? '').split(',').filter(Boolean);
    const chosen = (label: string) => only.length === 0 || only.some((word) => label.toLowerCase().includes(word.toLowerCase()));
    const rates = new Map<string, number>();
    for (const [index, scenario] of scenarios.entries()) {
      if (!chosen(scenario.label)) continue;
      await unmark(servers, mailboxes);
      rmSync(join(dir, 'data'), { recursive: true, force: true });
      const database = scenario.database === 'postgres' ? await postgresDatabase(postgres.info, `scale_${index}`) : sqliteDatabase(join(dir, `scale-${index}.db`));
      log(`${scenario.label}: importing`);
      try {
        const run = await importWith(compiled.cli, dir, servers, mailboxes, total, database, scenario.processes, scenario.kill);
        const rate = total / (run.ms / 1000);
        rates.set(scenario.label, rate);
        const exact = run.counts.activities === total && run.counts.keys === total && run.counts.sources === total;
        rows.push({ measure: `${scenario.label}: wall time, messages/s, machine CPU busy`, value: `${(run.ms / 1000).toFixed(1)} s, ${rate.toFixed(0)}/s, ${(run.cpuBusy * 100).toFixed(0)}%` });
        rows.push({ measure: `${scenario.label}: peak RSS per process`, value: run.peaks.map((peak) => `${peak.toFixed(0)} MiB`).join(', ') });
        rows.push({ measure: `${scenario.label}: activities / distinct Message-IDs / sources (of ${total})`, value: `${run.counts.activities} / ${run.counts.keys} / ${run.counts.sources}: ${exact ? '0 lost, 0 duplicated' : 'MISMATCH'}` });
        if (scenario.kill) {
          rows.push({ measure: `${scenario.label}: activities at the kill; takeover (kill until all ${boxes} sources held again)`, value: `${run.killedAt}; ${run.takeoverMs === null || run.takeoverMs === undefined ? 'not within 120 s' : `${(run.takeoverMs / 1000).toFixed(1)} s (target <= 30 s)`}` });
        }
      } finally {
        await database.close();
      }
    }
    const ratio = (label: string, over: string, measure: string) => {
      const a = rates.get(label);
      const b = rates.get(over);
      if (a !== undefined && b !== undefined) rows.push({ measure, value: `${(a / b).toFixed(2)}x` });
    };
    ratio('2 processes, PostgreSQL', '1 process, PostgreSQL', 'throughput 2 processes / 1 process (PostgreSQL; target >= 1.6)');
    ratio('4 processes, PostgreSQL', '1 process, PostgreSQL', 'throughput 4 processes / 1 process (PostgreSQL)');
    ratio('1 process, PostgreSQL', '1 process, SQLite', 'throughput 1 process PostgreSQL / SQLite');
    return rows;
  } finally {
    for (const child of children) child.kill('SIGKILL');
    await postgres.stop();
    await running.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
