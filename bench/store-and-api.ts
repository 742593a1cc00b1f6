/**
 * Store and API throughput on the embedded SQLite database: how fast records are written (each
 * with its change-feed row, one transaction per record, WAL), how fast the change feed and pages
 * are read, and how many authenticated API requests per second one process serves.
 *
 *   npm run bench -- store-and-api [--records 5000]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { AdminSessions } from '../src/store/admin-sessions.js';
import { createApp } from '../src/runtime/http-app.js';
import { configSchema } from '../src/config/schema.js';
import { createMetrics } from '../src/metrics.js';
import { BlobStore } from '../src/store/blob-store.js';
import { migrateToLatest, openDatabase } from '../src/store/database.js';
import { SecretBox } from '../src/store/secret-box.js';
import { Store } from '../src/store/store.js';

export interface BenchRow {
  measure: string;
  value: string;
}

async function timed<T>(work: () => Promise<T>): Promise<{ ms: number; result: T }> {
  const started = process.hrtime.bigint();
  const result = await work();
  return { ms: Number(process.hrtime.bigint() - started) / 1e6, result };
}

export async function benchStoreAndApi(records: number): Promise<BenchRow[]> {
  const dir = mkdtempSync(join(tmpdir(), 'crm-bridge-bench-'));
  const database = openDatabase(`sqlite:${join(dir, 'bench.db')}`);
  await migrateToLatest(database.db);
  const store = new Store(database.db, new SecretBox('bench-secret-key-0123456789'), new BlobStore(join(dir, 'blobs'), 1 << 20));
  const rows: BenchRow[] = [];
  try {
    const create = await timed(async () => {
      for (let i = 0; i < records; i += 1) {
        await store.contacts.create({ firstName: `First${i}`, lastName: `Last${i}`, emails: [`person${i}@example.com`, `p${i}@example.org`], phones: ['+1 555 0100'] });
      }
    });
    rows.push({ measure: `create ${records} contacts (1 transaction each, with feed row)`, value: `${(records / (create.ms / 1000)).toFixed(0)} records/s` });

    const feed = await timed(async () => {
      let after = 0;
      let count = 0;
      for (;;) {
        const page = await store.changes.listAfter(after, 1000);
        if (page.length === 0) return count;
        count += page.length;
        after = page.at(-1)!.seq;
      }
    });
    rows.push({ measure: `read the change feed (${feed.result} changes, pages of 1000)`, value: `${(feed.result / (feed.ms / 1000)).toFixed(0)} changes/s` });

    const lookups = Math.min(records, 2000);
    const byEmail = await timed(async () => {
      for (let i = 0; i < lookups; i += 1) await store.contacts.findByEmail(`P${(i * 7919) % records}@EXAMPLE.org`);
    });
    rows.push({ measure: `find contact by e-mail (${lookups} lookups)`, value: `${(byEmail.ms / lookups).toFixed(3)} ms/lookup` });

    const config = configSchema.parse({ api: { tokens: [{ name: 'bench', token: 'bench-token-0123456789' }] } });
    const app = createApp({ store, config, log: pino({ level: 'silent' }), notifyChange: () => undefined }, { metrics: createMetrics(), sessions: new AdminSessions(store.db, 1), version: 'bench', ping: () => database.ping() });
    const server: Server = await new Promise((resolve) => {
      const listening = app.listen(0, '127.0.0.1', () => resolve(listening));
    });
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1/contacts?limit=50`;
    const requests = 2000;
    const concurrency = 16;
    const api = await timed(async () => {
      let next = 0;
      await Promise.all(
        Array.from({ length: concurrency }, async () => {
          while (next < requests) {
            next += 1;
            const response = await fetch(url, { headers: { authorization: 'Bearer bench-token-0123456789' } });
            if (response.status !== 200) throw new Error(`HTTP ${response.status}`);
            await response.arrayBuffer();
          }
        }),
      );
    });
    rows.push({ measure: `GET /api/v1/contacts?limit=50 (${requests} requests, ${concurrency} concurrent)`, value: `${(requests / (api.ms / 1000)).toFixed(0)} requests/s` });
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    rows.push({ measure: 'peak resident memory', value: `${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB` });
  } finally {
    await database.close();
    rmSync(dir, { recursive: true, force: true });
  }
  return rows;
}
