// Finding the principal and its calendar / address book homes from whatever URL the operator
// configured: the server root, a principal, a home set, or a single collection.
//
//  1. Root URL: PROPFIND current-user-principal on /.well-known/caldav (RFC 6764 §5, §6), which
//     servers redirect to their DAV root (Radicale 301, Xandikos 302 to "/").
//  2. PROPFIND current-user-principal (RFC 5397 §3) on the URL itself.
//  3. PROPFIND calendar-home-set (RFC 4791 §6.2.1) and addressbook-home-set (RFC 6352 §7.1.1)
//     on the principal.
//  4. Servers without RFC 5397: when the URL itself is a calendar or address book, its parent is
//     the home; when it is a plain collection, it is taken as the home.

import { BridgeError } from '../../src/domain/errors.js';
import { canonicalHref, displayUrl, parentOf, sameUrl, withTrailingSlash } from './href.js';
import type { DavHttp } from './http.js';
import { hasResourceType, okHrefs, parseMultistatus, type DavResponseEntry } from './multistatus.js';
import { DISCOVERY_PROPS, propfindBody } from './requests.js';
import { NS_CALDAV, NS_CARDDAV, NS_DAV } from './xml.js';

export interface DiscoveredAccount {
  principalUrl: string;
  calendarHomeUrl: string | null;
  addressbookHomeUrl: string | null;
}

interface Probe {
  entry: DavResponseEntry;
  /** The URL that answered (after redirects); hrefs are relative to it. */
  url: string;
}

/**
 * PROPFIND Depth 0 for the discovery properties. Returns null when the URL is not a DAV resource
 * (404, 405, a web page); throws AUTH on 401/403 and TEMPORARY on 5xx and network failures, since
 * trying other URLs would only hide those.
 */
async function probe(http: DavHttp, url: string, pointedBy?: string): Promise<Probe | null> {
  const res = await http.request('PROPFIND', url, { depth: '0', body: propfindBody(DISCOVERY_PROPS), ...(pointedBy !== undefined ? { pointedBy } : {}) });
  if (res.status === 401 || res.status === 403 || res.status === 408 || res.status === 429 || res.status >= 500) {
    throw http.fail('PROPFIND', url, res);
  }
  if (res.status !== 207) return null;
  const ms = parseMultistatus(res.text, res.url, 'PROPFIND');
  // Depth 0 answers with the resource itself; prefer the entry whose href is the URL asked for.
  const entry = ms.responses.find((r) => sameUrl(r.href, res.url)) ?? ms.responses[0];
  return entry === undefined ? null : { entry, url: res.url };
}

function first(list: readonly string[]): string | null {
  const href = list[0];
  return href === undefined ? null : withTrailingSlash(href);
}

/**
 * The home sets of a probed resource. A home on another origin fails discovery here, before the
 * session lists it: the session's requests would carry the credentials there (see DavHttp).
 */
function homesOf(http: DavHttp, p: Probe): { calendarHomeUrl: string | null; addressbookHomeUrl: string | null } {
  const calendarHomeUrl = first(okHrefs(p.entry, NS_CALDAV, 'calendar-home-set', p.url));
  const addressbookHomeUrl = first(okHrefs(p.entry, NS_CARDDAV, 'addressbook-home-set', p.url));
  if (calendarHomeUrl !== null) http.assertTrusted('PROPFIND', calendarHomeUrl, `calendar-home-set of ${displayUrl(p.url)}`);
  if (addressbookHomeUrl !== null) http.assertTrusted('PROPFIND', addressbookHomeUrl, `addressbook-home-set of ${displayUrl(p.url)}`);
  return { calendarHomeUrl, addressbookHomeUrl };
}

/** Step 4: no principal (or one without home sets): derive the homes from the URL's own type. */
function homesFromCollection(p: Probe): DiscoveredAccount | null {
  const self = withTrailingSlash(p.entry.href);
  if (hasResourceType(p.entry, NS_CALDAV, 'calendar')) {
    return { principalUrl: self, calendarHomeUrl: parentOf(self), addressbookHomeUrl: null };
  }
  if (hasResourceType(p.entry, NS_CARDDAV, 'addressbook')) {
    return { principalUrl: self, calendarHomeUrl: null, addressbookHomeUrl: parentOf(self) };
  }
  if (hasResourceType(p.entry, NS_DAV, 'collection')) {
    return { principalUrl: self, calendarHomeUrl: self, addressbookHomeUrl: self };
  }
  return null;
}

export async function discover(http: DavHttp, configuredUrl: string): Promise<DiscoveredAccount> {
  let start: URL;
  try {
    start = new URL(configuredUrl);
  } catch (error) {
    throw new BridgeError('CONFIG', `CalDAV server URL is not a valid URL: ${displayUrl(configuredUrl)}`, { cause: error });
  }
  if (start.protocol !== 'http:' && start.protocol !== 'https:') {
    throw new BridgeError('CONFIG', `CalDAV server URL must be http or https: ${displayUrl(configuredUrl)}`);
  }
  const given = canonicalHref(start.href, start.href);

  let principalUrl: string | null = null;
  if (start.pathname === '/') {
    const wellKnown = await probe(http, new URL('/.well-known/caldav', start.origin).href);
    if (wellKnown !== null) principalUrl = first(okHrefs(wellKnown.entry, NS_DAV, 'current-user-principal', wellKnown.url));
  }

  const self = await probe(http, given);
  if (principalUrl === null && self !== null) {
    principalUrl = first(okHrefs(self.entry, NS_DAV, 'current-user-principal', self.url));
  }

  if (principalUrl !== null) {
    const principal = self !== null && sameUrl(self.url, principalUrl) ? self : await probe(http, principalUrl, `current-user-principal from ${displayUrl(given)}`);
    if (principal !== null) {
      const homes = homesOf(http, principal);
      if (homes.calendarHomeUrl !== null || homes.addressbookHomeUrl !== null) return { principalUrl, ...homes };
    }
  }
  if (self !== null) {
    // A home-set on the URL itself (it is a principal that does not name itself), else its type.
    const homes = homesOf(http, self);
    if (homes.calendarHomeUrl !== null || homes.addressbookHomeUrl !== null) {
      return { principalUrl: principalUrl ?? withTrailingSlash(self.entry.href), ...homes };
    }
    const derived = homesFromCollection(self);
    if (derived !== null) return principalUrl === null ? derived : { ...derived, principalUrl };
  }
  throw new BridgeError(
    'NOT_FOUND',
    principalUrl === null
      ? `CalDAV discovery found no principal at ${displayUrl(given)} (no current-user-principal, RFC 5397, and not a DAV collection)`
      : `CalDAV discovery found no calendar-home-set or addressbook-home-set on the principal ${displayUrl(principalUrl)} (from ${displayUrl(given)})`,
  );
}
