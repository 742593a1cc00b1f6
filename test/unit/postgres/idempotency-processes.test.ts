// POST /api/v1/emails with an Idempotency-Key, with a load balancer in front of two processes on one
// PostgreSQL (issue 14): a client that retries while its first request is still running may reach
// the other process. Of requests with the same key, however they are spread and however they
// overlap, exactly one creates (and sends) the mail; every one answers with that activity.
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { configSchema } from '../../../src/config/schema.js';
import { createMetrics } from '../../../src/metrics.js';
import { createApp } from '../../../src/runtime/http-app.js';
import { createMail } from '../../../src/runtime/runners.js';
import { AdminSessions } from '../../../src/store/admin-sessions.js';
import type { Store } from '../../../src/store/store.js';
import { freePort } from '../../support/cli.js';
import { createTestStore, openPeerStore, type TestStore } from '../../support/memory-store.js';

const token = 'idempotency-token-0123456789';

let t: TestStore;
let other: ReturnType<typeof openPeerStore>;
const servers: Server[] = [];
beforeEach(async () => {
  t = await createTestStore({ maxAttachmentBytes: 1024 * 1024 });
  other = openPeerStore(t, { maxAttachmentBytes: 1024 * 1024 });
});
afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
  await other.close();
  await t.close();
});

/** One bridge process's API over `store`; its SMTP server refuses connections (the mail stays queued). */
async function process(store: Store, smtpPort: number): Promise<string> {
  const config = configSchema.parse({
    api: { tokens: [{ name: 'crm', token }] },
    users: [{ id: 'alice', name: 'Alice', email: 'alice@example.com', smtp: { host: '127.0.0.1', port: smtpPort, security: 'none', username: 'alice', password: 'secret' } }],
  });
  await store.users.upsert(config.users[0]!);
  const log = pino({ level: 'silent' });
  const app = createApp({ store, config, log, notifyChange: () => undefined, mail: createMail(config, store, log) }, { metrics: createMetrics(), sessions: new AdminSessions(store.db, 1), version: 'test', ping: () => Promise.resolve() });
  const server: Server = await new Promise((resolve) => {
    const listening = app.listen(0, '127.0.0.1', () => resolve(listening));
  });
  servers.push(server);
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe('Idempotency-Key across processes on PostgreSQL', () => {
  it('of eight overlapping requests with one key, spread over two processes, exactly one creates the mail', async () => {
    const smtpPort = await freePort(); // nothing listens there
    const urls = [await process(t.store, smtpPort), await process(other.store, smtpPort)];
    const body = JSON.stringify({ from: 'alice', to: ['bob@example.org'], subject: 'Offer', text: 'Hello' });
    const answers = await Promise.all(
      Array.from({ length: 8 }, async (_, i) => {
        const response = await fetch(`${urls[i % 2]}/api/v1/emails`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'idempotency-key': 'retry-me' }, body });
        return { status: response.status, id: ((await response.json()) as { id: string }).id, replayed: response.headers.get('idempotent-replayed') };
      }),
    );
    expect(answers.map((answer) => answer.status)).toEqual(Array(8).fill(201));
    expect(new Set(answers.map((answer) => answer.id)).size, 'one activity for all').toBe(1);
    expect(answers.filter((answer) => answer.replayed === 'true')).toHaveLength(7);
    const mails = await t.store.activities.list({ kind: 'email_out' }, { limit: 10 });
    expect(mails.items).toHaveLength(1);
    expect(await t.store.outbox.get(answers[0]!.id)).toBeDefined();

    // The same key with another body is refused by either process.
    for (const url of urls) {
      const response = await fetch(`${url}/api/v1/emails`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'idempotency-key': 'retry-me' }, body: JSON.stringify({ from: 'alice', to: ['eve@example.org'], subject: 'Other', text: 'x' }) });
      expect(response.status).toBe(409);
    }
  });
});
