import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { AdminSessions } from '../../src/store/admin-sessions.js';
import { createApp } from '../../src/runtime/http-app.js';
import { configSchema, type Config } from '../../src/config/schema.js';
import { createMetrics } from '../../src/metrics.js';
import { createMail } from '../../src/runtime/runners.js';
import type { ScheduleFreeBusy } from '../../src/ports/freebusy.js';
import { createTestStore, type TestStore } from './memory-store.js';
import type { DiscoveryLookup } from '../../src/ports/discovery.js';

export const testToken = 'test-token-0123456789abcdef';

export interface ApiHarness {
  url: string;
  t: TestStore;
  config: Config;
  /** fetch against the app with the API token unless `token: null`. The body is parsed JSON of any shape. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  call(method: string, path: string, options?: { body?: unknown; token?: string | null; headers?: Record<string, string> }): Promise<{ status: number; body: any; headers: Headers }>;
  close(): Promise<void>;
}

/** The real express app on a loopback port over a real (temporary) SQLite store. */
export async function startApi(extraConfig: Record<string, unknown> = {}, options: { mail?: boolean; freeBusy?: ScheduleFreeBusy; discovery?: DiscoveryLookup } = {}): Promise<ApiHarness> {
  const t = await createTestStore();
  const config = configSchema.parse({ api: { tokens: [{ name: 'crm', token: testToken }] }, users: [{ id: 'alice', name: 'Alice', email: 'alice@example.com' }], ...extraConfig });
  for (const user of config.users) await t.store.users.upsert(user);
  const log = pino({ level: 'silent' });
  const mail = options.mail ? createMail(config, t.store, log) : undefined;
  const app = createApp({ store: t.store, config, log, notifyChange: () => undefined, ...(mail ? { mail } : {}), ...(options.freeBusy ? { freeBusy: options.freeBusy } : {}), ...(options.discovery ? { discovery: options.discovery } : {}) }, { metrics: createMetrics(), sessions: new AdminSessions(t.store.db, 1), version: 'test', ping: () => t.database.ping() });
  const server: Server = await new Promise((resolve) => {
    const listening = app.listen(0, '127.0.0.1', () => resolve(listening));
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    t,
    config,
    async call(method, path, options = {}) {
      const headers: Record<string, string> = { ...(options.headers ?? {}) };
      if (options.token !== null) headers['authorization'] = `Bearer ${options.token ?? testToken}`;
      let body: string | undefined;
      if (options.body !== undefined) {
        headers['content-type'] ??= 'application/json';
        body = typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
      }
      const response = await fetch(`${url}${path}`, { method, headers, ...(body === undefined ? {} : { body }), redirect: 'manual' });
      const text = await response.text();
      let parsed: unknown = text;
      try {
        parsed = text ? JSON.parse(text) : null;
      } catch {
        // not JSON (HTML, metrics): keep the text
      }
      return { status: response.status, body: parsed, headers: response.headers };
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await t.close();
    },
  };
}
