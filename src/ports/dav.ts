import type { BridgeError } from '../domain/errors.js';
import type { BearerTokens, OAuthConnection } from './oauth.js';

/**
 * The CalDAV/CardDAV side of calendar, task and contact sync, as the sync engine sees it.
 * adapters/caldav (and later adapters/carddav) implement it with fetch and own WebDAV bodies;
 * the engine never sees HTTP or XML. Every href is ABSOLUTE (DESIGN.md principle 8).
 */
export interface DavServerSettings {
  /** Server root, principal or home-set URL; collections are discovered from it (RFC 6764, RFC 5397, RFC 4791 §6.2.1). */
  url: string;
  username: string;
  password: string;
  /** The OAuth2 grant the connection signs in with; the runtime gives it `bearer` from it. */
  oauth?: OAuthConnection;
  /**
   * Sign in with OAuth2 access tokens instead of the password: SASL OAUTHBEARER or XOAUTH2
   * (RFC 7628) for IMAP and SMTP, `Authorization: Bearer` (RFC 6750) for DAV.
   */
  bearer?: BearerTokens;
  /** Overall time one HTTP request (headers and body) may take, in ms (`sync.commandTimeoutSeconds`). */
  timeoutMs?: number;
  /** Largest DAV response body read (`sync.maxDavResponseBytes`); the adapter's default when absent. */
  maxResponseBytes?: number;
  /** PEM certificates trusted besides the system's roots (the connection's `tls.ca` file, read). */
  tlsCa?: string;
}

export type DavComponent = 'VEVENT' | 'VTODO' | 'VJOURNAL';

export interface DavCollection {
  /** Absolute URL, with trailing slash. */
  href: string;
  displayName: string | null;
  /** Supported calendar components (RFC 4791 §5.2.3); empty for address books. */
  components: DavComponent[];
  kind: 'calendar' | 'addressbook';
  ctag: string | null;
  syncToken: string | null;
  readOnly: boolean;
  color: string | null;
}

export interface DavObject {
  /** Absolute URL of the resource. */
  href: string;
  etag: string;
  /** The iCalendar or vCard text. */
  data: string;
}

/**
 * A member the server listed but whose data could not be read: larger than
 * `sync.maxDavResponseBytes` on its own, or with XML that names no character. The engine records
 * it with its href and treats the item as unchanged (never as deleted); the rest syncs.
 */
export interface DavItemFailure {
  href: string;
  error: BridgeError;
}

export interface DavChanges {
  /** Resources created or changed since the token (with their data, fetched by multiget). */
  changed: DavObject[];
  /** Absolute hrefs of resources removed since the token. */
  deleted: string[];
  /** Members listed as created or changed whose data could not be read (see DavItemFailure). */
  failed: DavItemFailure[];
  /** The token to pass next time. */
  syncToken: string | null;
  /** true when the server refused the old token (403/409/410 valid-sync-token, RFC 6578 §3.2) and a full listing was made instead: the engine must treat everything not listed as deleted. */
  fullResync: boolean;
}

export interface DavSession {
  /** The principal and the home sets found by discovery. */
  readonly principalUrl: string;
  readonly calendarHomeUrl: string | null;
  readonly addressbookHomeUrl: string | null;
  listCalendars(): Promise<DavCollection[]>;
  listAddressBooks(): Promise<DavCollection[]>;
  /** MKCALENDAR (RFC 4791 §5.3.1) below the calendar home with a display name and the components it holds; returns the new collection. */
  createCalendar(name: string, components: DavComponent[]): Promise<DavCollection>;
  /** Changes since `syncToken` (null: everything): sync-collection (RFC 6578) + calendar-multiget, falling back to ctag/etag listing when the server lacks it. */
  changes(collection: DavCollection, syncToken: string | null): Promise<DavChanges>;
  /** All hrefs and etags of a collection (PROPFIND Depth 1), without data. */
  listEtags(collection: DavCollection): Promise<Array<{ href: string; etag: string }>>;
  /** calendar-multiget / addressbook-multiget of the given hrefs. */
  fetch(collection: DavCollection, hrefs: readonly string[]): Promise<DavObject[]>;
  /**
   * Create (`etag` null: If-None-Match: *) or replace (If-Match: etag) a resource. Returns the new
   * ETag (re-read when the server does not send one). Throws BridgeError PRECONDITION_FAILED on 412
   * (someone changed or created it meanwhile: re-read, merge, retry).
   */
  put(href: string, data: string, etag: string | null, contentType: 'text/calendar' | 'text/vcard'): Promise<{ etag: string }>;
  /** DELETE with If-Match; a resource that is already gone (404) counts as deleted. */
  remove(href: string, etag: string | null): Promise<void>;
  /** CALDAV:free-busy-query (RFC 4791 §7.10) on a calendar; returns the VFREEBUSY text, or null when the server does not support it. */
  freeBusy(collection: DavCollection, start: Date, end: Date): Promise<string | null>;
}

export interface DavConnector {
  /**
   * Discover and authenticate. Throws BridgeError AUTH (401/403 on discovery), NOT_FOUND,
   * TEMPORARY. When `abort` fires (the pass deadline) every request in flight or after it is
   * aborted and fails TEMPORARY.
   */
  connect(settings: DavServerSettings, abort?: AbortSignal): Promise<DavSession>;
}
