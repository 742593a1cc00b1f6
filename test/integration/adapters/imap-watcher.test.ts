// Contract tests of the IMAP folder watcher (adapters/imap/watcher.ts) against the real Dovecot:
// IDLE notifications, the NOOP polling fallback, reconnecting with a fresh client after the server
// side drops the connection (a TCP proxy the test can cut, and `doveadm kick`), capped exponential
// backoff, and stop().

import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { EventEmitter, once } from 'node:events';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import type { ImapFlow } from 'imapflow';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { ImapWatcherFactory } from '../../../adapters/imap/index.js';
import { backoffDelay } from '../../../adapters/imap/watcher.js';
import { BridgeError } from '../../../src/domain/errors.js';
import type { FolderWatcher, MailServerSettings } from '../../../src/ports/mail.js';
import { createMailUsers, type Credentials } from '../../servers/users.js';
import { imapClient } from '../../support/mail.js';

const servers = inject('servers');

function settingsFor(user: Credentials, port = servers.dovecot.imapPort): MailServerSettings {
  return {
    host: servers.dovecot.host,
    port,
    security: 'none',
    username: user.username,
    password: user.password,
    allowInsecureTls: false,
    timeoutMs: 10_000,
  };
}

/** A second, independent client: "another mail program" changing the mailbox. */
const otherClient = (user: Credentials): Promise<ImapFlow> => imapClient(servers, user.username, user.password);

/** APPEND from another connection, as a mail program or delivery would. */
async function appendFromElsewhere(user: Credentials, folder: string): Promise<number> {
  const client = await otherClient(user);
  try {
    const result = await client.append(folder, Buffer.from(`Subject: ping ${randomBytes(4).toString('hex')}\r\n\r\nping\r\n`));
    return result === false ? 0 : (result.uid ?? 0);
  } finally {
    await client.logout();
  }
}

/** Records onChange/onError calls; `next('change')` resolves at the next call after it was asked. */
class Recorder {
  readonly events = new EventEmitter();
  changes = 0;
  readonly errors: unknown[] = [];
  readonly errorTimes: number[] = [];
  readonly onChange = (): void => {
    this.changes += 1;
    this.events.emit('change');
  };
  readonly onError = (error: unknown): void => {
    this.errors.push(error);
    this.errorTimes.push(Date.now());
    this.events.emit('error-reported', error);
  };

  async next(event: 'change' | 'error-reported', timeoutMs = 5000): Promise<unknown> {
    const [value] = await once(this.events, event, { signal: AbortSignal.timeout(timeoutMs) });
    return value;
  }
}

/** A TCP relay to Dovecot that the test can cut (server-side drop) or make refuse connections. */
interface Relay {
  port: number;
  accepted: number;
  mode: 'forward' | 'reject';
  open(): number;
  cut(): void;
  close(): Promise<void>;
}

