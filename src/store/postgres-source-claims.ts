import { randomInt } from 'node:crypto';
import type { Logger } from 'pino';
import pg from 'pg';
import type { ClaimHooks, SourceClaims } from '../ports/source-claims.js';
import { planClaims } from '../domain/claim-plan.js';

import { PROCESS_LOCK_SPACE, SOURCE_LOCK_SPACE } from './lock-spaces.js';

export interface PostgresClaimsOptions {
  /** How often the share is checked: a dead process's sources are taken over within about this. */
  intervalMs?: number;
  /** Wait before connecting again after the claims connection broke. */
  reconnectMs?: number;
  /** The lock space of what is claimed (default: sources). */
  space?: number;
  /**
   * Whether this session counts as a live process (default true). A process holds one counting
   * claims session (its sources); a second one for its duties does not count again.
   */
  registers?: boolean;
}

/**
 * Source ownership among `serve` processes on one PostgreSQL, with PostgreSQL's own mechanism: a
 * session-level advisory lock per source (`pg_try_advisory_lock(SOURCE_LOCK_SPACE,
 * hashtext(source id))`), held on a connection of its own. The server releases a session's locks
 * when the session ends, so a process that dies, or loses its connection, frees its sources
 * without any heartbeat; the others see it at their next check and take them. Each process also
 * holds one lock in PROCESS_LOCK_SPACE, so pg_locks tells how many are live, and takes at most its
 * share (claim-plan.ts). A job queue (pg-boss, graphile-worker) hands out short jobs; a mailbox is
 * owned for hours, with its IDLE connections, which is what a held lock models.
 *
 * Two source ids with the same hashtext share one lock: both then go to the same process, which
 * is safe (still one process per source).
 */
export class PostgresSourceClaims implements SourceClaims {
  private client: pg.Client | undefined;
  private readonly held = new Set<string>();
  /** Held sources being given back: their runs are winding down, their locks not yet released. */
  private readonly releasing = new Set<string>();
  private readonly offset = randomInt(0, 2 ** 31);
  private readonly processKey = randomInt(-(2 ** 31), 2 ** 31);
  private timer: NodeJS.Timeout | undefined;
  private ticking: Promise<void> | undefined;
  private stopped = false;
  private sources: readonly string[] = [];
  private hooks: ClaimHooks | undefined;
  private readonly space: number;

  constructor(
    private readonly url: string,
    private readonly log: Logger,
    private readonly options: PostgresClaimsOptions = {},
  ) {
    this.space = options.space ?? SOURCE_LOCK_SPACE;
  }

  start(sourceIds: readonly string[], hooks: ClaimHooks): void {
    this.sources = [...sourceIds];
    this.hooks = hooks;
    this.schedule(0);
  }

  /** The sources this process holds now (for tests and the admin UI). */
  owned(): ReadonlySet<string> {
    return this.held;
  }

