// Request bodies for the DAV methods and REPORTs the adapter sends. Prefixes are ours; servers
// must only look at namespace URIs.

import type { DavComponent } from '../../src/ports/dav.js';
import { escapeXml, NS_CALDAV, NS_CARDDAV, NS_CS, NS_DAV, NS_ICAL } from './xml.js';

const HEAD = '<?xml version="1.0" encoding="utf-8"?>\n';
const NS = `xmlns:d="${NS_DAV}" xmlns:c="${NS_CALDAV}" xmlns:card="${NS_CARDDAV}" xmlns:cs="${NS_CS}" xmlns:ical="${NS_ICAL}"`;

/** PROPFIND (RFC 4918 §9.1) for the given `<prefix:name/>` elements (prefixes as in NS). */
export function propfindBody(props: readonly string[]): string {
  return `${HEAD}<d:propfind ${NS}><d:prop>${props.join('')}</d:prop></d:propfind>`;
}

/** Everything discovery needs in one PROPFIND (RFC 5397 §3, RFC 4791 §6.2.1, RFC 6352 §7.1.1). */
export const DISCOVERY_PROPS = ['<d:current-user-principal/>', '<d:resourcetype/>', '<c:calendar-home-set/>', '<card:addressbook-home-set/>'];

/** What a collection listing needs (RFC 4791 §5.2.3, RFC 6578 §4, RFC 3744 §5.4, CalendarServer ctag). */
export const COLLECTION_PROPS = [
  '<d:resourcetype/>',
  '<d:displayname/>',
  '<c:supported-calendar-component-set/>',
  '<cs:getctag/>',
  '<d:sync-token/>',
  '<d:current-user-privilege-set/>',
  '<ical:calendar-color/>',
];

export const ETAG_PROPS = ['<d:resourcetype/>', '<d:getetag/>'];

/**
 * RFC 6578 §3.2: sync-level 1 (members only); an empty sync-token asks for the initial full
 * listing (§3.8). Only getetag is asked for: the data comes from multiget afterwards, which
 * servers answer much faster than data-laden sync reports (DESIGN.md principle 8).
 */
export function syncCollectionBody(token: string | null): string {
  const tokenEl = token === null ? '<d:sync-token/>' : `<d:sync-token>${escapeXml(token)}</d:sync-token>`;
  return `${HEAD}<d:sync-collection ${NS}>${tokenEl}<d:sync-level>1</d:sync-level><d:prop><d:getetag/></d:prop></d:sync-collection>`;
}

/** calendar-multiget (RFC 4791 §7.9) or addressbook-multiget (RFC 6352 §8.7) of hrefs (paths). */
export function multigetBody(kind: 'calendar' | 'addressbook', paths: readonly string[]): string {
  const hrefs = paths.map((p) => `<d:href>${escapeXml(p)}</d:href>`).join('');
  return kind === 'calendar'
    ? `${HEAD}<c:calendar-multiget ${NS}><d:prop><d:getetag/><c:calendar-data/></d:prop>${hrefs}</c:calendar-multiget>`
    : `${HEAD}<card:addressbook-multiget ${NS}><d:prop><d:getetag/><card:address-data/></d:prop>${hrefs}</card:addressbook-multiget>`;
}

/** MKCALENDAR (RFC 4791 §5.3.1) with displayname and supported-calendar-component-set (§5.2.3). */
export function mkcalendarBody(displayName: string, components: readonly DavComponent[]): string {
  const comps = components.map((c) => `<c:comp name="${escapeXml(c)}"/>`).join('');
  return (
    `${HEAD}<c:mkcalendar ${NS}><d:set><d:prop>` +
    `<d:displayname>${escapeXml(displayName)}</d:displayname>` +
    (comps !== '' ? `<c:supported-calendar-component-set>${comps}</c:supported-calendar-component-set>` : '') +
    '</d:prop></d:set></c:mkcalendar>'
  );
}

/** iCalendar UTC date-time as used in CALDAV:time-range (RFC 4791 §9.9). */
export function icalUtc(date: Date): string {
  return date.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
}

/** free-busy-query (RFC 4791 §7.10). */
export function freeBusyBody(start: Date, end: Date): string {
  return `${HEAD}<c:free-busy-query ${NS}><c:time-range start="${icalUtc(start)}" end="${icalUtc(end)}"/></c:free-busy-query>`;
}