async function startRelay(): Promise<Relay> {
  const sockets = new Set<Socket>();
  const track = (socket: Socket): void => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
  };
  const server: Server = createServer((downstream) => {
    relay.accepted += 1;
    track(downstream);
    if (relay.mode === 'reject') {
      downstream.destroy();
      return;
    }
    const upstream = connect(servers.dovecot.imapPort, servers.dovecot.host);
    track(upstream);
    downstream.pipe(upstream);
    upstream.pipe(downstream);
    downstream.on('close', () => upstream.destroy());
    upstream.on('close', () => downstream.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('relay has no port');
  const relay: Relay = {
    port: address.port,
    accepted: 0,
    mode: 'forward',
    open: () => sockets.size,
    cut: () => {
      for (const socket of sockets) socket.destroy();
    },
    close: async () => {
      relay.cut();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  return relay;
}

async function eventually(check: () => boolean, timeoutMs = 3000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('IMAP folder watcher against Dovecot', () => {
  let user: Credentials;
  let kicked: Credentials;
  const watchers: FolderWatcher[] = [];
  const relays: Relay[] = [];

  beforeAll(async () => {
    [user, kicked] = (await createMailUsers(servers, ['watch', 'kick'])) as [Credentials, Credentials];
  });

  afterEach(async () => {
    await Promise.all(watchers.splice(0).map((w) => w.stop()));
    await Promise.all(relays.splice(0).map((r) => r.close()));
  });

  afterAll(async () => {
    await Promise.all(watchers.map((w) => w.stop()));
  });

  function watch(factory: ImapWatcherFactory, settings: MailServerSettings, path: string, recorder: Recorder, pollMs = 30_000): FolderWatcher {
    const watcher = factory.watch(settings, path, recorder.onChange, { pollMs, onError: recorder.onError });
    watchers.push(watcher);
    return watcher;
  }

  it('calls onChange within 1 s when another client APPENDs, flags or expunges (IDLE)', async () => {
    const recorder = new Recorder();
    const ready = recorder.next('change');
    const watcher = watch(new ImapWatcherFactory(), settingsFor(user), 'INBOX', recorder);
    // The first onChange comes once the folder is selected (catch-up for anything missed).
    await ready;
    // Give the IDLE command its round trip.
    await new Promise((resolve) => setTimeout(resolve, 100));

    let started = Date.now();
    let change = recorder.next('change');
    const uid = await appendFromElsewhere(user, 'INBOX');
    await change;
    expect(Date.now() - started).toBeLessThan(1000);

    const client = await otherClient(user);
    try {
      await client.mailboxOpen('INBOX');
      started = Date.now();
      change = recorder.next('change');
      await client.messageFlagsAdd(String(uid), ['$CRMTracked'], { uid: true });
      await change;
      expect(Date.now() - started).toBeLessThan(1000);

      started = Date.now();
      change = recorder.next('change');
      await client.messageDelete(String(uid), { uid: true });
      await change;
      expect(Date.now() - started).toBeLessThan(1000);
    } finally {
      await client.logout();
    }
    expect(recorder.errors).toEqual([]);

    // After stop() nothing is reported any more.
    await watcher.stop();
    const count = recorder.changes;
    await appendFromElsewhere(user, 'INBOX');
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(recorder.changes).toBe(count);
  });

  it('coalesces a burst of new messages into few onChange calls', async () => {
    const recorder = new Recorder();
    const ready = recorder.next('change');
    watch(new ImapWatcherFactory(), settingsFor(user), 'INBOX', recorder);
    await ready;
    await new Promise((resolve) => setTimeout(resolve, 100));
    const before = recorder.changes;
    const client = await otherClient(user);
    try {
      for (let i = 0; i < 20; i++) await client.append('INBOX', Buffer.from(`Subject: burst ${i}\r\n\r\nx\r\n`));
    } finally {
      await client.logout();
    }
    await eventually(() => recorder.changes > before);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(recorder.changes - before).toBeGreaterThanOrEqual(1);
    expect(recorder.changes - before).toBeLessThanOrEqual(20);
  });

  it('polls with NOOP every pollMs when IDLE is not used', async () => {
    const recorder = new Recorder();
    const ready = recorder.next('change');
    watch(new ImapWatcherFactory({ forcePolling: true }), settingsFor(user), 'INBOX', recorder, 200);
    await ready;
    const started = Date.now();
    const change = recorder.next('change');
    await appendFromElsewhere(user, 'INBOX');
    await change;
    expect(Date.now() - started).toBeLessThan(1000);
    expect(recorder.errors).toEqual([]);
  });

  it('reconnects with a new connection after the server side drops it', async () => {
    const relay = await startRelay();
    relays.push(relay);
    const recorder = new Recorder();
    let ready = recorder.next('change');
    const watcher = watch(new ImapWatcherFactory({ initialBackoffMs: 100 }), settingsFor(user, relay.port), 'INBOX', recorder);
    await ready;
    expect(relay.accepted).toBe(1);

    const reported = recorder.next('error-reported');
    ready = recorder.next('change');
    relay.cut();
    const error = await reported;
    expect(error).toBeInstanceOf(BridgeError);
    expect((error as BridgeError).code).toBe('TEMPORARY');
    expect((error as BridgeError).message).toContain('IMAP folder "INBOX"');
    // Reconnected (a second TCP connection, so a second ImapFlow instance) and caught up.
    await ready;
    expect(relay.accepted).toBe(2);
    await new Promise((resolve) => setTimeout(resolve, 100));
    const change = recorder.next('change');
    await appendFromElsewhere(user, 'INBOX');
    await change;

    // stop() resolves once the connection is closed.
    await watcher.stop();
    await eventually(() => relay.open() === 0, 1000);
  });

  it('backs off exponentially, capped, while the server is unreachable', async () => {
    const relay = await startRelay();
    relays.push(relay);
    const recorder = new Recorder();
    const ready = recorder.next('change');
    // random 0.5 = no jitter: delays 100, 200, 400, 400, ...
    watch(new ImapWatcherFactory({ initialBackoffMs: 100, maxBackoffMs: 400, random: () => 0.5 }), settingsFor(user, relay.port), 'INBOX', recorder);
    await ready;
    relay.mode = 'reject';
    relay.cut();
    await eventually(() => recorder.errors.length >= 5, 5000);
    const gaps = recorder.errorTimes.slice(1, 5).map((t, i) => t - (recorder.errorTimes[i] as number));
    for (const [i, expected] of [100, 200, 400, 400].entries()) {
      expect(gaps[i], `gap ${i}`).toBeGreaterThanOrEqual(expected - 10);
      expect(gaps[i], `gap ${i}`).toBeLessThan(expected + 300);
    }
    for (const error of recorder.errors) expect((error as BridgeError).code).toBe('TEMPORARY');
    // The server comes back: the watcher reconnects and catches up.
    const back = recorder.next('change', 3000);
    relay.mode = 'forward';
    await back;
  });

  it('reconnects after Dovecot kicks the session (doveadm kick)', async () => {
    const recorder = new Recorder();
    let ready = recorder.next('change');
    watch(new ImapWatcherFactory({ initialBackoffMs: 100 }), settingsFor(kicked), 'INBOX', recorder);
    await ready;
    await new Promise((resolve) => setTimeout(resolve, 100));
    const reported = recorder.next('error-reported');
    ready = recorder.next('change');
    // doveadm talks to the harness Dovecot through its base_dir, which the test process can reach
    // (it started that Dovecot); a failure here is a real failure, not a reason to skip.
    execFileSync('doveadm', ['-c', join(servers.dovecot.dataDir, 'dovecot.conf'), 'kick', kicked.username], { stdio: 'pipe', timeout: 5000 });
    const error = (await reported) as BridgeError;
    expect(error.code).toBe('TEMPORARY');
    await ready;
    const change = recorder.next('change');
    await new Promise((resolve) => setTimeout(resolve, 100));
    await appendFromElsewhere(kicked, 'INBOX');
    await change;
  });

  it('reports NOT_FOUND for a folder that does not exist and keeps retrying until stopped', async () => {
    const recorder = new Recorder();
    const watcher = watch(new ImapWatcherFactory({ initialBackoffMs: 50 }), settingsFor(user), `Missing-${randomBytes(3).toString('hex')}`, recorder);
    const error = (await recorder.next('error-reported')) as BridgeError;
    expect(error.code).toBe('NOT_FOUND');
    await eventually(() => recorder.errors.length >= 2);
    await watcher.stop();
    const count = recorder.errors.length;
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(recorder.errors.length).toBe(count);
    expect(recorder.changes).toBe(0);
  });

  it('reports AUTH for wrong credentials without the password', async () => {
    const recorder = new Recorder();
    const password = `pw-${randomBytes(6).toString('hex')}`;
    watch(new ImapWatcherFactory(), { ...settingsFor(user), password }, 'INBOX', recorder);
    const error = (await recorder.next('error-reported')) as BridgeError;
    expect(error.code).toBe('AUTH');
    expect(error.message).not.toContain(password);
  });

  it('stop() during the connect or a backoff wait resolves promptly', async () => {
    const relay = await startRelay();
    relays.push(relay);
    relay.mode = 'reject';
    const recorder = new Recorder();
    const watcher = watch(new ImapWatcherFactory({ initialBackoffMs: 60_000 }), settingsFor(user, relay.port), 'INBOX', recorder);
    await recorder.next('error-reported');
    const started = Date.now();
    await watcher.stop();
    expect(Date.now() - started).toBeLessThan(500);
  });
});

describe('backoffDelay', () => {
  it('doubles from 1 s up to 60 s, with ±20 % jitter', () => {
    const exact = (failures: number) => backoffDelay(failures, 1000, 60_000, () => 0.5);
    expect([1, 2, 3, 4, 5, 6, 7, 8, 50].map(exact)).toEqual([1000, 2000, 4000, 8000, 16_000, 32_000, 60_000, 60_000, 60_000]);
    expect(backoffDelay(1, 1000, 60_000, () => 0)).toBe(800);
    expect(backoffDelay(1, 1000, 60_000, () => 0.999999)).toBe(1200);
    expect(backoffDelay(10, 1000, 60_000, () => 0.999999)).toBe(60_000);
  });
});
