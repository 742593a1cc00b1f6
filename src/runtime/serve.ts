import { once } from 'node:events';
import type { Server } from 'node:http';
import type { Logger } from 'pino';
import { bootstrapAdmin, adminUser } from '../admin/bootstrap.js';
import { AdminSessions } from '../store/admin-sessions.js';
import { connectionAdapters, createApp } from './http-app.js';
import { parseListen, publicBaseUrl } from '../api/public-url.js';
import type { ApiContext } from '../api/context.js';
import type { Config } from '../config/schema.js';
import { createMetrics } from '../metrics.js';
import { SourceStates } from '../sync/source-states.js';
import { packageVersion } from '../version.js';
import { WebhookDispatcher } from '../webhooks/dispatcher.js';
import { targetPolicyOf } from '../webhooks/target-policy.js';
import { openRuntime } from './open-runtime.js';
import { createDiscoveryLookup, createMail, createScheduler, createFreeBusyLookup } from './runners.js';
import { dutyLoop, startWorkerLoop } from './worker-loop.js';
import { isPostgresUrl } from '../store/database.js';
import { DUTY_LOCK_SPACE } from '../store/lock-spaces.js';
import { PostgresSourceClaims } from '../store/postgres-source-claims.js';

export interface RunningServer {
  url: string;
  server: Server;
  /** Graceful stop: no new requests, in-flight work finished, connections and database closed. */
  stop(): Promise<void>;
}

