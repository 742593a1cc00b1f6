// DavSession over plain fetch for one discovered account: collection listing, MKCALENDAR,
// sync-collection + multiget change tracking with an etag-listing fallback, conditional writes
// and free-busy queries. Every href handed out is absolute and canonical (href.ts).

import { randomBytes } from 'node:crypto';
import { BridgeError } from '../../src/domain/errors.js';
import type { DavChanges, DavCollection, DavComponent, DavItemFailure, DavObject, DavSession } from '../../src/ports/dav.js';
import type { DiscoveredAccount } from './discovery.js';
import { canonicalHref, displayUrl, pathOf, sameUrl, slugify, withTrailingSlash } from './href.js';
import { ForeignOriginError, type DavHttp, type DavHttpResponse } from './http.js';
import { entryStatus, hasResourceType, okProp, okText, parseMultistatus, type DavResponseEntry } from './multistatus.js';
import { decodeListingToken, diffListing, encodeListingToken, isListingToken, type ListingSnapshot } from './listing-token.js';
import { describe, hasPrecondition } from './parse-dav-error.js';
import { isResponseTooLarge } from './read-body.js';
import {
  COLLECTION_PROPS,
  ETAG_PROPS,
  freeBusyBody,
  mkcalendarBody,
  multigetBody,
  propfindBody,
  syncCollectionBody,
} from './requests.js';
import { childrenOf, NS_CALDAV, NS_CARDDAV, NS_CS, NS_DAV, NS_ICAL } from './xml.js';

export interface CalDavSessionOptions {
  /** Hrefs per calendar-multiget / addressbook-multiget (DESIGN.md: one multiget of 10,000 vCards takes 2.7 s on Radicale). */
  multigetBatchSize?: number;
  /** Parallel GETs when multiget is unavailable or returns no data for an href. */
  getConcurrency?: number;
}

const ALL_COMPONENTS: readonly DavComponent[] = ['VEVENT', 'VTODO', 'VJOURNAL'];
const MAX_SYNC_PAGES = 1000;

type SyncOutcome =
  | { kind: 'ok'; changed: Map<string, string>; deleted: Set<string>; failed: Map<string, DavItemFailure>; syncToken: string | null }
  | { kind: 'invalid-token' }
  | { kind: 'unsupported' };

function isComponent(name: string | undefined): name is DavComponent {
  return name === 'VEVENT' || name === 'VTODO' || name === 'VJOURNAL';
}

/** A member whose multistatus response names no XML character (XML 1.0 §4.1): its data is not trusted. */
function invalidReferenceFailure(method: string, url: string, entry: DavResponseEntry): DavItemFailure {
  return {
    href: entry.href,
    error: new BridgeError(
      'INVALID_INPUT',
      `${describe(method, url)}: the server's response for ${entry.href} holds the character reference ${entry.invalidReference ?? ''}, which names no XML character (XML 1.0 §2.2, §4.1): the item is skipped`,
    ),
  };
}

/** One member alone is larger than the response limit: it is reported, the others are read. */
function tooLargeFailure(href: string, limit: number): DavItemFailure {
  return {
    href,
    error: new BridgeError('PAYLOAD_TOO_LARGE', `${href}: the server's answer for this item alone is larger than ${limit} bytes (sync.maxDavResponseBytes): the item is skipped`),
  };
}

/** A collection that is gone from the server (404 on PROPFIND): the engine discovers again. */
function collectionGone(href: string): BridgeError {
  return new BridgeError('NOT_FOUND', `${describe('PROPFIND', href)} failed: the collection does not exist`);
}

function isSuccess(status: number): boolean {
  return status >= 200 && status < 300;
}

async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

export class CalDavSession implements DavSession {
  readonly principalUrl: string;
  readonly calendarHomeUrl: string | null;
  readonly addressbookHomeUrl: string | null;
  private readonly batchSize: number;
  private readonly getConcurrency: number;

  constructor(
    private readonly http: DavHttp,
    account: DiscoveredAccount,
    options: CalDavSessionOptions = {},
  ) {
    this.principalUrl = account.principalUrl;
    this.calendarHomeUrl = account.calendarHomeUrl;
    this.addressbookHomeUrl = account.addressbookHomeUrl;
    this.batchSize = Math.max(1, options.multigetBatchSize ?? 100);
    this.getConcurrency = Math.max(1, options.getConcurrency ?? 4);
  }

