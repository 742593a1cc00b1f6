/**
 * The stored cursor of a user's address book (sync_cursors, pair `contacts:<user>`): where the
 * book is (so a no-change pass resumes without discovery, RFC 6764), its sync token (RFC 6578),
 * and the vCard version new cards are written in.
 */
import type { VCardVersion } from '../../contacts/vcard.js';
import type { DavServerSettings } from '../../ports/dav.js';
import { bookCursorSchema, readCursor } from '../engine/keys.js';

/** The sync_cursors collection key of the address book cursor. */
export const CURSOR_COLLECTION = 'addressbook';

export interface BookCursor {
  href: string;
  name: string;
  principalUrl: string;
  addressbookHomeUrl: string | null;
  syncToken: string | null;
  /** The vCard version most cards had when last seen: new cards are written in it. */
  version?: VCardVersion;
  /** The configured url and username it was found with (absent in cursors of older versions). */
  serverUrl?: string;
  username?: string;
  /** When the cursor was stored (ISO). */
  savedAt?: string;
  /** Cards settled up to then are covered by the token (own-write-rounds.ts StoredToken); cards settled later are looked up when not reported. */
  confirmedUntil?: string;
}

/** A cursor found through another configured server or account names an address book of that one. */
export function sameServer(cursor: BookCursor, server: DavServerSettings): boolean {
  return (cursor.serverUrl === undefined || cursor.serverUrl === server.url) && (cursor.username === undefined || cursor.username === server.username);
}

/** The stored cursor, or undefined when there is none or it does not fit (discover again). */
export function readBookCursor(stored: unknown): BookCursor | undefined {
  // The schema's optional fields are left out when absent, as BookCursor has them.
  return readCursor(bookCursorSchema, stored) as BookCursor | undefined;
}
