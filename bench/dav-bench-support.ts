/**
 * What the DAV benchmarks (caldav-sync, carddav-sync) share: timing, counting the bridge's HTTP
 * requests, one timed bridge pass over a source, and vdirsyncer syncing the same collections into a
 * local folder as the peer measured in the same run.
 */
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { pino, type Logger } from 'pino';
import type { Config } from '../src/config/schema.js';
import { applyConfig } from '../src/store/apply-config.js';
import { createRunners } from '../src/runtime/runners.js';
import { BlobStore } from '../src/store/blob-store.js';
import { migrateToLatest, openDatabase, type OpenDatabase } from '../src/store/database.js';
import { SecretBox } from '../src/store/secret-box.js';
import { Store } from '../src/store/store.js';
import { runSource } from '../src/sync/run-once.js';
import { sourcesOf } from '../src/sync/sources.js';
import type { SourceKind, SourceRunner, SyncSource } from '../src/ports/source.js';
import type { BenchRow } from './store-and-api.js';

const run = promisify(execFile);

export async function timed<T>(work: () => Promise<T>): Promise<{ ms: number; result: T }> {
  const started = process.hrtime.bigint();
  const result = await work();
  return { ms: Number(process.hrtime.bigint() - started) / 1e6, result };
}

export const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

/** iCalendar's basic UTC form, 20260101T080000Z. */
export function basic(value: Date): string {
  return value.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
}

/** One bench event (a VEVENT, no VCALENDAR around it); every third has an attendee. */
export function eventText(index: number, recurring: boolean, start: Date, summary = `Customer call ${index}`): string {
  const lines = [
    'BEGIN:VEVENT',
    `UID:bench-event-${index}@example.com`,
    `DTSTAMP:${basic(new Date(Date.UTC(2026, 0, 1)))}`,
    `DTSTART:${basic(start)}`,
    `DTEND:${basic(new Date(start.getTime() + 3_600_000))}`,
    `SUMMARY:${summary}`,
    `LOCATION:Room ${index % 40}`,
    `DESCRIPTION:Agenda item ${index}\\nSecond line`,
    ...(recurring ? ['RRULE:FREQ=WEEKLY;COUNT=20'] : []),
    ...(index % 3 === 0 ? [`ATTENDEE;CN=Guest ${index};PARTSTAT=NEEDS-ACTION:mailto:guest${index % 500}@customer.example`] : []),
    'END:VEVENT',
  ];
  return lines.join('\r\n');
}

export function percentile(samples: readonly number[], p: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

/** Counts the HTTP requests this process makes (the DAV adapters use the global fetch). */
export function countRequests(): { count: () => number; byMethod: () => string; restore: () => void } {
  const original = globalThis.fetch;
  let requests = 0;
  const methods = new Map<string, number>();
  globalThis.fetch = (input, init) => {
    requests += 1;
    const method = init?.method ?? 'GET';
    methods.set(method, (methods.get(method) ?? 0) + 1);
    return original(input, init);
  };
  return {
    count: () => requests,
    /** `1 MKCOL, 1000 PUT, ...`, alphabetical. */
    byMethod: () => [...methods].sort(([a], [b]) => a.localeCompare(b)).map(([method, n]) => `${n} ${method}`).join(', '),
    restore: () => void (globalThis.fetch = original),
  };
}

export interface BenchBridge {
  database: OpenDatabase;
  store: Store;
  log: Logger;
  runners: ReadonlyMap<SourceKind, SourceRunner>;
  /** The configuration's first source of the kind measured. */
  source: SyncSource;
}

/** A bridge on a fresh SQLite database in `dir` with `config` applied, and its first source of `kind`. */
export async function openBenchBridge(dir: string, config: Config, kind: SourceKind): Promise<BenchBridge> {
  const database = openDatabase(`sqlite:${join(dir, 'bridge.db')}`);
  await migrateToLatest(database.db);
  const store = new Store(database.db, new SecretBox('bench-secret-key-0123456789'), new BlobStore(join(dir, 'blobs'), 1024 * 1024));
  await applyConfig(store, config);
  const log = pino({ level: 'silent' });
  const source = sourcesOf(config).find((candidate) => candidate.kind === kind);
  if (!source) throw new Error(`the bench configuration has no ${kind} source`);
  return { database, store, log, runners: createRunners(config, store, log), source };
}

/** A function that runs one bridge pass over `source`, adds a row `bridge <label>` (time, requests, changes) and returns the time. */
export function bridgePasses(rows: BenchRow[], source: SyncSource, runners: ReadonlyMap<SourceKind, SourceRunner>, store: Store, log: Logger, counter: { count: () => number }): (label: string) => Promise<number> {
  return async (label) => {
    const before = counter.count();
    const { ms, result } = await timed(() => runSource(source, runners, store, log, new AbortController().signal));
    if (!result.reached || result.skipped) throw new Error(`${label}: ${result.skipped ?? result.error?.message}`);
    rows.push({ measure: `bridge ${label}`, value: `${seconds(ms)}, ${counter.count() - before} HTTP requests, ${result.changed} changed, ${result.itemErrors} item errors` });
    return ms;
  };
}

export interface VdirsyncerPeer {
  /** caldav or carddav */
  type: 'caldav' | 'carddav';
  /** The user's home, where vdirsyncer discovers the collections. */
  home: string;
  username: string;
  password: string;
  /** Collection names below the home. */
  collections: readonly string[];
  fileext: '.ics' | '.vcf';
}

/** Runs `vdirsyncer discover` (untimed), then times a first and a no-change `vdirsyncer sync` into an empty folder below `dir`; adds both rows and returns the first sync's time. */
export async function measureVdirsyncer(rows: BenchRow[], dir: string, peer: VdirsyncerPeer, what: string): Promise<number> {
  const config = join(dir, 'vdirsyncer.conf');
  const collections = peer.collections.map((name) => JSON.stringify(name)).join(', ');
  writeFileSync(
    config,
    `[general]\nstatus_path = "${join(dir, 'vdir-status')}"\n\n[pair bench]\na = "remote"\nb = "local"\ncollections = [${collections}]\n\n[storage remote]\ntype = "${peer.type}"\nurl = "${peer.home}"\nusername = "${peer.username}"\npassword = "${peer.password}"\n\n[storage local]\ntype = "filesystem"\npath = "${join(dir, 'vdir')}"\nfileext = "${peer.fileext}"\n`,
  );
  // `discover` asks before creating the local collections: answer yes.
  const vdirsyncer = (args: string) => run('sh', ['-c', `yes | vdirsyncer -c '${config}' ${args}`], { maxBuffer: 64 * 1024 * 1024 });
  await vdirsyncer('discover bench');
  const first = await timed(() => vdirsyncer('sync bench'));
  rows.push({ measure: `vdirsyncer first sync (${what})`, value: seconds(first.ms) });
  const again = await timed(() => vdirsyncer('sync bench'));
  rows.push({ measure: 'vdirsyncer no-change sync', value: seconds(again.ms) });
  return first.ms;
}