  // ------------------------------------------------------------------------------ collections

  listCalendars(): Promise<DavCollection[]> {
    return this.calendarHomeUrl === null ? Promise.resolve([]) : this.listCollections(this.calendarHomeUrl, 'calendar');
  }

  listAddressBooks(): Promise<DavCollection[]> {
    return this.addressbookHomeUrl === null ? Promise.resolve([]) : this.listCollections(this.addressbookHomeUrl, 'addressbook');
  }

  private async propfind(url: string, depth: '0' | '1', props: readonly string[]): Promise<DavResponseEntry[] | null> {
    const res = await this.http.request('PROPFIND', url, { depth, body: propfindBody(props) });
    if (res.status === 404) return null;
    if (res.status !== 207) throw this.http.fail('PROPFIND', url, res);
    return parseMultistatus(res.text, res.url, 'PROPFIND').responses;
  }

  private async listCollections(home: string, kind: DavCollection['kind']): Promise<DavCollection[]> {
    // Depth 1 on the home (RFC 4918 §9.1): the home itself plus its direct members. Radicale's
    // home holds calendars and address books side by side; the resourcetype tells them apart.
    const entries = await this.propfind(home, '1', COLLECTION_PROPS);
    if (entries === null) throw new BridgeError('NOT_FOUND', `${describe('PROPFIND', home)} failed: the ${kind} home does not exist`);
    return entries.filter((e) => !sameUrl(e.href, home) && this.isKind(e, kind)).map((e) => this.toCollection(e, kind));
  }

  private isKind(entry: DavResponseEntry, kind: DavCollection['kind']): boolean {
    return kind === 'calendar' ? hasResourceType(entry, NS_CALDAV, 'calendar') : hasResourceType(entry, NS_CARDDAV, 'addressbook');
  }

  private toCollection(entry: DavResponseEntry, kind: DavCollection['kind']): DavCollection {
    let components: DavComponent[] = [];
    if (kind === 'calendar') {
      const set = okProp(entry, NS_CALDAV, 'supported-calendar-component-set');
      // RFC 4791 §5.2.3: without the property a calendar accepts any component type.
      components =
        set === undefined
          ? [...ALL_COMPONENTS]
          : childrenOf(set, NS_CALDAV, 'comp')
              .map((c) => c.attrs['name']?.toUpperCase())
              .filter(isComponent);
    }
    // RFC 3744 §5.4: read-only unless one of the privileges that allow PUT is granted. Servers
    // without the property are assumed writable (a failed write will say otherwise).
    const privileges = okProp(entry, NS_DAV, 'current-user-privilege-set');
    const granted = new Set(childrenOf(privileges, NS_DAV, 'privilege').flatMap((p) => p.children.filter((c) => c.ns === NS_DAV).map((c) => c.local)));
    const readOnly = privileges !== undefined && !['all', 'write', 'write-content', 'bind'].some((p) => granted.has(p));
    return {
      href: withTrailingSlash(entry.href),
      displayName: okText(entry, NS_DAV, 'displayname'),
      components,
      kind,
      ctag: okText(entry, NS_CS, 'getctag'),
      syncToken: okText(entry, NS_DAV, 'sync-token'),
      readOnly,
      color: okText(entry, NS_ICAL, 'calendar-color'),
    };
  }

  private async readCollection(url: string, kind: DavCollection['kind']): Promise<DavCollection | null> {
    const entries = await this.propfind(url, '0', COLLECTION_PROPS);
    const entry = entries?.find((e) => sameUrl(e.href, url)) ?? entries?.[0];
    return entry !== undefined && this.isKind(entry, kind) ? this.toCollection(entry, kind) : null;
  }

