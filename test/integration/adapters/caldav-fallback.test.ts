// The adapter's fallbacks for weaker servers, exercised against real Radicale data through a
// small proxy that pretends the server lacks features:
//  - no sync-collection (403 DAV:supported-report, RFC 3253 §3.6): changes() lists etags and
//    multigets, returning a listing token (listing-token.ts) that later calls diff against;
//  - a failing multiget (501): fetch() falls back to GET per href;
//  - a token refused with 410 Gone: full listing with fullResync.

import { randomUUID } from 'node:crypto';
import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { CalDavConnector } from '../../../adapters/caldav/index.js';
import type { DavCollection, DavSession } from '../../../src/ports/dav.js';
import { createRadicaleUser } from '../../servers/users.js';

const servers = inject('servers');

interface ProxyRules {
  syncCollection: 'pass' | 'unsupported' | 'gone';
  multiget: 'pass' | 'broken';
}

function icsEvent(uid: string, summary: string): string {
  return [
    'BEGIN:VCALENDAR',
    'VERSION:2.0',
    'PRODID:-//crm-bridge//caldav fallback test//EN',
    'BEGIN:VEVENT',
    `UID:${uid}`,
    'DTSTAMP:20250101T000000Z',
    'DTSTART:20300115T090000Z',
    'DTEND:20300115T100000Z',
    `SUMMARY:${summary}`,
    'END:VEVENT',
    'END:VCALENDAR',
    '',
  ].join('\r\n');
}

