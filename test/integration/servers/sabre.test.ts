// Smoke test of the sabre/dav 1.8 test server (plain fetch, not the bridge's DAV client): users
// added at run time authenticate with Basic, calendars and address books are created in their
// homes, and the server has exactly the features the bridge's fallback is tested for: no
// sync-collection (RFC 6578), a CalendarServer getctag that changes with every write, ETags.

import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { davRequest, elementText, propfind } from '../../servers/dav.js';
import { createSabreUser } from '../../servers/sabre.js';
import type { Credentials } from '../../servers/types.js';
import { randomUsername } from '../../servers/users.js';
import { icsEvent, mkcalendar, mkcolAddressbook, put, vcard3 } from './dav-checks.js';

const servers = inject('servers');
const { sabre } = servers;

describe('sabre/dav 1.8 test server', () => {
  let user: Credentials;
  let calendarUrl: string;

  beforeAll(() => {
    user = createSabreUser(servers, 'alice');
    calendarUrl = `${sabre.url}calendars/${user.username}/work/`;
  });

  it('authenticates a user added at run time and serves its principal with both homes', async () => {
    const res = await propfind(`${sabre.url}principals/${user.username}/`, '<d:current-user-principal/><c:calendar-home-set/><card:addressbook-home-set/>', '0', user);
    expect(res.status).toBe(207);
    expect(res.text).toContain(`/calendars/${user.username}/`);
    expect(res.text).toContain(`/addressbooks/${user.username}/`);
  });

  it('rejects a wrong password, an unknown user and anonymous requests with 401', async () => {
    for (const auth of [{ username: user.username, password: 'wrong' }, { username: randomUsername('ghost'), password: 'secret' }, undefined]) {
      const res = await propfind(`${sabre.url}principals/${user.username}/`, '<d:resourcetype/>', '0', auth);
      expect(res.status, JSON.stringify(auth ?? 'anonymous')).toBe(401);
      expect(res.headers.get('www-authenticate')).toMatch(/^Basic /);
    }
  });

  it('creates a calendar and an address book, and bumps the ctag on every write', async () => {
    expect((await mkcalendar(calendarUrl, user, 'Work')).status).toBe(201);
    expect((await mkcolAddressbook(`${sabre.url}addressbooks/${user.username}/book/`, user, 'Book')).status).toBe(201);
    const ctag = async () => elementText((await propfind(calendarUrl, '<cs:getctag/>', '0', user)).text, 'getctag');
    const before = await ctag();
    expect(before).toMatch(/^\d+$/);
    const uid = randomUUID();
    const created = await put(`${calendarUrl}${uid}.ics`, user, icsEvent(uid, 'Planning'), 'text/calendar');
    expect(created.status).toBe(201);
    const after = await ctag();
    expect(Number(after)).toBeGreaterThan(Number(before));
    const card = await put(`${sabre.url}addressbooks/${user.username}/book/${uid}.vcf`, user, vcard3(uid, 'Ann Example', 'ann@example.com'), 'text/vcard');
    expect(card.status).toBe(201);
  });

  it('has no sync-collection: REPORT answers 403 DAV:supported-report, and collections carry no sync-token', async () => {
    const res = await davRequest({
      method: 'REPORT',
      url: calendarUrl,
      auth: user,
      headers: { Depth: '0' },
      body: '<?xml version="1.0"?><d:sync-collection xmlns:d="DAV:"><d:sync-token/><d:sync-level>1</d:sync-level><d:prop><d:getetag/></d:prop></d:sync-collection>',
    });
    expect(res.status).toBe(403);
    expect(res.text).toContain('supported-report');
    const props = await propfind(calendarUrl, '<d:sync-token/>', '0', user);
    expect(props.text).toMatch(/404 Not Found/);
  });
});
