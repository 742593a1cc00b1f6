/**
 * Calendar and task sync against a real Radicale, with vdirsyncer (Debian package) as the peer in
 * the same run:
 *
 *   - the user's CRM calendar holds `events` events (`recurring` of them weekly series) and the CRM
 *     task list `tasks` VTODOs, uploaded before anything is timed, and Radicale's caches warmed by
 *     one listing and one sync-collection per collection (untimed for both tools, reported);
 *   - the bridge's first sync (calendar -> CRM activities), a no-change sync and a sync after one
 *     event changed on the server: wall time and the number of HTTP requests each made (they must
 *     grow with the changes, not with the collection);
 *   - `vdirsyncer sync` of the same two collections into an empty local folder, and again with
 *     nothing changed;
 *   - a free/busy query for 20 users over 30 days through GET /api/v1/freebusy (one request naming
 *     all 20), repeated, p50/p95.
 *
 *   npm run bench -- caldav-sync [--records 5000]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AdminSessions } from '../src/store/admin-sessions.js';
import { createApp } from '../src/runtime/http-app.js';
import { configSchema } from '../src/config/schema.js';
import { createMetrics } from '../src/metrics.js';
import { startRadicale } from '../test/servers/index.js';
import { basic, bridgePasses, eventText, openBenchBridge, countRequests, measureVdirsyncer, percentile, seconds, timed } from './dav-bench-support.js';
import type { BenchRow } from './store-and-api.js';

const apiToken = 'bench-token-0123456789abcdef';
const DAY = 86_400_000;

/** A whole calendar in one VCALENDAR; Radicale's PUT on a collection stores each component by UID
 * and takes X-WR-CALNAME as the display name. */
function calendarText(name: string, components: string[]): string {
  return ['BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:-//crm-bridge//bench//EN', `X-WR-CALNAME:${name}`, ...components, 'END:VCALENDAR', ''].join('\r\n');
}

function todoText(index: number, now: Date): string {
  return [
    'BEGIN:VTODO',
    `UID:bench-task-${index}@example.com`,
    `DTSTAMP:${basic(new Date(Date.UTC(2026, 0, 1)))}`,
    `SUMMARY:Follow up ${index}`,
    `DUE:${basic(new Date(now.getTime() + (index % 60) * DAY))}`,
    `PRIORITY:${1 + (index % 9)}`,
    `STATUS:${index % 5 === 0 ? 'COMPLETED' : 'NEEDS-ACTION'}`,
    'END:VTODO',
  ].join('\r\n');
}

