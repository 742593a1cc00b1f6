// Credentials stay on the configured DAV origin (issue 12): a hostile DAV server on loopback
// points its current-user-principal, calendar-home-set or an item href at a second loopback
// server (another origin); the bridge must refuse before sending, so that server never receives
// an Authorization header, and the error names the foreign origin and what pointed there.

import { afterEach, describe, expect, it } from 'vitest';
import { CalDavConnector } from '../../../adapters/caldav/connector.js';
import { isBridgeError } from '../../../src/domain/errors.js';
import type { DavCollection } from '../../../src/ports/dav.js';
import { startPointingDav, startRecordingServer, type LoopbackServer } from '../../servers/pointing-dav.js';

const open: LoopbackServer[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((s) => s.close()));
});

async function servers(options: (sink: string) => Parameters<typeof startPointingDav>[0]): Promise<{ dav: LoopbackServer; sink: LoopbackServer }> {
  const sink = await startRecordingServer();
  open.push(sink);
  const dav = await startPointingDav(options(sink.url));
  open.push(dav);
  return { dav, sink };
}

const settings = (dav: LoopbackServer) => ({ url: `${dav.url}/dav/`, username: 'alice', password: 'secret-pw' });

async function failure(promise: Promise<unknown>): Promise<{ code: string; message: string }> {
  const error: unknown = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  if (!isBridgeError(error)) throw new Error(`expected a BridgeError, got ${String(error)}`);
  return { code: error.code, message: error.message };
}

describe('DAV credentials go only to the configured origin', () => {
  it('refuses a current-user-principal on another origin: discovery fails, the other server gets nothing', async () => {
    const { dav, sink } = await servers((sink) => ({ principal: `${sink}/principal/` }));
    const error = await failure(new CalDavConnector().connect(settings(dav)));
    expect(error.code).toBe('INVALID_INPUT');
    expect(error.message).toContain(sink.url);
    expect(error.message).toContain('current-user-principal');
    expect(error.message).not.toContain('secret-pw');
    expect(sink.requests).toEqual([]);
    // The configured server itself did get the credentials.
    expect(dav.requests.every((r) => r.authorization?.startsWith('Basic ') === true)).toBe(true);
  });

  it('refuses a calendar-home-set on another origin with a clear discovery error', async () => {
    const { dav, sink } = await servers((sink) => ({ calendarHome: `${sink}/cal/` }));
    const error = await failure(new CalDavConnector().connect(settings(dav)));
    expect(error.code).toBe('INVALID_INPUT');
    expect(error.message).toContain(sink.url);
    expect(error.message).toContain('calendar-home-set');
    expect(sink.requests).toEqual([]);
  });

  it('refuses an item href on another origin as that item\'s failure, reads the others, and never sends it a request', async () => {
    const { dav, sink } = await servers((sink) => ({ multigetHrefs: [`${sink}/cal/work/stolen.ics`, '/cal/work/kept.ics'] }));
    const session = await new CalDavConnector().connect(settings(dav));
    const collection: DavCollection = { href: `${dav.url}/cal/work/`, displayName: 'Work', components: ['VEVENT'], kind: 'calendar', ctag: null, syncToken: null, readOnly: false, color: null };
    const changes = await session.changes(collection, null);
    expect(changes.changed.map((o) => o.href)).toEqual([`${dav.url}/cal/work/kept.ics`]);
    expect(changes.failed.map((f) => f.href)).toEqual([`${sink.url}/cal/work/stolen.ics`]);
    const error = changes.failed[0]?.error;
    expect(error?.code).toBe('INVALID_INPUT');
    expect(error?.message).toContain(sink.url);
    expect(error?.message).toContain('an item href in');
    expect(sink.requests.filter((r) => r.authorization !== undefined)).toEqual([]);
    expect(sink.requests).toEqual([]);
  });
});