  /** The server process of the claims session (pg_stat_activity.pid), while connected. */
  sessionPid(): number | undefined {
    return (this.client as (pg.Client & { processID?: number }) | undefined)?.processID;
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.ticking = this.tick()
        .catch((error: unknown) => this.connectionLost(error))
        .finally(() => {
          this.ticking = undefined;
          this.schedule(this.client ? (this.options.intervalMs ?? 5000) : (this.options.reconnectMs ?? 2000));
        });
    }, delayMs);
    this.timer.unref();
  }

  private async connect(): Promise<pg.Client> {
    const client = new pg.Client({ connectionString: this.url, application_name: `crm-bridge claims pid=${process.pid}` });
    // A broken connection has lost its locks on the server: stop the sources at once.
    client.on('error', (error) => this.connectionLost(error, client));
    client.on('end', () => this.connectionLost(new Error('the claims connection ended'), client));
    await client.connect();
    try {
      if (this.options.registers !== false) await client.query('select pg_advisory_lock($1, $2)', [PROCESS_LOCK_SPACE, this.processKey]);
    } catch (error) {
      // Not handed out: nobody else would ever end this connection.
      await client.end().catch(() => undefined);
      throw error;
    }
    return client;
  }

  private async tick(): Promise<void> {
    this.client ??= await this.connect();
    const client = this.client;
    // Live processes (their process locks) and how many sources each holds, by session.
    const sessions = await client.query<{ pid: number; held: number }>(
      `select p.pid, (select count(*)::int from pg_locks s
                       where s.locktype = 'advisory' and s.classid = $2::int::oid and s.objsubid = 2 and s.granted and s.pid = p.pid and s.database = p.database) as held
         from pg_locks p
        where p.locktype = 'advisory' and p.classid = $1::int::oid and p.objsubid = 2 and p.granted
          and p.database = (select oid from pg_database where datname = current_database())`,
      [PROCESS_LOCK_SPACE, this.space],
    );
    const self = this.sessionPid() ?? 0;
    const peers = sessions.rows.filter((row) => row.pid !== self).map((row) => ({ rank: row.pid, held: row.held }));
    const plan = planClaims({ sources: this.sources, held: this.held, live: Math.max(1, sessions.rows.length), offset: this.offset, peers, rank: self });
    // A source is given back once its run in flight has ended, which can take long (a first
    // import): that wait runs on its own, so this tick (and the next ones) go on claiming, which is
    // what takes over a dead process's sources in time. Until its lock is released it stays held.
    for (const id of plan.release) {
      if (this.stopped || client !== this.client) return;
      if (this.releasing.has(id)) continue;
      this.releasing.add(id);
      void this.giveBack(client, id, plan.share);
    }
    for (const id of plan.candidates) {
      if (this.held.size >= plan.share || this.stopped || client !== this.client) return;
      const result = await client.query<{ ok: boolean }>('select pg_try_advisory_lock($1, hashtext($2)) as ok', [this.space, id]);
      if (!result.rows[0]?.ok) continue;
      this.held.add(id);
      this.log.info({ source: id, share: plan.share }, 'source claimed');
      this.hooks!.acquired(id);
    }
  }

  private async giveBack(client: pg.Client, id: string, share: number): Promise<void> {
    try {
      await this.hooks!.release(id);
      // The connection broke meanwhile: its locks are gone already (connectionLost cleared them).
      if (client !== this.client || !this.held.has(id)) return;
      this.held.delete(id);
      await client.query('select pg_advisory_unlock($1, hashtext($2))', [this.space, id]);
      this.log.info({ source: id, share }, 'source given back to another bridge process');
    } catch (error) {
      this.log.warn({ err: error, source: id }, 'giving a source back failed; it stays with this process');
    } finally {
      this.releasing.delete(id);
    }
  }

  private connectionLost(error: unknown, client?: pg.Client): void {
    if (client !== undefined && client !== this.client) return;
    const had = [...this.held];
    this.held.clear();
    const old = this.client;
    this.client = undefined;
    void old?.end().catch(() => undefined);
    if (this.stopped) return;
    this.log.warn({ err: error, sources: had }, 'lost the connection that holds the source claims; the sources stop until it is back');
    if (had.length > 0) this.hooks?.lost(had);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.ticking;
    const client = this.client;
    this.client = undefined;
    this.held.clear();
    // Ending the session releases every lock it holds.
    await client?.end().catch(() => undefined);
  }
}

/** Sources held for one `sync --once` pass, and how to let them go. */
export interface OnePassClaims {
  held: ReadonlySet<string>;
  release(): Promise<void>;
}

/**
 * `sync --once` next to running `serve` processes on one PostgreSQL: it takes the same lock per
 * source for the length of its pass, without waiting, so that no serve starts on a source it got
 * meanwhile. It does not count as a live process (serve's fair shares are not changed by a passing
 * command).
 */
export async function claimForOnePass(url: string, sourceIds: readonly string[]): Promise<OnePassClaims> {
  const client = new pg.Client({ connectionString: url, application_name: `crm-bridge sync --once pid=${process.pid}` });
  client.on('error', () => undefined);
  await client.connect();
  const held = new Set<string>();
  try {
    for (const id of sourceIds) {
      const result = await client.query<{ ok: boolean }>('select pg_try_advisory_lock($1, hashtext($2)) as ok', [SOURCE_LOCK_SPACE, id]);
      if (result.rows[0]?.ok) held.add(id);
    }
  } catch (error) {
    await client.end().catch(() => undefined);
    throw error;
  }
  // Ending the session releases its locks.
  return { held, release: () => client.end().catch(() => undefined) };
}
