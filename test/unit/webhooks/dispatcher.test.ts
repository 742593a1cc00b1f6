import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { verifySignature } from '../../../src/webhooks/signature.js';
import { WebhookDispatcher } from '../../../src/webhooks/dispatcher.js';
import { targetPolicyOf, type TargetPolicy } from '../../../src/webhooks/target-policy.js';
import { configSchema } from '../../../src/config/schema.js';
import { createTestStore, type TestStore } from '../../support/memory-store.js';

interface Received {
  headers: IncomingMessage['headers'];
  body: string;
}

/** A real HTTP endpoint on loopback that answers with the statuses queued in `answers`. */
async function receiver(answers: number[]): Promise<{ url: string; received: Received[]; close(): Promise<void> }> {
  const received: Received[] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      received.push({ headers: req.headers, body });
      res.statusCode = answers.shift() ?? 200;
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/hook`, received, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

let t: TestStore;
let clock: Date;
const secret = 'webhook-secret-0123456789';
beforeEach(async () => {
  t = await createTestStore();
  clock = new Date('2026-11-23T10:00:00Z');
});
afterEach(async () => t.close());

/**
 * The receivers here listen on loopback, which the default policy refuses (webhookDelivery.
 * allowPrivateNetworks: false): these tests allow private networks explicitly, and the tests at
 * the end check the default.
 */
function dispatcher(policy: TargetPolicy = { allowPrivateNetworks: true, namedByConfig: new Set() }) {
  return new WebhookDispatcher(t.store, pino({ level: 'silent' }), { timeoutMs: 2000, maxBackoffSeconds: 60, now: () => clock, policy });
}

describe('webhook dispatcher', () => {
  it('delivers signed changes in order, from the moment the endpoint was registered', async () => {
    const endpoint = await receiver([]);
    try {
      await t.store.contacts.create({ displayName: 'before registration' });
      await t.store.webhooks.upsert({ id: 'crm', url: endpoint.url, secret, events: ['*'], origin: 'config' }, await t.store.changes.latestSeq());
      const first = await t.store.contacts.create({ displayName: 'One' });
      await t.store.contacts.update(first.id, { title: 'CTO' });
      expect(await dispatcher().runOnce()).toBe(2);
      expect(endpoint.received.map((delivery) => JSON.parse(delivery.body).event)).toEqual(['contact.created', 'contact.updated']);
      const [delivery] = endpoint.received;
      expect(delivery!.headers['x-crm-bridge-delivery']).toBe('crm:2');
      expect(verifySignature(secret, delivery!.body, String(delivery!.headers['x-crm-bridge-signature']), Math.floor(Date.now() / 1000), 10 ** 9)).toBe(true);
      expect(JSON.parse(delivery!.body)).toMatchObject({ seq: 2, entity: 'contact', id: first.id, op: 'created', data: { displayName: 'One' } });
      expect((await t.store.webhooks.require('crm')).cursorSeq).toBe(3);
      expect(await dispatcher().runOnce()).toBe(0);
    } finally {
      await endpoint.close();
    }
  });

  it('retries a failed change with backoff, keeps later changes behind it, and logs every attempt', async () => {
    const endpoint = await receiver([500, 503]);
    try {
      await t.store.webhooks.upsert({ id: 'crm', url: endpoint.url, secret, events: ['contact.*'], origin: 'api' }, 0);
      await t.store.accounts.create({ name: 'not subscribed' });
      const contact = await t.store.contacts.create({ displayName: 'Retry me' });
      await t.store.contacts.delete(contact.id);
      const run = dispatcher();
      expect(await run.deliverNext('crm')).toBe('skipped');
      expect(await run.deliverNext('crm')).toBe('failed');
      expect(await run.deliverNext('crm')).toBe('waiting');
      clock = new Date(clock.getTime() + 2_000);
      expect(await run.deliverNext('crm')).toBe('failed');
      expect((await t.store.webhooks.require('crm')).attempts).toBe(2);
      clock = new Date(clock.getTime() + 10_000);
      expect(await run.deliverNext('crm')).toBe('delivered');
      expect(await run.deliverNext('crm')).toBe('delivered');
      expect(endpoint.received.map((delivery) => JSON.parse(delivery.body).event)).toEqual(['contact.created', 'contact.created', 'contact.created', 'contact.deleted']);
      const log = await t.store.webhooks.deliveries('crm', 10);
      expect(log.map((entry) => [entry.changeSeq, entry.attempt, entry.outcome, entry.httpStatus])).toEqual([
        [3, 1, 'delivered', 200],
        [2, 3, 'delivered', 200],
        [2, 2, 'failed', 503],
        [2, 1, 'failed', 500],
      ]);
    } finally {
      await endpoint.close();
    }
  });

  it('records an unreachable endpoint as a failed attempt without losing the change', async () => {
    await t.store.webhooks.upsert({ id: 'down', url: 'http://127.0.0.1:9/none', secret, events: ['*'], origin: 'api' }, 0);
    await t.store.leads.create({ email: 'lead@example.com' });
    expect(await dispatcher().deliverNext('down')).toBe('failed');
    const [entry] = await t.store.webhooks.deliveries('down', 1);
    expect(entry).toMatchObject({ outcome: 'failed', httpStatus: null });
    expect(entry!.error).toMatch(/fetch failed|ECONNREFUSED/);
    expect((await t.store.webhooks.require('down')).cursorSeq).toBe(0);
  });

  it('refuses loopback targets by default, by IP literal and by a name that resolves there, and keeps the change', async () => {
    const endpoint = await receiver([]);
    try {
      const defaults = targetPolicyOf(configSchema.parse({}));
      expect(defaults.allowPrivateNetworks).toBe(false);
      const port = new URL(endpoint.url).port;
      await t.store.webhooks.upsert({ id: 'literal', url: endpoint.url, secret, events: ['*'], origin: 'api' }, 0);
      await t.store.webhooks.upsert({ id: 'named', url: `http://localhost:${port}/hook`, secret, events: ['*'], origin: 'api' }, 0);
      await t.store.webhooks.upsert({ id: 'mapped', url: `http://[::ffff:127.0.0.1]:${port}/hook`, secret, events: ['*'], origin: 'api' }, 0);
      await t.store.contacts.create({ displayName: 'Private' });
      for (const id of ['literal', 'named', 'mapped']) {
        expect(await dispatcher(defaults).deliverNext(id)).toBe('failed');
        const [entry] = await t.store.webhooks.deliveries(id, 1);
        expect(entry).toMatchObject({ outcome: 'failed', httpStatus: null });
        expect(entry!.error).toMatch(/^refused: (127\.0\.0\.1|localhost \((127\.0\.0\.1|::1)\)|::ffff:7f00:1) is a loopback address: webhooks to loopback/);
        expect((await t.store.webhooks.require(id)).cursorSeq).toBe(0);
      }
      expect(endpoint.received).toEqual([]);
    } finally {
      await endpoint.close();
    }
  });

  it('delivers to a private host and port that the configuration file names', async () => {
    const endpoint = await receiver([]);
    try {
      const policy = targetPolicyOf(configSchema.parse({ webhooks: [{ id: 'crm', url: endpoint.url, secret }] }));
      expect(policy.allowPrivateNetworks).toBe(false);
      await t.store.webhooks.upsert({ id: 'crm', url: endpoint.url, secret, events: ['*'], origin: 'config' }, 0);
      await t.store.webhooks.upsert({ id: 'other-port', url: 'http://127.0.0.1:9/hook', secret, events: ['*'], origin: 'api' }, 0);
      await t.store.contacts.create({ displayName: 'Internal CRM' });
      expect(await dispatcher(policy).deliverNext('crm')).toBe('delivered');
      expect(endpoint.received).toHaveLength(1);
      expect(await dispatcher(policy).deliverNext('other-port')).toBe('failed');
      expect((await t.store.webhooks.deliveries('other-port', 1))[0]!.error).toMatch(/^refused: 127\.0\.0\.1 is a loopback address/);
    } finally {
      await endpoint.close();
    }
  });

  it('gives up on an endpoint that never answers after the timeout, as a failed attempt', async () => {
    const silent = createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = silent.address() as AddressInfo;
      await t.store.webhooks.upsert({ id: 'slow', url: `http://127.0.0.1:${port}/hook`, secret, events: ['*'], origin: 'api' }, 0);
      await t.store.leads.create({ email: 'slow@example.com' });
      const run = new WebhookDispatcher(t.store, pino({ level: 'silent' }), { timeoutMs: 300, maxBackoffSeconds: 60, now: () => clock, policy: { allowPrivateNetworks: true, namedByConfig: new Set() } });
      expect(await run.deliverNext('slow')).toBe('failed');
      expect((await t.store.webhooks.deliveries('slow', 1))[0]).toMatchObject({ outcome: 'failed', error: 'timed out' });
    } finally {
      silent.closeAllConnections();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }
  });
});