  async createCalendar(name: string, components: DavComponent[]): Promise<DavCollection> {
    const home = this.calendarHomeUrl;
    if (home === null) throw new BridgeError('UNSUPPORTED', `CalDAV account ${displayUrl(this.principalUrl)} has no calendar home (RFC 4791 §6.2.1)`);
    // A name-derived segment makes a retried create (after a lost response) find its own
    // calendar instead of making a second one; a random suffix resolves a clash with another.
    const slug = slugify(name);
    const segments = [slug !== '' ? slug : `calendar-${randomBytes(4).toString('hex')}`, `${slug !== '' ? slug : 'calendar'}-${randomBytes(4).toString('hex')}`];
    for (const segment of segments) {
      const url = canonicalHref(`${encodeURIComponent(segment)}/`, home);
      const res = await this.http.request('MKCALENDAR', url, { body: mkcalendarBody(name, components) });
      // 201 is the answer of RFC 4791 §5.3.1; a 207 without a failure inside is taken as success too.
      if (isSuccess(res.status) && (res.status !== 207 || !this.mightAlreadyExist(res))) {
        const created = await this.readCollection(url, 'calendar');
        return created ?? { href: url, displayName: name, components: [...components], kind: 'calendar', ctag: null, syncToken: null, readOnly: false, color: null };
      }
      if (!this.mightAlreadyExist(res)) throw this.http.fail('MKCALENDAR', url, res);
      const existing = await this.readCollection(url, 'calendar');
      // Our own calendar from a create whose answer was lost; not one of that name that cannot hold
      // what is asked for (a client's events-only "CRM" when the CRM task list is to be "CRM" too).
      if (existing !== null && existing.displayName === name && components.every((component) => existing.components.includes(component))) return existing;
      // Something else (another calendar, a plain collection) holds the name: try the random one.
    }
    throw new BridgeError('CONFLICT', `${describe('MKCALENDAR', home)} failed: a collection named like "${name}" already exists`);
  }

  /**
   * MKCALENDAR refused because the URL is taken (RFC 4791 §5.3.1.1 resource-must-be-null):
   * Radicale 3.1 answers 409, others 405 (RFC 4918 §9.3.1), Xandikos 0.2.8 a 207 with a 403
   * inside. A re-read of the URL decides whether it really exists.
   */
  private mightAlreadyExist(res: DavHttpResponse): boolean {
    if (res.status === 405 || res.status === 409) return true;
    if (res.status === 403) return hasPrecondition(res.text, NS_DAV, 'resource-must-be-null') || hasPrecondition(res.text, NS_CALDAV, 'calendar-collection-location-ok');
    if (res.status === 207) {
      try {
        return parseMultistatus(res.text, res.url, 'MKCALENDAR').responses.some((r) => {
          const status = entryStatus(r);
          return status !== null && status >= 400;
        });
      } catch {
        return false;
      }
    }
    return false;
  }

  // ---------------------------------------------------------------------------------- changes

  async changes(collection: DavCollection, syncToken: string | null): Promise<DavChanges> {
    if (isListingToken(syncToken)) {
      // Our own token from an earlier listing (listing-token.ts): the server lacked sync-collection
      // then, so it is not asked again; a token the adapter cannot read means a full listing.
      const snapshot = decodeListingToken(collection.href, syncToken);
      if (snapshot !== null) return this.changesSinceListing(collection, snapshot, syncToken);
      return { ...(await this.fullListing(collection)), fullResync: true };
    }
    let outcome = await this.syncCollection(collection.href, syncToken);
    let fullResync = false;
    if (outcome.kind === 'invalid-token') {
      // RFC 6578 §3.2: the client must start over with an empty token. Everything the engine
      // knows but this listing lacks was deleted meanwhile.
      fullResync = true;
      outcome = await this.syncCollection(collection.href, null);
    }
    if (outcome.kind !== 'ok') {
      // No sync-collection on this collection: list the ETags and multiget everything, and hand
      // out a listing token so that the next pass fetches only what changed.
      return { ...(await this.fullListing(collection)), fullResync: fullResync || syncToken !== null };
    }
    const { objects, missing, failed } = await this.fetchObjects(collection, [...outcome.changed.keys()]);
    const deleted = new Set(outcome.deleted);
    for (const href of missing) deleted.add(href);
    return { changed: objects, deleted: [...deleted], failed: [...outcome.failed.values(), ...failed], syncToken: outcome.syncToken, fullResync };
  }

  /** Every member (ETag listing + multiget) and the listing token for the next call. */
  private async fullListing(collection: DavCollection): Promise<Omit<DavChanges, 'fullResync'>> {
    // The ctag is read before the listing: a change between the two changes it again, so the
    // next pass lists once more rather than missing it.
    const ctag = await this.readCtag(collection);
    const listing = await this.listEtags(collection);
    const { objects, missing, failed } = await this.fetchObjects(collection, listing.map((e) => e.href));
    // Resources gone between the listing and the multiget are simply not listed.
    return { changed: objects, deleted: [], failed, syncToken: this.listingToken(collection, ctag, listing, missing) };
  }

