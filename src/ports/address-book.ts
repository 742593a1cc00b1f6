import type { DavChanges, DavCollection, DavObject, DavServerSettings } from './dav.js';

/**
 * The CardDAV side of contact sync as the engine sees it (adapters/carddav implements it on top of
 * the CalDAV adapter's DAV machinery). Every href is absolute.
 */
export interface AddressBookAccount {
  principalUrl: string;
  addressbookHomeUrl: string | null;
}

export interface AddressBookSession extends AddressBookAccount {
  listAddressBooks(): Promise<DavCollection[]>;
  /** Extended MKCOL (RFC 5689 §5.1) of an address book (RFC 6352 §6.3.1) below the home; returns the new or already existing one. */
  createAddressBook(name: string): Promise<DavCollection>;
  /** sync-collection + addressbook-multiget, falling back to an etag listing (see DavSession.changes). */
  changes(collection: DavCollection, syncToken: string | null): Promise<DavChanges>;
  fetch(collection: DavCollection, hrefs: readonly string[]): Promise<DavObject[]>;
  /** If-None-Match: * (etag null) or If-Match; BridgeError PRECONDITION_FAILED on 412. */
  put(href: string, data: string, etag: string | null): Promise<{ etag: string }>;
  remove(href: string, etag: string | null): Promise<void>;
}

export interface AddressBookConnector {
  /** Discover (RFC 6764, RFC 5397, RFC 6352 §7.1.1) and authenticate. */
  /** `abort`: as DavConnector.connect. */
  connect(settings: DavServerSettings, abort?: AbortSignal): Promise<AddressBookSession>;
  /** A session for an account discovered earlier, without discovery requests (a no-change pass is then one REPORT). */
  resume(settings: DavServerSettings, account: AddressBookAccount, abort?: AbortSignal): AddressBookSession;
}
