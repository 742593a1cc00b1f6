// Smoke test of the Radicale test server (plain fetch): per-user homes with htpasswd auth,
// collections created by MKCALENDAR / extended MKCOL, ETag-conditional writes, multiget and
// sync-collection REPORTs, and authentication/authorisation failures.

import { beforeAll, describe, expect, inject, it } from 'vitest';
import { davRequest, propfind } from '../../servers/dav.js';
import { addRadicaleUser, createRadicaleUser, randomUsername, type Credentials } from '../../servers/users.js';
import { createCollections, exerciseAddressbook, exerciseCalendar, icsEvent, put } from './dav-checks.js';

const servers = inject('servers');
const { radicale } = servers;

describe('Radicale test server', () => {
  let user: Credentials;
  let home: string;
  let collections: { calendarUrl: string; addressbookUrl: string };

  beforeAll(async () => {
    user = await createRadicaleUser(servers, 'alice');
    home = `${radicale.url}${user.username}/`;
  });

  it('authenticates a user appended to the htpasswd file and serves its principal', async () => {
    expect(user.username).toMatch(/^alice-[0-9a-f]{8}$/);
    const res = await propfind(home, '<d:current-user-principal/><c:calendar-home-set/><card:addressbook-home-set/>', '0', user);
    expect(res.status).toBe(207);
    expect(res.text).toContain(`/${user.username}/`);
  });

  it('creates a calendar (MKCALENDAR) and an address book (extended MKCOL) in the user home', async () => {
    collections = await createCollections(home, home, user);
  });

  it('stores, versions and reports calendar events', async () => {
    await exerciseCalendar(collections.calendarUrl, user);
  });

  it('stores, versions and reports vCards', async () => {
    await exerciseAddressbook(collections.addressbookUrl, user);
  });

  it('rejects a wrong password and anonymous requests with 401', async () => {
    for (const auth of [{ username: user.username, password: 'wrong' }, { username: randomUsername('ghost'), password: 'secret' }, undefined]) {
      const res = await propfind(home, '<d:resourcetype/>', '0', auth);
      expect(res.status, JSON.stringify(auth ?? 'anonymous')).toBe(401);
      expect(res.headers.get('www-authenticate')).toMatch(/^Basic /);
    }
  });

  it("keeps users out of each other's collections (rights owner_only)", async () => {
    const mallory = await addRadicaleUser(radicale, randomUsername('mallory'), 'pw-mallory');
    const read = await propfind(collections.calendarUrl, '<d:resourcetype/>', '0', mallory);
    expect(read.status).toBe(403);
    const write = await put(`${collections.calendarUrl}intruder.ics`, mallory, icsEvent('intruder', 'x'), 'text/calendar');
    expect(write.status).toBe(403);
    const get = await davRequest({ method: 'GET', url: collections.calendarUrl, auth: mallory });
    expect(get.status).toBe(403);
  });

  it('serves the pre-created users alice and bob', async () => {
    for (const u of radicale.users) {
      const res = await propfind(`${radicale.url}${u.username}/`, '<d:resourcetype/>', '0', u);
      expect(res.status).toBe(207);
    }
    expect(radicale.users.map((u) => u.username)).toEqual(['alice', 'bob']);
  });
});