describe('CalDAV adapter fallbacks (Radicale behind a feature-hiding proxy)', () => {
  const rules: ProxyRules = { syncCollection: 'pass', multiget: 'pass' };
  const seen: string[] = [];
  let proxy: Server;
  let proxyUrl = '';
  let session: DavSession;
  let calendar: DavCollection;
  const hrefs: string[] = [];

  beforeAll(async () => {
    const target = new URL(servers.radicale.url);
    proxy = createServer((req: IncomingMessage, res: ServerResponse) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks);
        const text = body.toString('utf8');
        const isSync = req.method === 'REPORT' && text.includes('sync-collection');
        const isMultiget = req.method === 'REPORT' && text.includes('calendar-multiget');
        seen.push(`${req.method ?? ''} ${isSync ? 'sync-collection' : isMultiget ? 'multiget' : ''}`.trim());
        if (isSync && rules.syncCollection === 'unsupported') {
          res.writeHead(403, { 'Content-Type': 'application/xml; charset=utf-8' });
          res.end('<?xml version="1.0"?><D:error xmlns:D="DAV:"><D:supported-report/></D:error>');
          return;
        }
        if (isSync && rules.syncCollection === 'gone' && !/<[^>]*sync-token\s*\/>/.test(text)) {
          res.writeHead(410);
          res.end();
          return;
        }
        if (isMultiget && rules.multiget === 'broken') {
          res.writeHead(501);
          res.end();
          return;
        }
        const upstream = httpRequest(
          { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: { ...req.headers, host: target.host } },
          (up) => {
            res.writeHead(up.statusCode ?? 502, up.headers);
            up.pipe(res);
          },
        );
        upstream.on('error', () => {
          res.writeHead(502);
          res.end();
        });
        upstream.end(body);
      });
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    const address = proxy.address();
    proxyUrl = `http://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}/`;

    const user = await createRadicaleUser(servers, 'caldav-fb');
    session = await new CalDavConnector().connect({ url: proxyUrl, username: user.username, password: user.password });
    calendar = await session.createCalendar('Fallbacks', ['VEVENT']);
    for (const name of ['a.ics', 'b-without-suffix', 'c.ics']) {
      const href = `${calendar.href}${name}`;
      hrefs.push(href);
      await session.put(href, icsEvent(randomUUID(), `Event ${name}`), null, 'text/calendar');
    }
  });

  afterAll(async () => {
    proxy.closeAllConnections();
    await new Promise<void>((resolve) => proxy.close(() => resolve()));
  });

  it('lists etags and multigets when the server has no sync-collection, and hands out a listing token', async () => {
    rules.syncCollection = 'unsupported';
    rules.multiget = 'pass';
    seen.length = 0;
    const first = await session.changes(calendar, null);
    expect(first).toMatchObject({ fullResync: false, deleted: [] });
    expect(first.syncToken).toMatch(/^crm-bridge-listing:1:/);
    expect(first.changed.map((o) => o.href).sort()).toEqual([...hrefs].sort());
    expect(first.changed.every((o) => o.data.includes('BEGIN:VEVENT') && o.etag !== '')).toBe(true);
    // The ctag (Depth 0), then the ETag listing (Depth 1), then the data.
    expect(seen).toEqual(['REPORT sync-collection', 'PROPFIND', 'PROPFIND', 'REPORT multiget']);

    // A token from before the server lost sync-collection cannot be honoured: full listing.
    const withToken = await session.changes(calendar, 'http://radicale.org/ns/sync/whatever');
    expect(withToken.fullResync).toBe(true);
    expect(withToken.changed).toHaveLength(hrefs.length);
  });

  it('with a listing token: an unchanged ctag costs one PROPFIND, a change fetches only what changed', async () => {
    rules.syncCollection = 'unsupported';
    rules.multiget = 'pass';
    const first = await session.changes(calendar, null);

    seen.length = 0;
    const idle = await session.changes(calendar, first.syncToken);
    expect(idle).toEqual({ changed: [], deleted: [], failed: [], syncToken: first.syncToken, fullResync: false });
    expect(seen).toEqual(['PROPFIND']);

    // One event changed, one deleted, one created by a client.
    const [changedHref, deletedHref] = hrefs as [string, string];
    const etags = new Map(first.changed.map((o) => [o.href, o.etag]));
    const changedUid = /UID:(\S+)/.exec(first.changed.find((o) => o.href === changedHref)?.data ?? '')?.[1] ?? '';
    await session.put(changedHref, icsEvent(changedUid, 'Changed'), etags.get(changedHref) ?? null, 'text/calendar');
    await session.remove(deletedHref, etags.get(deletedHref) ?? null);
    const createdHref = `${calendar.href}d.ics`;
    await session.put(createdHref, icsEvent(randomUUID(), 'Created'), null, 'text/calendar');

    seen.length = 0;
    const delta = await session.changes(calendar, idle.syncToken);
    expect(delta.fullResync).toBe(false);
    expect(delta.changed.map((o) => o.href).sort()).toEqual([changedHref, createdHref].sort());
    expect(delta.changed.find((o) => o.href === changedHref)?.data).toContain('SUMMARY:Changed');
    expect(delta.deleted).toEqual([deletedHref]);
    expect(delta.syncToken).not.toBe(first.syncToken);
    expect(seen).toEqual(['PROPFIND', 'PROPFIND', 'REPORT multiget']);

    // And from the new token: quiet again.
    seen.length = 0;
    expect((await session.changes(calendar, delta.syncToken)).changed).toEqual([]);
    expect(seen).toEqual(['PROPFIND']);
    hrefs.splice(hrefs.indexOf(deletedHref), 1);
    hrefs.push(createdHref);
  });

  it('falls back to GET per href when multiget fails', async () => {
    rules.syncCollection = 'pass';
    rules.multiget = 'broken';
    seen.length = 0;
    const objects = await session.fetch(calendar, [...hrefs, `${calendar.href}missing.ics`]);
    expect(objects.map((o) => o.href).sort()).toEqual([...hrefs].sort());
    const listing = await session.listEtags(calendar);
    for (const o of objects) {
      expect(o.etag).toBe(listing.find((e) => e.href === o.href)?.etag);
      expect(o.data).toContain('BEGIN:VEVENT');
    }
    expect(seen.filter((s) => s === 'GET')).toHaveLength(hrefs.length + 1);
  });

  it('treats 410 Gone for a token as an invalid token: full listing with fullResync', async () => {
    rules.syncCollection = 'gone';
    rules.multiget = 'pass';
    const result = await session.changes(calendar, 'http://radicale.org/ns/sync/expired');
    expect(result.fullResync).toBe(true);
    expect(result.syncToken).toMatch(/^http:\/\/radicale\.org\/ns\/sync\//);
    expect(result.changed.map((o) => o.href).sort()).toEqual([...hrefs].sort());
  });
});
