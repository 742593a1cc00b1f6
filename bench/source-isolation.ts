/**
 * How long a good source is held up by a hostile one (issue #12, defect 5). One pass
 * (runSyncPass, as `sync --once` runs it) over a hostile user whose IMAP and CalDAV servers drip
 * one byte a second (test/servers/dripping-server.ts), listed first, and two good sources on the
 * harness servers: a shared mailbox with one message (Dovecot) and a calendar home (Radicale).
 *
 *   (a) a finite drip: each hostile connection drips 30 bytes (30 s), then hangs up; default limits.
 *       Before the fix the good sources waited for the whole drip; after, they finish at once.
 *   (b) an endless drip with commandTimeoutSeconds 10 and sourceDeadlineSeconds 15: when the
 *       hostile sources give up (skipped with BENCH_ISOLATION_ENDLESS=0, since code without
 *       deadlines never ends it).
 *
 * Per source: when its run ended, in seconds after the pass started; and the worst event-loop
 * delay during the pass.
 *
 *   npm run bench -- source-isolation
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { pino } from 'pino';
import { configSchema } from '../src/config/schema.js';
import { createRunners } from '../src/runtime/runners.js';
import type { SourceKind, SourceRunner } from '../src/ports/source.js';
import { runSyncPass } from '../src/sync/run-once.js';
import { sourcesOf } from '../src/sync/sources.js';
import { httpPropfindDrip, imapAfterGreeting, startDrippingServer, type DripScript } from '../test/servers/dripping-server.js';
import { createMailUsers, createRadicaleUser, withTestServers, type TestServers } from '../test/servers/index.js';
import { buildMessage, imapClient } from '../test/support/mail.js';
import { createTestStore } from '../test/support/memory-store.js';
import type { BenchRow } from './store-and-api.js';

const log = pino({ level: 'silent' });

async function pass(servers: TestServers, label: string, drip: (script: DripScript) => DripScript, sync: Record<string, number>): Promise<BenchRow[]> {
  const imapDrip = await startDrippingServer(drip(imapAfterGreeting(1000)));
  const davDrip = await startDrippingServer(drip(httpPropfindDrip(1000)));
  const [support] = await createMailUsers(servers, ['bench-iso']);
  const dav = await createRadicaleUser(servers, 'bench-iso');
  const client = await imapClient(servers, support!.username);
  await client.append('INBOX', buildMessage({ subject: 'good mail' }));
  await client.logout();
  const imap = (host: string, port: number, username: string) => ({ host, port, security: 'none', username, password: 'secret' });
  const config = configSchema.parse({
    sync,
    users: [
      { id: 'mallory', name: 'Mallory', email: 'mallory@example.com', imap: imap(imapDrip.host, imapDrip.port, 'mallory@example.com'), caldav: { url: davDrip.url, username: 'mallory', password: 'x' } },
      { id: 'alice', name: 'Alice', email: 'alice@example.com', caldav: { url: servers.radicale.url, username: dav.username, password: dav.password } },
    ],
    sharedMailboxes: [{ id: 'support', address: support!.username, imap: imap(servers.dovecot.host, servers.dovecot.imapPort, support!.username), folders: ['INBOX'], unknownSender: 'lead' }],
  });
  const t = await createTestStore();
  try {
    for (const user of config.users) await t.store.users.upsert(user);
    const ended = new Map<string, number>();
    const runners = new Map<SourceKind, SourceRunner>();
    for (const [kind, runner] of createRunners(config, t.store, log)) {
      runners.set(kind, {
        kind,
        runOnce: async (source, ...rest) => {
          try {
            return await runner.runOnce(source, ...rest);
          } finally {
            ended.set(source.id, Date.now());
          }
        },
      });
    }
    const loop = monitorEventLoopDelay({ resolution: 10 });
    loop.enable();
    const started = Date.now();
    const limits = { concurrency: config.sync.concurrency, deadlineMs: config.sync.sourceDeadlineSeconds * 1000, graceMs: 5000 };
    const summary = await runSyncPass(sourcesOf(config), runners, t.store, log, new AbortController().signal, limits);
    const total = Date.now() - started;
    loop.disable();
    const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
    const rows: BenchRow[] = summary.results.map((result) => ({
      measure: `${label}: ${result.source} ${result.reached ? `ok (${result.changed} changed)` : `FAILED ${result.error?.code}`}, ended after`,
      value: seconds((ended.get(result.source) ?? started) - started),
    }));
    rows.push({ measure: `${label}: whole pass`, value: seconds(total) });
    rows.push({ measure: `${label}: worst event-loop delay`, value: `${(loop.max / 1e6).toFixed(0)} ms` });
    return rows;
  } finally {
    await t.close();
    await imapDrip.close();
    await davDrip.close();
  }
}

export async function benchSourceIsolation(): Promise<BenchRow[]> {
  return withTestServers(async (servers) => {
    const rows = await pass(servers, '(a) 30 s drip, default limits', (script) => ({ ...script, closeAfterBytes: 30 }), {});
    if (process.env['BENCH_ISOLATION_ENDLESS'] !== '0') {
      rows.push(...(await pass(servers, '(b) endless drip, command 10 s, pass 15 s', (script) => script, { commandTimeoutSeconds: 10, sourceDeadlineSeconds: 15 })));
    }
    return rows;
  });
}
