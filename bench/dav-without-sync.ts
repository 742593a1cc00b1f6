/**
 * Calendar sync against a CalDAV server without sync-collection (RFC 6578): a real sabre/dav 1.8
 * (Debian php-sabre-dav, the engine of older Baikal and ownCloud) holding `events` events in the
 * user's CRM calendar, uploaded one PUT each before anything is timed.
 *
 *   - the bridge's first sync, a no-change sync and a sync after one event changed on the server,
 *     each with its wall time and HTTP requests: with the listing token (adapters/caldav/
 *     listing-token.ts) the no-change pass is one PROPFIND of the ctag per calendar, and one change
 *     costs the ETag listing and a multiget of that one event;
 *   - the peer in the same run: the same no-change and one-change passes without a usable token,
 *     which is what every pass cost before (ETag listing and a multiget of every event), made by
 *     forgetting the stored cursors before each pass.
 *
 *   npm run bench -- dav-without-sync [--records 2000]
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { configSchema } from '../src/config/schema.js';
import { startSabre } from '../test/servers/index.js';
import { bridgePasses, countRequests, eventText, openBenchBridge } from './dav-bench-support.js';
import type { BenchRow } from './store-and-api.js';

const DAY = 86_400_000;

/** One event in its own VCALENDAR (sabre/dav 1.8 stores one object per PUT). */
function eventObject(index: number, start: Date, summary?: string): string {
  return ['BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:-//crm-bridge//bench//EN', eventText(index, false, start, summary), 'END:VCALENDAR', ''].join('\r\n');
}

export async function benchDavWithoutSync(options: { events: number }): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'crm-bridge-bench-sabre-'));
  const sabre = await startSabre();
  try {
    const owner = sabre.addUser(`bench-${randomUUID().slice(0, 8)}`);
    const auth = `Basic ${Buffer.from(`${owner.username}:${owner.password}`).toString('base64')}`;
    const calendar = `${sabre.info.url}calendars/${owner.username}/crm/`;
    const made = await fetch(calendar, {
      method: 'MKCALENDAR',
      headers: { Authorization: auth, 'Content-Type': 'application/xml; charset=utf-8' },
      body: '<?xml version="1.0"?><c:mkcalendar xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav"><d:set><d:prop><d:displayname>CRM</d:displayname><c:supported-calendar-component-set><c:comp name="VEVENT"/></c:supported-calendar-component-set></d:prop></d:set></c:mkcalendar>',
    });
    if (made.status !== 201) throw new Error(`MKCALENDAR: HTTP ${made.status} ${await made.text()}`);
    const now = new Date();
    const monday = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1, 8, 0, 0));
    const startOf = (index: number) => new Date(monday.getTime() + (index % 90) * DAY + (index % 8) * 3_600_000);
    const put = async (index: number, summary?: string) => {
      const res = await fetch(`${calendar}bench-event-${index}.ics`, { method: 'PUT', headers: { Authorization: auth, 'Content-Type': 'text/calendar; charset=utf-8' }, body: eventObject(index, startOf(index), summary) });
      await res.text();
      if (res.status >= 300) throw new Error(`PUT event ${index}: HTTP ${res.status}`);
    };
    for (let start = 0; start < options.events; start += 8) {
      await Promise.all(Array.from({ length: Math.min(8, options.events - start) }, (_, k) => put(start + k)));
    }
    rows.push({ measure: 'data on sabre/dav 1.8 (no sync-collection)', value: `${options.events} events in one calendar` });

    const config = configSchema.parse({
      users: [{ id: 'owner', name: 'Calendar Owner', email: 'owner@example.com', caldav: { url: sabre.info.url, username: owner.username, password: owner.password }, calendar: { crmCalendar: 'CRM' }, tasks: { crmTaskList: 'CRM Tasks' } }],
    });
    const { database, store, log, runners, source } = await openBenchBridge(dir, config, 'caldav');
    const counter = countRequests();
    const pass = bridgePasses(rows, source, runners, store, log, counter);
    const forgetCursors = async () => {
      await store.db.deleteFrom('sync_cursors').execute();
    };
    try {
      await pass('first sync');
      const imported = await store.db.selectFrom('activities').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
      if (Number(imported.n) < options.events) throw new Error(`the first sync left ${imported.n} activities, expected ${options.events}`);
      const methods = async <T>(label: string, work: () => Promise<T>): Promise<T> => {
        const inner = countRequests();
        try {
          return await work();
        } finally {
          rows.push({ measure: `  requests of that ${label}`, value: inner.byMethod() });
          inner.restore();
        }
      };
      const quiet = await methods('no-change sync', () => pass('no-change sync (listing token)'));
      await put(7, 'Customer call 7 (moved)');
      const one = await methods('one-change sync', () => pass('sync after one change (listing token)'));
      // The peer: no usable token, as every pass was before.
      await forgetCursors();
      const quietBefore = await pass('no-change sync without a token (as before)');
      await forgetCursors();
      await put(8, 'Customer call 8 (moved)');
      const oneBefore = await pass('sync after one change without a token (as before)');
      rows.push({ measure: 'no-change sync, listing token vs no token', value: `${(quietBefore / quiet).toFixed(1)}x faster` });
      rows.push({ measure: 'sync after one change, listing token vs no token', value: `${(oneBefore / one).toFixed(1)}x faster` });
    } finally {
      counter.restore();
      await database.close();
    }
  } finally {
    await sabre.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  return rows;
}
