// MailboxWatcherFactory over imapflow: per watched folder one dedicated connection that selects
// the folder and waits in IDLE (RFC 2177), or polls with NOOP (RFC 3501 §6.1.2) when the server has
// no IDLE. Untagged EXISTS, EXPUNGE/VANISHED and FETCH (flag) responses arrive as imapflow's
// 'exists', 'expunge' and 'flags' events and become onChange() calls. When the connection ends for
// any reason other than stop(), a NEW client is connected after a capped, jittered exponential
// backoff; a closed ImapFlow instance is never reused (DESIGN.md principle 7).

import type { ImapFlow } from 'imapflow';
import type { FolderWatcher, MailboxWatcherFactory, MailServerSettings } from '../../src/ports/mail.js';
import { closeClient, createImapClient, describeAccount, secretsOf, timeoutOf } from './client.js';
import { toBridgeError } from './parse-imap-error.js';

export interface ImapWatcherOptions {
  /** First reconnect delay; doubles per failed attempt. Default 1000 ms. */
  initialBackoffMs?: number;
  /** Upper bound of the reconnect delay. Default 60 000 ms. */
  maxBackoffMs?: number;
  /**
   * How long one IDLE runs before it is re-issued. RFC 2177 §3 asks clients to re-issue at least
   * every 29 minutes; NAT boxes often forget quiet connections sooner. Default 10 minutes.
   */
  idleRestartMs?: number;
  /** Poll with NOOP even when the server offers IDLE (servers with a broken IDLE; tests). */
  forcePolling?: boolean;
  /** Random source for the jitter, in [0, 1). Default Math.random. */
  random?: () => number;
}

interface WatchOptions {
  pollMs: number;
  onError: (error: unknown) => void;
}

export class ImapWatcherFactory implements MailboxWatcherFactory {
  constructor(private readonly options: ImapWatcherOptions = {}) {}

  watch(settings: MailServerSettings, path: string, onChange: () => void, options: WatchOptions): FolderWatcher {
    return new ImapFolderWatcher(settings, path, onChange, options, this.options);
  }
}

/** Delay before reconnect attempt `failures` (1, 2, ...): initial · 2^(failures-1), capped, ±20 % jitter. */
export function backoffDelay(failures: number, initialMs: number, maxMs: number, random: () => number): number {
  const exponential = Math.min(maxMs, initialMs * 2 ** Math.max(0, Math.min(failures - 1, 30)));
  // Jitter keeps many watchers that lost the server at the same moment from reconnecting in lockstep.
  return Math.round(Math.min(maxMs, exponential * (0.8 + 0.4 * random())));
}

class ImapFolderWatcher implements FolderWatcher {
  private stopped = false;
  private client: ImapFlow | null = null;
  /** The access token the server refused at the last sign-in, to be refreshed before the next. */
  private refusedToken: string | undefined;
  private wake: (() => void) | null = null;
  private notifyQueued = false;
  private readonly done: Promise<void>;
  private readonly timeoutMs: number;
  private readonly initialBackoffMs: number;
  private readonly maxBackoffMs: number;
  private readonly pollMs: number;

  constructor(
    private readonly settings: MailServerSettings,
    private readonly path: string,
    private readonly onChange: () => void,
    private readonly watchOptions: WatchOptions,
    private readonly options: ImapWatcherOptions,
  ) {
    this.timeoutMs = timeoutOf(settings);
    this.initialBackoffMs = Math.max(1, options.initialBackoffMs ?? 1000);
    this.maxBackoffMs = Math.max(this.initialBackoffMs, options.maxBackoffMs ?? 60_000);
    // A zero or negative interval would send NOOPs back to back.
    this.pollMs = Number.isFinite(watchOptions.pollMs) ? Math.max(100, watchOptions.pollMs) : 60_000;
    this.done = this.run();
  }

  async stop(): Promise<void> {
    if (!this.stopped) {
      this.stopped = true;
      this.wake?.();
      const client = this.client;
      // Breaks IDLE (DONE), LOGOUT, close; the loop below then sees `stopped` and ends.
      if (client !== null) await closeClient(client, Math.min(this.timeoutMs, 5000));
    }
    await this.done;
  }