/** `crm-bridge serve`: API, admin UI, webhooks and sync workers in one process. */
export async function startServer(config: Config, log: Logger, print: (line: string) => void = (line) => process.stdout.write(`${line}\n`)): Promise<RunningServer> {
  const runtime = await openRuntime(config, log);
  const { store } = runtime;
  const metrics = createMetrics();
  const version = packageVersion();

  const webhookPolicy = targetPolicyOf(config);
  const dispatcher = new WebhookDispatcher(store, log.child({ component: 'webhooks' }), {
    timeoutMs: config.webhookDelivery.timeoutSeconds * 1000,
    maxBackoffSeconds: config.webhookDelivery.maxBackoffSeconds,
    // The configuration file alone names the hosts a webhook may reach on a private network.
    policy: webhookPolicy,
  }, metrics);
  const webhookLoop = dutyLoop(() => startWorkerLoop('webhooks', 1000, async () => {
    await dispatcher.runOnce();
  }, log));

  // runtime.config is the YAML merged with the admin UI's entries; the UI changes it while running.
  const states = new SourceStates();
  let scheduler = createScheduler(runtime.config, store, log, metrics, states);
  scheduler.start();
  let mail = createMail(runtime.config, store, log);
  const outboxLoop = dutyLoop(async () => {
    await mail.outbox.recover();
    return startWorkerLoop('outbox', 5000, async () => {
      await mail.outbox.runDue();
    }, log);
  });
  // Several processes on one PostgreSQL: one of them delivers webhooks and one sends the outbox
  // (each in change order); alone, this process does both.
  const duties = isPostgresUrl(config.database) ? new PostgresSourceClaims(config.database, log.child({ component: 'duties' }), { space: DUTY_LOCK_SPACE, registers: false }) : undefined;
  const loops = new Map([['webhooks', webhookLoop], ['outbox', outboxLoop]]);
  if (duties) {
    duties.start([...loops.keys()], {
      acquired: (duty) => void loops.get(duty)?.start(),
      release: async (duty) => loops.get(duty)?.stop(),
      lost: (lost) => {
        for (const duty of lost) void loops.get(duty)?.stop();
      },
    });
  } else {
    for (const loop of loops.values()) await loop.start();
  }

  const ctx: ApiContext = { store, config: runtime.config, log, mail, freeBusy: createFreeBusyLookup(store, log), discovery: createDiscoveryLookup(runtime.config), notifyChange: () => webhookLoop.wake(), webhookPolicy };
  const adminHooks = {
    yamlConfig: config,
    states,
    connections: connectionAdapters(),
    runNow: (sourceId: string) => {
      const source = scheduler.source(sourceId);
      if (source) void scheduler.run(source);
      return source !== undefined;
    },
    // The admin UI saved configuration (already merged and applied to the store): restart the sync and the outbox on it.
    configChanged: async (next: Config) => {
      await scheduler.stop();
      if (stopping) return; // shutting down: no new scheduler
      scheduler = createScheduler(next, store, log, metrics, states);
      scheduler.start();
      mail = createMail(next, store, log);
      ctx.mail = mail;
    },
  };
  const app = createApp(ctx, { metrics, sessions: new AdminSessions(store.db, config.admin.sessionHours), version, ping: () => runtime.database.ping(), admin: adminHooks });

  const { host, port } = parseListen(config.server.listen);
  const server = app.listen(port, host);
  try {
    await once(server, 'listening');
  } catch (error) {
    await scheduler.stop();
    await outboxLoop.stop();
    await webhookLoop.stop();
    await duties?.stop();
    await runtime.close();
    throw error;
  }
  const address = server.address();
  const actualPort = typeof address === 'object' && address ? address.port : port;
  ctx.boundPort = actualPort;
  const url = publicBaseUrl(config.server, actualPort);
  // Links (free/busy URLs) never come from the request's Host header (public-url.ts): without a
  // public URL they name the listen address, which clients behind a proxy cannot reach.
  if (!config.server.publicUrl) log.warn({ url, listen: config.server.listen }, `server.publicUrl is not set: free/busy URLs use the listen address ${url}; set server.publicUrl to the URL clients reach the bridge at`);

  const admin = await bootstrapAdmin(store, config.admin.password ?? process.env['CRM_BRIDGE_ADMIN_PASSWORD']);
  // Counted from what runs: the file's entries and the admin UI's (kept in the database).
  const fromFile = { users: config.users.length, sharedMailboxes: config.sharedMailboxes.length };
  const running = { users: runtime.config.users.length, sharedMailboxes: runtime.config.sharedMailboxes.length };
  log.info(
    { url, version, database: runtime.database.location, ...running, fromAdminUi: { users: running.users - fromFile.users, sharedMailboxes: running.sharedMailboxes - fromFile.sharedMailboxes } },
    `crm-bridge is serving ${running.users} user(s) and ${running.sharedMailboxes} shared mailbox(es) (${running.users - fromFile.users} and ${running.sharedMailboxes - fromFile.sharedMailboxes} of them from the admin UI)`,
  );
  print(`crm-bridge ${version} listening on ${url}`);
  print(`Admin UI: ${url}/admin`);
  if (admin.generatedPassword) {
    // Framed and set apart by blank lines: it must not drown among the log lines around it.
    const rule = '='.repeat(72);
    print(['', rule, `  First start: log in as "${adminUser}" with password ${admin.generatedPassword}`, '  This password is shown only once; set CRM_BRIDGE_ADMIN_PASSWORD to choose your own.', rule, ''].join('\n'));
  } else if (admin.source === 'configured') {
    print(`Log in as "${adminUser}" with the password from ${config.admin.password === undefined ? 'CRM_BRIDGE_ADMIN_PASSWORD' : 'admin.password in the configuration'}.`);
  }
  if (config.api.tokens.length === 0) log.warn('no API tokens configured (api.tokens): every /api/v1 route will answer 401');

  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      log.info('shutting down: finishing requests and work in flight');
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      await scheduler.stop();
      await outboxLoop.stop();
      await webhookLoop.stop();
      await duties?.stop();
      const timer = setTimeout(() => server.closeAllConnections(), config.server.shutdownTimeoutSeconds * 1000);
      timer.unref();
      await closed;
      clearTimeout(timer);
      await runtime.close();
      log.info('stopped');
    })();
    return stopping;
  };
  return { url, server, stop };
}