  /**
   * Changes since an earlier listing (listing-token.ts): an unchanged ctag means an unchanged
   * collection (one PROPFIND Depth 0); otherwise the ETag listing is diffed against the token and
   * only new and changed members are fetched.
   */
  private async changesSinceListing(collection: DavCollection, snapshot: ListingSnapshot, token: string): Promise<DavChanges> {
    // Asked afresh rather than taken from the collection listing: the engine reads a collection
    // again right after its own writes (own-write-rounds.ts), with the collection it listed before.
    const ctag = await this.readCtag(collection);
    if (ctag !== null && ctag === snapshot.ctag) return { changed: [], deleted: [], failed: [], syncToken: token, fullResync: false };
    const listing = await this.listEtags(collection);
    const diff = diffListing(snapshot, listing);
    const { objects, missing, failed } = await this.fetchObjects(collection, diff.changed);
    return {
      changed: objects,
      deleted: [...diff.deleted, ...missing],
      failed,
      syncToken: this.listingToken(collection, ctag, listing, missing),
      fullResync: false,
    };
  }

  /**
   * The token for a listing, without the members that vanished before they were fetched. A member
   * that could not be read (too large, bad XML) stays in it with its ETag: like a server's token,
   * the next one reports it again only once it changed (the engine keeps the item as it was).
   */
  private listingToken(collection: DavCollection, ctag: string | null, listing: ReadonlyArray<{ href: string; etag: string }>, missing: readonly string[]): string {
    const gone = new Set(missing);
    return encodeListingToken(collection.href, ctag, listing.filter((entry) => !gone.has(entry.href)));
  }

  /** The collection's CalendarServer getctag as it is now (one PROPFIND Depth 0), or null when it has none. */
  private async readCtag(collection: DavCollection): Promise<string | null> {
    const current = await this.readCollection(collection.href, collection.kind);
    if (current === null) throw collectionGone(collection.href);
    return current.ctag;
  }

  /** REPORT sync-collection (RFC 6578 §3.2), following truncated results (§3.6, 507 on the collection). */
  private async syncCollection(url: string, token: string | null): Promise<SyncOutcome> {
    const changed = new Map<string, string>();
    const deleted = new Set<string>();
    const failed = new Map<string, DavItemFailure>();
    // RFC 6578 §3.8: an initial sync lists the members that exist, never removed ones. Radicale
    // 3.1.8 still reports tombstones (404) of members deleted earlier; they are dropped, since a
    // full listing already implies that whatever it does not name is gone.
    const initial = token === null;
    let current = token;
    for (let page = 0; page < MAX_SYNC_PAGES; page++) {
      const res = await this.http.request('REPORT', url, { depth: '0', body: syncCollectionBody(current) });
      if (res.status !== 207) {
        if (current !== null && this.isInvalidToken(res)) return { kind: 'invalid-token' };
        if (res.status === 400 || res.status === 403 || res.status === 405 || res.status === 415 || res.status === 501) return { kind: 'unsupported' };
        throw this.http.fail('REPORT', url, res);
      }
      const ms = parseMultistatus(res.text, res.url, 'REPORT');
      let truncated = false;
      for (const r of ms.responses) {
        if (sameUrl(r.href, url)) {
          if (r.status === 507) truncated = true;
          continue;
        }
        if (r.invalidReference !== null) {
          // Neither changed nor deleted: the engine keeps what it has and records the failure.
          failed.set(r.href, invalidReferenceFailure('REPORT', url, r));
          changed.delete(r.href);
          deleted.delete(r.href);
          continue;
        }
        failed.delete(r.href);
        if (r.status === 404 || r.status === 410) {
          if (initial) continue;
          deleted.add(r.href);
          changed.delete(r.href);
          continue;
        }
        const etag = okText(r, NS_DAV, 'getetag');
        if (etag === null) continue; // a member without an entity (a sub-collection): not ours to sync
        changed.set(r.href, etag);
        deleted.delete(r.href);
      }
      if (!truncated || ms.syncToken === null || ms.syncToken === current) return { kind: 'ok', changed, deleted, failed, syncToken: ms.syncToken };
      current = ms.syncToken;
    }
    throw new BridgeError('TEMPORARY', `${describe('REPORT', url)} failed: sync-collection kept returning truncated results`);
  }