export async function benchCaldavSync(options: { events: number; recurring: number; tasks: number; users: number }): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'crm-bridge-bench-caldav-'));
  const radicale = await startRadicale();
  try {
    const owner = await radicale.addUser(`bench-${Date.now().toString(36)}`);
    const home = `${radicale.info.url}${owner.username}/`;
    const auth = `Basic ${Buffer.from(`${owner.username}:${owner.password}`).toString('base64')}`;
    const now = new Date();
    const monday = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1, 8, 0, 0));
    const events = Array.from({ length: options.events }, (_, index) => {
      // Spread over 90 days, working hours, so free/busy windows see realistic density.
      const start = new Date(monday.getTime() + (index % 90) * DAY + (index % 8) * 3_600_000);
      return eventText(index, index < options.recurring, start);
    });
    const todos = Array.from({ length: options.tasks }, (_, index) => todoText(index, now));
    for (const [path, text] of [
      ['crm/', calendarText('CRM', events)],
      ['crm-tasks/', calendarText('CRM Tasks', todos)],
    ] as const) {
      const res = await fetch(`${home}${path}`, { method: 'PUT', headers: { Authorization: auth, 'Content-Type': 'text/calendar; charset=utf-8' }, body: text });
      if (res.status >= 300) throw new Error(`uploading ${path} to Radicale: HTTP ${res.status} ${await res.text()}`);
    }
    rows.push({ measure: 'data on Radicale', value: `${options.events} events (${options.recurring} weekly series of 20) + ${options.tasks} tasks` });
    // Radicale builds its item cache and sync-token state on the first listing and the first
    // sync-collection of a collection, which the users' own clients have long done on a real
    // server. Both run once here, untimed for both tools, and are reported.
    const warm = async (path: string, method: string, depth: string, body: string) => {
      const res = await fetch(`${home}${path}`, { method, headers: { Authorization: auth, Depth: depth, 'Content-Type': 'application/xml; charset=utf-8' }, body });
      await res.text();
      if (res.status !== 207) throw new Error(`${method} on ${path}: HTTP ${res.status}`);
    };
    const warmUp = await timed(async () => {
      for (const path of ['crm/', 'crm-tasks/']) {
        await warm(path, 'PROPFIND', '1', '<?xml version="1.0"?><d:propfind xmlns:d="DAV:"><d:prop><d:getetag/></d:prop></d:propfind>');
        await warm(path, 'REPORT', '0', '<?xml version="1.0"?><d:sync-collection xmlns:d="DAV:"><d:sync-token/><d:sync-level>1</d:sync-level><d:prop><d:getetag/></d:prop></d:sync-collection>');
      }
    });
    rows.push({ measure: "Radicale's own warm-up (untimed for the tools): first PROPFIND Depth 1 and sync-collection of both collections", value: seconds(warmUp.ms) });

    // ---------------------------------------------------------------- the bridge
    const users = Array.from({ length: options.users }, (_, index) =>
      index === 0
        ? { id: 'owner', name: 'Calendar Owner', email: 'owner@example.com', caldav: { url: radicale.info.url, username: owner.username, password: owner.password }, calendar: { crmCalendar: 'CRM' }, tasks: { crmTaskList: 'CRM Tasks' } }
        : { id: `user${index}`, name: `User ${index}`, email: `user${index}@example.com` },
    );
    const config = configSchema.parse({ api: { tokens: [{ name: 'bench', token: apiToken }] }, users });
    const { database, store, log, runners, source } = await openBenchBridge(dir, config, 'caldav');
    const counter = countRequests();
    const pass = bridgePasses(rows, source, runners, store, log, counter);
    let bridgeFirst = 0;
    try {
      bridgeFirst = await pass('first sync');
      const imported = await store.db.selectFrom('activities').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
      if (Number(imported.n) < options.events + options.tasks) throw new Error(`the first sync left ${imported.n} activities, expected ${options.events + options.tasks}`);
      await pass('no-change sync');
      const changed = eventText(7, false, new Date(monday.getTime() + 2 * DAY), 'Customer call 7 (moved)');
      const res = await fetch(`${home}crm/bench-event-7@example.com.ics`, { method: 'PUT', headers: { Authorization: auth, 'Content-Type': 'text/calendar; charset=utf-8' }, body: calendarText('CRM', [changed]) });
      if (res.status >= 300) throw new Error(`changing one event: HTTP ${res.status}`);
      await pass('sync after one change');
    } finally {
      counter.restore();
    }

    // ---------------------------------------------------------------- vdirsyncer, same collections
    const vdirFirst = await measureVdirsyncer(rows, dir, { type: 'caldav', home, username: owner.username, password: owner.password, collections: ['crm', 'crm-tasks'], fileext: '.ics' }, 'same collections');
    rows.push({ measure: 'first sync, bridge vs vdirsyncer', value: `${(vdirFirst / bridgeFirst).toFixed(1)}x ${bridgeFirst < vdirFirst ? 'faster' : 'slower'}` });

    // ---------------------------------------------------------------- free/busy for 20 users
    for (let index = 1; index < options.users; index += 1) {
      for (let item = 0; item < 60; item += 1) {
        const start = new Date(monday.getTime() + (item % 30) * DAY + (item % 7) * 3_600_000);
        await store.activities.create({ kind: 'appointment', subject: `Busy ${item}`, owner: `user${index}`, start: start.toISOString(), end: new Date(start.getTime() + 3_600_000).toISOString(), busyStatus: item % 5 === 0 ? 'tentative' : 'busy' });
      }
    }
    const app = createApp({ store, config, log, notifyChange: () => undefined }, { metrics: createMetrics(), sessions: new AdminSessions(store.db, 1), version: 'bench', ping: () => database.ping() });
    const server: Server = await new Promise((resolve) => {
      const listening = app.listen(0, '127.0.0.1', () => resolve(listening));
    });
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const attendees = users.map((user) => user.email).join(',');
      const query = `${url}/api/v1/freebusy?attendees=${attendees}&from=${monday.toISOString()}&to=${new Date(monday.getTime() + 30 * DAY).toISOString()}`;
      const samples: number[] = [];
      let periods = 0;
      for (let round = 0; round < 60; round += 1) {
        const { ms, result } = await timed(async () => (await fetch(query, { headers: { Authorization: `Bearer ${apiToken}` } })).json() as Promise<{ attendees: Array<{ busy: unknown[] }> }>);
        if (round >= 10) samples.push(ms); // the first rounds warm up the JIT and statement cache
        periods = result.attendees.reduce((sum, attendee) => sum + attendee.busy.length, 0);
      }
      rows.push({ measure: `free/busy, ${options.users} users x 30 days (${periods} busy periods), one request`, value: `p50 ${percentile(samples, 50).toFixed(1)} ms, p95 ${percentile(samples, 95).toFixed(1)} ms` });
    } finally {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
    await database.close();
  } finally {
    await radicale.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  return rows;
}
