// Shared CalDAV/CardDAV checks for the Radicale and Xandikos smoke tests, in plain fetch:
// MKCALENDAR, extended MKCOL (RFC 5689), conditional PUT/GET/DELETE with ETags,
// calendar-multiget / addressbook-multiget and sync-collection REPORTs.

import { randomBytes, randomUUID } from 'node:crypto';
import { expect } from 'vitest';
import {
  davRequest,
  elementText,
  hasResourceType,
  parseMultistatus,
  propfind,
  type DavResponse,
} from '../../servers/dav.js';
import type { Credentials } from '../../servers/types.js';

const XML_HEAD = '<?xml version="1.0" encoding="utf-8"?>\n';
const NS = 'xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav" xmlns:card="urn:ietf:params:xml:ns:carddav"';

export function uniqueSlug(prefix: string): string {
  return `${prefix}-${randomBytes(4).toString('hex')}`;
}

function icsDate(d: Date): string {
  return d.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
}

export function icsEvent(uid: string, summary: string, start = new Date(Date.UTC(2030, 0, 15, 9, 0, 0))): string {
  const end = new Date(start.getTime() + 60 * 60 * 1000);
  return [
    'BEGIN:VCALENDAR',
    'VERSION:2.0',
    'PRODID:-//crm-bridge//test//EN',
    'BEGIN:VEVENT',
    `UID:${uid}`,
    `DTSTAMP:${icsDate(new Date())}`,
    `DTSTART:${icsDate(start)}`,
    `DTEND:${icsDate(end)}`,
    `SUMMARY:${summary}`,
    'END:VEVENT',
    'END:VCALENDAR',
    '',
  ].join('\r\n');
}

export function vcard3(uid: string, fullName: string, email: string): string {
  const [given = '', family = ''] = fullName.split(' ');
  return [
    'BEGIN:VCARD',
    'VERSION:3.0',
    `UID:${uid}`,
    `FN:${fullName}`,
    `N:${family};${given};;;`,
    `EMAIL;TYPE=INTERNET:${email}`,
    'ORG:Acme Corp',
    'END:VCARD',
    '',
  ].join('\r\n');
}

export function mkcalendar(url: string, auth: Credentials | undefined, displayName: string): Promise<DavResponse> {
  return davRequest({
    method: 'MKCALENDAR',
    url,
    auth,
    body:
      XML_HEAD +
      `<c:mkcalendar ${NS}><d:set><d:prop>` +
      `<d:displayname>${displayName}</d:displayname>` +
      '<c:supported-calendar-component-set><c:comp name="VEVENT"/></c:supported-calendar-component-set>' +
      '</d:prop></d:set></c:mkcalendar>',
  });
}

/** Extended MKCOL (RFC 5689) creating an address book. */
export function mkcolAddressbook(url: string, auth: Credentials | undefined, displayName: string): Promise<DavResponse> {
  return davRequest({
    method: 'MKCOL',
    url,
    auth,
    body:
      XML_HEAD +
      `<d:mkcol ${NS}><d:set><d:prop>` +
      '<d:resourcetype><d:collection/><card:addressbook/></d:resourcetype>' +
      `<d:displayname>${displayName}</d:displayname>` +
      '</d:prop></d:set></d:mkcol>',
  });
}

export function put(
  url: string,
  auth: Credentials | undefined,
  body: string,
  contentType: string,
  conditions: { ifNoneMatch?: string; ifMatch?: string } = {},
): Promise<DavResponse> {
  const headers: Record<string, string> = { 'Content-Type': contentType };
  if (conditions.ifNoneMatch !== undefined) headers['If-None-Match'] = conditions.ifNoneMatch;
  if (conditions.ifMatch !== undefined) headers['If-Match'] = conditions.ifMatch;
  return davRequest({ method: 'PUT', url, auth, headers, body });
}

function multiget(kind: 'calendar' | 'addressbook', url: string, auth: Credentials | undefined, hrefs: string[]): Promise<DavResponse> {
  const root = kind === 'calendar' ? 'c:calendar-multiget' : 'card:addressbook-multiget';
  const data = kind === 'calendar' ? '<c:calendar-data/>' : '<card:address-data/>';
  return davRequest({
    method: 'REPORT',
    url,
    auth,
    headers: { Depth: '1' },
    body: XML_HEAD + `<${root} ${NS}><d:prop><d:getetag/>${data}</d:prop>${hrefs.map((h) => `<d:href>${h}</d:href>`).join('')}</${root}>`,
  });
}

function syncCollection(url: string, auth: Credentials | undefined, token: string): Promise<DavResponse> {
  return davRequest({
    method: 'REPORT',
    url,
    auth,
    body:
      XML_HEAD +
      `<d:sync-collection ${NS}><d:sync-token>${token}</d:sync-token><d:sync-level>1</d:sync-level>` +
      '<d:prop><d:getetag/></d:prop></d:sync-collection>',
  });
}