  /**
   * RFC 6578 §3.2: an unknown or expired token gives 403 (or 409) with DAV:valid-sync-token;
   * some servers use 410 Gone. Xandikos 0.2.8 answers 500 (an uncaught exception looking the
   * token up in git); the caller retries once without a token, so a 500 that was not about the
   * token fails again there and surfaces as TEMPORARY.
   */
  private isInvalidToken(res: DavHttpResponse): boolean {
    if (res.status === 410) return true;
    if (res.status === 403 || res.status === 409) return hasPrecondition(res.text, NS_DAV, 'valid-sync-token');
    return res.status === 500;
  }

  async listEtags(collection: DavCollection): Promise<Array<{ href: string; etag: string }>> {
    const entries = await this.propfind(collection.href, '1', ETAG_PROPS);
    if (entries === null) throw collectionGone(collection.href);
    const out: Array<{ href: string; etag: string }> = [];
    for (const e of entries) {
      if (sameUrl(e.href, collection.href) || hasResourceType(e, NS_DAV, 'collection')) continue;
      const etag = okText(e, NS_DAV, 'getetag');
      if (etag !== null) out.push({ href: e.href, etag });
    }
    return out;
  }

  // ------------------------------------------------------------------------------------ reads

  /** The objects at `hrefs`; throws the item's BridgeError when one of them cannot be read (see DavItemFailure). */
  async fetch(collection: DavCollection, hrefs: readonly string[]): Promise<DavObject[]> {
    const { objects, failed } = await this.fetchObjects(collection, hrefs);
    if (failed[0] !== undefined) throw failed[0].error;
    return objects;
  }

  /**
   * multiget in batches; GET for whatever multiget could not deliver. `missing`: hrefs that are
   * gone (404). A batch whose answer is larger than the response limit is asked again for half
   * as many hrefs, down to one; an href that is too large alone, or whose response holds an
   * invalid character reference, is `failed` and the others are still read.
   */
  private async fetchObjects(collection: DavCollection, hrefs: readonly string[]): Promise<{ objects: DavObject[]; missing: string[]; failed: DavItemFailure[] }> {
    const wanted = [...new Set(hrefs.map((h) => canonicalHref(h, collection.href)))];
    const objects: DavObject[] = [];
    const missing: string[] = [];
    const failed: DavItemFailure[] = [];
    const viaGet: string[] = [];
    const dataProp = collection.kind === 'calendar' ? ([NS_CALDAV, 'calendar-data'] as const) : ([NS_CARDDAV, 'address-data'] as const);
    // The batch size halves while answers are too large and doubles back after one that used less
    // than half the limit, so one huge item costs a few extra requests, not one per item afterwards.
    let size = this.batchSize;
    for (let start = 0; start < wanted.length; ) {
      const batch = wanted.slice(start, start + size);
      let res: DavHttpResponse;
      try {
        // RFC 4791 §7.9 / RFC 6352 §8.7: Depth is ignored for multiget and should not be sent.
        res = await this.http.request('REPORT', collection.href, { body: multigetBody(collection.kind, batch.map(pathOf)) });
      } catch (error) {
        if (!isResponseTooLarge(error)) throw error;
        if (batch.length > 1) {
          size = Math.ceil(batch.length / 2);
          continue;
        }
        failed.push(tooLargeFailure(batch[0] as string, error.limit));
        start += 1;
        continue;
      }
      start += batch.length;
      // Characters are a lower bound of the bytes read; an answer under half the limit has room for twice as many.
      if (res.text.length < this.http.maxResponseBytes / 2) size = Math.min(this.batchSize, size * 2);
      if (res.status === 401) throw this.http.fail('REPORT', collection.href, res);
      if (res.status !== 207) {
        viaGet.push(...batch);
        continue;
      }
      const seen = new Set<string>();
      for (const r of parseMultistatus(res.text, res.url, 'REPORT').responses) {
        seen.add(r.href);
        if (r.invalidReference !== null) {
          failed.push(invalidReferenceFailure('REPORT', collection.href, r));
          continue;
        }
        const status = entryStatus(r);
        if (status === 404 || status === 410) {
          missing.push(r.href);
          continue;
        }
        const data = okProp(r, dataProp[0], dataProp[1])?.text;
        const etag = okText(r, NS_DAV, 'getetag');
        // Xandikos 0.2.8 derives the media type from the file name and so returns no
        // calendar-data for a resource without ".ics": GET still returns it.
        if (data !== undefined && data.trim() !== '' && etag !== null) objects.push({ href: r.href, etag, data });
        else viaGet.push(r.href);
      }
      for (const href of batch) if (!seen.has(href)) viaGet.push(href);
    }
    const fetched = await mapLimit(viaGet, this.getConcurrency, async (href) => {
      try {
        return await this.get(href, `an item href in ${displayUrl(collection.href)}`);
      } catch (error) {
        // An item href on another origin is that item's failure, not the collection's.
        if (error instanceof ForeignOriginError) return { href, error };
        if (!isResponseTooLarge(error)) throw error;
        return tooLargeFailure(href, error.limit);
      }
    });
    fetched.forEach((obj, i) => {
      if (obj === null) missing.push(viaGet[i] as string);
      else if ('error' in obj) failed.push(obj);
      else objects.push(obj);
    });
    return { objects, missing, failed };
  }