  private async run(): Promise<void> {
    let failures = 0;
    while (!this.stopped) {
      let accessToken: string | undefined;
      try {
        accessToken = await this.accessToken();
      } catch (error) {
        this.report(error, 'Signing in to watch');
        failures += 1;
        await this.sleep(backoffDelay(failures, this.initialBackoffMs, this.maxBackoffMs, this.options.random ?? Math.random));
        continue;
      }
      if (this.stopped) break;
      const client = createImapClient(this.settings, {
        // IDLE is driven below, so that an IDLE broken by imapflow's keepalive NOOP is re-issued
        // and polling happens at pollMs rather than imapflow's own fallback interval.
        autoIdle: false,
        // The socket watchdog must not fire while a poll waits; in IDLE it makes imapflow send
        // a keepalive NOOP after this much quiet, which also detects a dead peer.
        socketTimeoutMs: this.timeoutMs + this.pollMs,
        maxIdleTimeMs: this.options.idleRestartMs ?? 10 * 60_000,
      }, accessToken);
      this.client = client;
      // imapflow emits 'error' at most once per connection and closes it; without a listener the
      // EventEmitter would throw. The loop reports why the connection ended.
      let connectionError: unknown = null;
      client.on('error', (error: unknown) => {
        connectionError = error;
      });
      let selected = false;
      try {
        await client.connect();
        if (this.stopped) break;
        // EXAMINE (RFC 3501 §6.3.2): the watcher only listens, so it must not take \Recent away
        // from other clients or hold the folder read-write.
        await client.mailboxOpen(this.path, { readOnly: true });
        if (this.stopped) break;
        selected = true;
        failures = 0;
        const notify = (): void => this.notify();
        client.on('exists', notify);
        client.on('expunge', notify);
        client.on('flags', notify);
        // Changes made while no connection watched (before the first one, or during a reconnect)
        // were never announced; one call lets the consumer catch up.
        this.notify();
        const idle = this.options.forcePolling !== true && client.capabilities.has('IDLE');
        await (idle ? this.idleLoop(client) : this.pollLoop(client));
        if (!this.stopped) throw connectionError ?? lostConnection(client);
      } catch (error) {
        // A refused access token is refreshed before the next attempt (adapters/bearer-retry.ts).
        if (!selected && accessToken !== undefined && toBridgeError(error, 'sign-in').code === 'AUTH') this.refusedToken = accessToken;
        if (!this.stopped) this.report(error, selected ? 'Watching' : 'Connecting to watch', accessToken);
      } finally {
        if (this.client === client) this.client = null;
        client.close();
      }
      if (this.stopped) break;
      failures += 1;
      await this.sleep(backoffDelay(failures, this.initialBackoffMs, this.maxBackoffMs, this.options.random ?? Math.random));
    }
  }

  /** IDLE until the connection ends. idle() returns whenever IDLE was broken, so re-issue it. */
  private async idleLoop(client: ImapFlow): Promise<void> {
    while (!this.stopped && client.usable) {
      // idle() returns at once outside the SELECTED state; that would spin.
      if (client.mailbox === false) return;
      const started = Date.now();
      const result = await client.idle();
      if (this.stopped || !client.usable) return;
      // `false` on a usable connection: the server refused IDLE (tagged NO/BAD) although it
      // announced it. Poll at pollMs instead of imapflow's own fallback schedule.
      if (result === false) return this.pollLoop(client);
      if (Date.now() - started < 50) await this.sleep(250);
    }
  }

  /** NOOP every pollMs; the server answers with what changed since the last command. */
  private async pollLoop(client: ImapFlow): Promise<void> {
    // A connection that ends during the wait is noticed at once, not a poll interval later.
    const onClose = (): void => this.wake?.();
    client.once('close', onClose);
    try {
      while (!this.stopped && client.usable) {
        await this.sleep(this.pollMs);
        if (this.stopped || !client.usable) return;
        try {
          await client.noop();
        } catch {
          // A failed NOOP means a dead connection; the loop condition sees it.
        }
      }
    } finally {
      client.off('close', onClose);
    }
  }

  /** Coalesce a burst of events (250 new messages) into one onChange per event-loop turn. */
  private notify(): void {
    if (this.notifyQueued || this.stopped) return;
    this.notifyQueued = true;
    setImmediate(() => {
      this.notifyQueued = false;
      if (this.stopped) return;
      try {
        this.onChange();
      } catch (error) {
        this.watchOptions.onError(error);
      }
    });
  }

  /** The OAuth2 access token to sign in with (none with a password); a refused one is refreshed once. */
  private async accessToken(): Promise<string | undefined> {
    const bearer = this.settings.bearer;
    if (bearer === undefined) return undefined;
    const refused = this.refusedToken;
    this.refusedToken = undefined;
    return refused === undefined ? bearer.current() : bearer.rejected(refused);
  }

  private report(error: unknown, doing: string, accessToken?: string): void {
    const context = `${doing} IMAP folder "${this.path}" of ${describeAccount(this.settings)}`;
    try {
      this.watchOptions.onError(toBridgeError(error, context, { folder: this.path, secrets: secretsOf(this.settings, accessToken) }));
    } catch {
      // A throwing onError must not end the watch loop.
    }
  }

  /** Sleep that stop() cuts short. */
  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.wake = () => {
        this.wake = null;
        done();
      };
    });
  }
}

function lostConnection(client: ImapFlow): Error {
  return Object.assign(new Error('IMAP connection closed'), {
    code: 'NoConnection',
    ...(client.byeReason !== undefined ? { reason: client.byeReason } : {}),
  });
}