async function syncToken(url: string, auth: Credentials | undefined): Promise<string> {
  const res = await propfind(url, '<d:sync-token/>', '0', auth);
  expect(res.status).toBe(207);
  const token = elementText(res.text, 'sync-token');
  expect(token, `sync-token of ${url}`).toBeTruthy();
  return token ?? '';
}

function pathOf(url: string): string {
  return new URL(url).pathname;
}

/** Everything a CalDAV client of the bridge needs, exercised on one calendar. */
export async function exerciseCalendar(calendarUrl: string, auth: Credentials | undefined): Promise<void> {
  // The collection is a calendar.
  const props = await propfind(calendarUrl, '<d:resourcetype/><d:displayname/>', '0', auth);
  expect(props.status).toBe(207);
  const self = parseMultistatus(props.text)[0];
  expect(self).toBeDefined();
  expect(hasResourceType(self?.xml ?? '', 'calendar')).toBe(true);

  const tokenBefore = await syncToken(calendarUrl, auth);

  // Create with If-None-Match: * ; a second create of the same resource must fail.
  const uid = randomUUID();
  const eventUrl = `${calendarUrl}${uid}.ics`;
  const created = await put(eventUrl, auth, icsEvent(uid, 'Kick-off with Acme'), 'text/calendar; charset=utf-8', { ifNoneMatch: '*' });
  expect(created.status).toBe(201);
  const etag1 = created.headers.get('etag');
  expect(etag1).toMatch(/^(W\/)?".+"$/);
  const again = await put(eventUrl, auth, icsEvent(uid, 'Duplicate'), 'text/calendar; charset=utf-8', { ifNoneMatch: '*' });
  expect(again.status).toBe(412);

  // GET returns what was stored, with the same ETag.
  const got = await davRequest({ method: 'GET', url: eventUrl, auth });
  expect(got.status).toBe(200);
  expect(got.headers.get('content-type')).toMatch(/^text\/calendar/);
  expect(got.headers.get('etag')).toBe(etag1);
  expect(got.text).toContain(`UID:${uid}`);
  expect(got.text).toContain('SUMMARY:Kick-off with Acme');

  // If-Match: a stale ETag is refused, the current one accepted and changes the ETag.
  const stale = await put(eventUrl, auth, icsEvent(uid, 'Lost update'), 'text/calendar; charset=utf-8', { ifMatch: '"not-the-etag"' });
  expect(stale.status).toBe(412);
  const updated = await put(eventUrl, auth, icsEvent(uid, 'Kick-off with Acme (moved)'), 'text/calendar; charset=utf-8', {
    ifMatch: etag1 ?? '',
  });
  expect([200, 201, 204]).toContain(updated.status);
  const etag2 = updated.headers.get('etag') ?? (await davRequest({ method: 'HEAD', url: eventUrl, auth })).headers.get('etag');
  expect(etag2).toBeTruthy();
  expect(etag2).not.toBe(etag1);

  // calendar-multiget returns the data and the current ETag.
  const mg = await multiget('calendar', calendarUrl, auth, [pathOf(eventUrl)]);
  expect(mg.status).toBe(207);
  const entries = parseMultistatus(mg.text);
  expect(entries).toHaveLength(1);
  expect(entries[0]?.href).toBe(pathOf(eventUrl));
  expect(elementText(entries[0]?.xml ?? '', 'getetag')).toBe(etag2);
  expect(elementText(entries[0]?.xml ?? '', 'calendar-data')).toContain('SUMMARY:Kick-off with Acme (moved)');

  // sync-collection from the token taken before the changes reports the new event.
  const sync = await syncCollection(calendarUrl, auth, tokenBefore);
  expect(sync.status).toBe(207);
  const changed = parseMultistatus(sync.text).map((e) => e.href);
  expect(changed).toContain(pathOf(eventUrl));
  const newToken = elementText(sync.text, 'sync-token');
  expect(newToken).toBeTruthy();
  expect(newToken).not.toBe(tokenBefore);

  // Conditional DELETE.
  const delStale = await davRequest({ method: 'DELETE', url: eventUrl, auth, headers: { 'If-Match': etag1 ?? '' } });
  expect(delStale.status).toBe(412);
  const del = await davRequest({ method: 'DELETE', url: eventUrl, auth, headers: { 'If-Match': etag2 ?? '' } });
  expect([200, 204]).toContain(del.status);
  expect((await davRequest({ method: 'GET', url: eventUrl, auth })).status).toBe(404);
}