  private async get(href: string, pointedBy?: string): Promise<DavObject | null> {
    const res = await this.http.request('GET', href, pointedBy !== undefined ? { pointedBy } : {});
    if (res.status === 404 || res.status === 410) return null;
    if (res.status !== 200) throw this.http.fail('GET', href, res);
    const etag = res.headers.get('etag') ?? (await this.readEtag(href));
    if (etag === null) throw new BridgeError('UNSUPPORTED', `${describe('GET', href)} failed: the server sends no ETag for the resource`);
    return { href, etag, data: res.text };
  }

  /** PROPFIND Depth 0 getetag (RFC 4918 §15.6); null when the resource is gone or has none. */
  private async readEtag(href: string): Promise<string | null> {
    const entries = await this.propfind(href, '0', ['<d:getetag/>']);
    const entry = entries?.find((e) => sameUrl(e.href, href)) ?? entries?.[0];
    return entry === undefined ? null : okText(entry, NS_DAV, 'getetag');
  }

  // ----------------------------------------------------------------------------------- writes

  async put(href: string, data: string, etag: string | null, contentType: 'text/calendar' | 'text/vcard'): Promise<{ etag: string }> {
    const url = canonicalHref(href, href);
    // RFC 7232 §3.1/§3.2: If-None-Match: * creates only, If-Match replaces only that version.
    const headers: Record<string, string> = { 'Content-Type': `${contentType}; charset=utf-8` };
    if (etag === null) headers['If-None-Match'] = '*';
    else headers['If-Match'] = etag;
    const res = await this.http.request('PUT', url, { headers, body: data });
    if (!isSuccess(res.status)) throw this.http.fail('PUT', url, res);
    // RFC 4791 §5.3.4: a server that changed the data on storing it sends no ETag; read the
    // stored version's ETag then (its data may differ from ours: the next sync fetches it).
    const newEtag = res.headers.get('etag') ?? (await this.readEtag(url));
    if (newEtag === null) throw new BridgeError('UNSUPPORTED', `${describe('PUT', url)} succeeded but the server reports no ETag for the resource`);
    return { etag: newEtag };
  }

  async remove(href: string, etag: string | null): Promise<void> {
    const url = canonicalHref(href, href);
    const res = await this.http.request('DELETE', url, etag === null ? {} : { headers: { 'If-Match': etag } });
    if (isSuccess(res.status) && res.status !== 207) return;
    if (res.status === 404 || res.status === 410) return; // already gone: the goal is reached
    if (res.status === 412 && etag !== null) {
      // RFC 7232 §3.1: If-Match is false also when there is no resource at all, so a 412 may
      // just mean "already deleted". Only a resource that still exists is a lost race.
      const current = await this.readEtag(url);
      if (current === null) return;
    }
    throw this.http.fail('DELETE', url, res);
  }

  // --------------------------------------------------------------------------------- free-busy

  async freeBusy(collection: DavCollection, start: Date, end: Date): Promise<string | null> {
    if (collection.kind !== 'calendar') return null;
    // Depth 1: Xandikos evaluates the query over the members only with Depth 1 or infinity.
    const res = await this.http.request('REPORT', collection.href, { depth: '1', body: freeBusyBody(start, end) });
    if ([400, 403, 404, 405, 415, 501].includes(res.status)) return null;
    // Radicale 3.1.8 does not implement free-busy-query and answers with a bare 207 listing the
    // members; anything without a VFREEBUSY means "not supported" as well.
    if (isSuccess(res.status)) return res.status !== 207 && /^BEGIN:VFREEBUSY\r?$/m.test(res.text) ? res.text : null;
    throw this.http.fail('REPORT', collection.href, res);
  }
}
