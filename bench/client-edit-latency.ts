/**
 * How long a client's calendar edit takes to reach the CRM under `serve` with default settings
 * (issue 16, point 8; target p95 <= 45 s): a real `serve` (startServer, sync.davPollSeconds 30,
 * intervalSeconds 300) on SQLite with one user on a real Radicale. The bench creates appointments
 * through the API and waits until they are in the user's CRM calendar; then, at random moments,
 * it edits one event's SUMMARY as a calendar app would (PUT with If-Match) and polls the API
 * every 250 ms until the appointment's subject is the new one. The delay between edits is random
 * (0-30 s), so an edit lands anywhere in the poll cycle. The peer in the same run: the same edits
 * without the DAV poll (davPollSeconds = intervalSeconds), two edits waited for up to 60 s each.
 *
 *   npm run bench -- client-edit-latency [--records 12]
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { CalDavConnector } from '../adapters/caldav/index.js';
import { configSchema } from '../src/config/schema.js';
import { startServer } from '../src/runtime/serve.js';
import { startRadicale } from '../test/servers/index.js';
import { percentile, seconds } from './dav-bench-support.js';
import type { BenchRow } from './store-and-api.js';

const token = 'bench-token-0123456789abcdef';
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function waitFor<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T | undefined> {
  const started = Date.now();
  for (;;) {
    const found = await probe();
    if (found !== undefined) return found;
    if (Date.now() - started > timeoutMs) return undefined;
    await sleep(250);
  }
}

/** One serve with `davPollSeconds`; `edits` client edits; the latency of each (null: not within `patienceMs`). */
async function measure(radicaleUrl: string, user: { username: string; password: string }, davPollSeconds: number, edits: number, patienceMs: number): Promise<Array<number | null>> {
  const dir = mkdtempSync(join(tmpdir(), 'crm-bridge-bench-latency-'));
  const config = configSchema.parse({
    database: `sqlite:${join(dir, 'bridge.db')}`,
    dataDir: join(dir, 'data'),
    server: { listen: '127.0.0.1:0' },
    api: { tokens: [{ name: 'bench', token }] },
    sync: { idle: false, davPollSeconds },
    users: [{ id: 'ann', name: 'Ann', email: 'ann@example.com', caldav: { url: radicaleUrl, username: user.username, password: user.password }, calendar: { crmCalendar: `CRM ${randomUUID().slice(0, 6)}` } }],
  });
  const server = await startServer(config, pino({ level: 'silent' }), () => undefined);
  const api = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${server.url}/api/v1${path}`, { method, headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) }, ...(body ? { body: JSON.stringify(body) } : {}) });
    return (await res.json()) as Record<string, unknown>;
  };
  try {
    const start = new Date(Date.now() + 2 * 86_400_000);
    const ids: string[] = [];
    for (let i = 0; i < edits; i++) {
      const created = await api('POST', '/appointments', { owner: 'ann', subject: `Call ${i}`, start: new Date(start.getTime() + i * 3_600_000).toISOString(), end: new Date(start.getTime() + (i + 1) * 3_600_000).toISOString() });
      ids.push(String(created['id']));
    }
    const session = await new CalDavConnector().connect({ url: radicaleUrl, username: user.username, password: user.password, timeoutMs: 20_000 });
    const calendar = await waitFor('the CRM calendar with every appointment', 120_000, async () => {
      const found = (await session.listCalendars()).find((entry) => entry.displayName === config.users[0]!.calendar.crmCalendar);
      if (!found) return undefined;
      const objects = await session.changes(found, null);
      return objects.changed.length >= edits ? found : undefined;
    });
    if (!calendar) throw new Error('the appointments never reached the CRM calendar');
    const latencies: Array<number | null> = [];
    for (let i = 0; i < edits; i++) {
      await sleep(Math.random() * 30_000);
      const objects = (await session.changes(calendar, null)).changed;
      const target = objects.find((object) => object.data.includes(`SUMMARY:Call ${i}\r\n`));
      if (!target) throw new Error(`no event for Call ${i}`);
      const subject = `Call ${i} (moved by the client)`;
      await session.put(target.href, target.data.replace(`SUMMARY:Call ${i}\r\n`, `SUMMARY:${subject}\r\n`), target.etag, 'text/calendar');
      const edited = Date.now();
      const arrived = await waitFor('the edit in the CRM', patienceMs, async () => ((await api('GET', `/appointments/${ids[i]}`))['subject'] === subject ? Date.now() : undefined));
      latencies.push(arrived === undefined ? null : arrived - edited);
    }
    return latencies;
  } finally {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function benchClientEditLatency(options: { edits: number }): Promise<BenchRow[]> {
  const radicale = await startRadicale();
  try {
    const rows: BenchRow[] = [];
    const describe = (label: string, samples: Array<number | null>) => {
      const arrived = samples.filter((sample): sample is number => sample !== null);
      rows.push({ measure: `${label}: arrived`, value: `${arrived.length} of ${samples.length}` });
      if (arrived.length > 0) rows.push({ measure: `${label}: p50 / p95 / max`, value: `${seconds(percentile(arrived, 50))} / ${seconds(percentile(arrived, 95))} / ${seconds(Math.max(...arrived))}` });
    };
    const user = await radicale.addUser(`latency-${randomUUID().slice(0, 8)}`);
    describe('client edit to CRM, davPollSeconds 30 (default)', await measure(radicale.info.url, user, 30, options.edits, 120_000));
    const peer = await radicale.addUser(`latency-${randomUUID().slice(0, 8)}`);
    describe('peer: without the DAV poll (davPollSeconds = intervalSeconds 300), waited 60 s each', await measure(radicale.info.url, peer, 300, 2, 60_000));
    return rows;
  } finally {
    await radicale.stop();
  }
}
