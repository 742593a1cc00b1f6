// An address-book session: the CalDAV adapter's DavSession (discovery results, sync-collection +
// addressbook-multiget, conditional writes) plus what only CardDAV needs: creating an address book.

import { randomBytes } from 'node:crypto';
import { BridgeError } from '../../src/domain/errors.js';
import type { DavChanges, DavCollection, DavObject } from '../../src/ports/dav.js';
import type { AddressBookSession } from '../../src/ports/address-book.js';
import { canonicalHref, displayUrl, sameUrl, slugify } from '../caldav/href.js';
import type { DavHttp } from '../caldav/http.js';
import type { CalDavSession } from '../caldav/session.js';
import { mkcolAddressBookBody } from './requests.js';

export class CardDavSession implements AddressBookSession {
  readonly principalUrl: string;
  readonly addressbookHomeUrl: string | null;

  constructor(
    private readonly http: DavHttp,
    private readonly dav: CalDavSession,
  ) {
    this.principalUrl = dav.principalUrl;
    this.addressbookHomeUrl = dav.addressbookHomeUrl;
  }

  listAddressBooks(): Promise<DavCollection[]> {
    return this.dav.listAddressBooks();
  }

  async createAddressBook(name: string): Promise<DavCollection> {
    const home = this.addressbookHomeUrl;
    if (home === null) throw new BridgeError('UNSUPPORTED', `CardDAV account ${displayUrl(this.principalUrl)} has no address book home (RFC 6352 §7.1.1)`);
    // A name-derived segment makes a retried create (after a lost response) find its own address
    // book instead of making a second one; a random suffix resolves a clash with something else.
    const slug = slugify(name) || 'contacts';
    for (const segment of [slug, `${slug}-${randomBytes(4).toString('hex')}`]) {
      const url = canonicalHref(`${encodeURIComponent(segment)}/`, home);
      const res = await this.http.request('MKCOL', url, { body: mkcolAddressBookBody(name) });
      const existing = (await this.listAddressBooks()).find((book) => sameUrl(book.href, url));
      // RFC 5689 §5.1: 201 on success; 405 when the URL is taken (RFC 4918 §9.3.1).
      if (res.status >= 200 && res.status < 300 && existing !== undefined) return existing;
      if (existing !== undefined && existing.displayName === name) return existing;
      if (res.status !== 405 && res.status !== 409 && !(res.status >= 200 && res.status < 300)) throw this.http.fail('MKCOL', url, res);
    }
    throw new BridgeError('CONFLICT', `MKCOL below ${displayUrl(home)} failed: a collection named like "${name}" already exists`);
  }

  changes(collection: DavCollection, syncToken: string | null): Promise<DavChanges> {
    return this.dav.changes(collection, syncToken);
  }

  fetch(collection: DavCollection, hrefs: readonly string[]): Promise<DavObject[]> {
    return this.dav.fetch(collection, hrefs);
  }

  put(href: string, data: string, etag: string | null): Promise<{ etag: string }> {
    return this.dav.put(href, data, etag, 'text/vcard');
  }

  remove(href: string, etag: string | null): Promise<void> {
    return this.dav.remove(href, etag);
  }
}