/** Everything a CardDAV client of the bridge needs, exercised on one address book. */
export async function exerciseAddressbook(addressbookUrl: string, auth: Credentials | undefined): Promise<void> {
  const props = await propfind(addressbookUrl, '<d:resourcetype/>', '0', auth);
  expect(props.status).toBe(207);
  expect(hasResourceType(parseMultistatus(props.text)[0]?.xml ?? '', 'addressbook')).toBe(true);

  const tokenBefore = await syncToken(addressbookUrl, auth);

  const uid = randomUUID();
  const cardUrl = `${addressbookUrl}${uid}.vcf`;
  const created = await put(cardUrl, auth, vcard3(uid, 'Ada Lovelace', 'ada@acme.example'), 'text/vcard; charset=utf-8', {
    ifNoneMatch: '*',
  });
  expect(created.status).toBe(201);
  const etag1 = created.headers.get('etag');
  expect(etag1).toMatch(/^(W\/)?".+"$/);
  const again = await put(cardUrl, auth, vcard3(uid, 'Ada Duplicate', 'dup@acme.example'), 'text/vcard; charset=utf-8', {
    ifNoneMatch: '*',
  });
  expect(again.status).toBe(412);

  const got = await davRequest({ method: 'GET', url: cardUrl, auth });
  expect(got.status).toBe(200);
  expect(got.headers.get('content-type')).toMatch(/^text\/(x-)?vcard/);
  expect(got.headers.get('etag')).toBe(etag1);
  expect(got.text).toContain(`UID:${uid}`);
  expect(got.text).toContain('FN:Ada Lovelace');
  expect(got.text).toContain('ada@acme.example');

  const stale = await put(cardUrl, auth, vcard3(uid, 'Ada Lost', 'lost@acme.example'), 'text/vcard; charset=utf-8', {
    ifMatch: '"not-the-etag"',
  });
  expect(stale.status).toBe(412);
  const updated = await put(cardUrl, auth, vcard3(uid, 'Ada King', 'ada.king@acme.example'), 'text/vcard; charset=utf-8', {
    ifMatch: etag1 ?? '',
  });
  expect([200, 201, 204]).toContain(updated.status);
  const etag2 = updated.headers.get('etag') ?? (await davRequest({ method: 'HEAD', url: cardUrl, auth })).headers.get('etag');
  expect(etag2).toBeTruthy();
  expect(etag2).not.toBe(etag1);

  const mg = await multiget('addressbook', addressbookUrl, auth, [pathOf(cardUrl)]);
  expect(mg.status).toBe(207);
  const entries = parseMultistatus(mg.text);
  expect(entries).toHaveLength(1);
  expect(entries[0]?.href).toBe(pathOf(cardUrl));
  expect(elementText(entries[0]?.xml ?? '', 'getetag')).toBe(etag2);
  expect(elementText(entries[0]?.xml ?? '', 'address-data')).toContain('FN:Ada King');

  const sync = await syncCollection(addressbookUrl, auth, tokenBefore);
  expect(sync.status).toBe(207);
  expect(parseMultistatus(sync.text).map((e) => e.href)).toContain(pathOf(cardUrl));

  const del = await davRequest({ method: 'DELETE', url: cardUrl, auth, headers: { 'If-Match': etag2 ?? '' } });
  expect([200, 204]).toContain(del.status);
  expect((await davRequest({ method: 'GET', url: cardUrl, auth })).status).toBe(404);
}

/** MKCALENDAR + extended MKCOL under `homeUrl`; returns the new collections' URLs. */
export async function createCollections(
  calendarHomeUrl: string,
  addressbookHomeUrl: string,
  auth: Credentials | undefined,
): Promise<{ calendarUrl: string; addressbookUrl: string }> {
  const calendarUrl = `${calendarHomeUrl}${uniqueSlug('cal')}/`;
  const cal = await mkcalendar(calendarUrl, auth, 'CRM meetings');
  expect(cal.status, cal.text).toBe(201);
  const addressbookUrl = `${addressbookHomeUrl}${uniqueSlug('book')}/`;
  const book = await mkcolAddressbook(addressbookUrl, auth, 'CRM contacts');
  expect(book.status, book.text).toBe(201);

  // Creating the same collection again is refused and changes nothing. Radicale answers
  // 409/405; Xandikos 0.2.8 answers 207 Multi-Status wrapping a 403 with a
  // DAV:resource-must-be-null error, so a 207 alone does not mean success.
  const dup = await mkcalendar(calendarUrl, auth, 'again');
  const refused = dup.status >= 400 || (dup.status === 207 && /resource-must-be-null|HTTP\/1\.1 403/.test(dup.text));
  expect(refused, `${dup.status} ${dup.text}`).toBe(true);

  // Both show up, with their types and names, in a Depth 1 PROPFIND of the home(s).
  for (const [home, url, type, name] of [
    [calendarHomeUrl, calendarUrl, 'calendar', 'CRM meetings'],
    [addressbookHomeUrl, addressbookUrl, 'addressbook', 'CRM contacts'],
  ] as const) {
    const res = await propfind(home, '<d:resourcetype/><d:displayname/>', '1', auth);
    expect(res.status).toBe(207);
    const entry = parseMultistatus(res.text).find((e) => e.href === pathOf(url));
    expect(entry, `${url} listed under ${home}`).toBeDefined();
    expect(hasResourceType(entry?.xml ?? '', type)).toBe(true);
    expect(elementText(entry?.xml ?? '', 'displayname')).toBe(name);
  }
  return { calendarUrl, addressbookUrl };
}
