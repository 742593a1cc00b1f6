// Smoke test of the Xandikos test server (plain fetch). Xandikos has no authentication of
// its own: the single principal is reachable with any credentials or none.

import { describe, expect, inject, it } from 'vitest';
import { hrefsInside, propfind } from '../../servers/dav.js';
import { createCollections, exerciseAddressbook, exerciseCalendar } from './dav-checks.js';

const { xandikos } = inject('servers');
// Sent anyway, like the bridge would; Xandikos ignores it.
const auth = { username: 'anyone', password: 'anything' };

describe('Xandikos test server', () => {
  it('reports the discovered principal, homes and --defaults collections', async () => {
    expect(xandikos.principalUrl).toBe(`${xandikos.url}user/`);
    expect(xandikos.calendarHomeUrl).toBe(`${xandikos.url}user/calendars/`);
    expect(xandikos.addressbookHomeUrl).toBe(`${xandikos.url}user/contacts/`);
    expect(xandikos.calendarUrl).toBe(`${xandikos.url}user/calendars/calendar/`);
    expect(xandikos.addressbookUrl).toBe(`${xandikos.url}user/contacts/addressbook/`);

    const res = await propfind(xandikos.url, '<d:current-user-principal/>', '0');
    expect(res.status).toBe(207);
    expect(hrefsInside(res.text, 'current-user-principal')).toEqual(['/user/']);
  });

  it('accepts any credentials (no authentication)', async () => {
    const withBogus = await propfind(xandikos.principalUrl, '<d:resourcetype/>', '0', { username: 'x', password: 'y' });
    const anonymous = await propfind(xandikos.principalUrl, '<d:resourcetype/>', '0');
    expect(withBogus.status).toBe(207);
    expect(anonymous.status).toBe(207);
  });

  it('works with the default calendar and address book', async () => {
    await exerciseCalendar(xandikos.calendarUrl, auth);
    await exerciseAddressbook(xandikos.addressbookUrl, auth);
  });

  it('creates a calendar (MKCALENDAR) and an address book (extended MKCOL) and uses them', async () => {
    const created = await createCollections(xandikos.calendarHomeUrl, xandikos.addressbookHomeUrl, auth);
    await exerciseCalendar(created.calendarUrl, auth);
    await exerciseAddressbook(created.addressbookUrl, auth);
  });
});
