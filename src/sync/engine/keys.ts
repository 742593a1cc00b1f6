/**
 * The names the engines file their bookkeeping under, and the shape of every cursor, in one place.
 *
 * A pair (DESIGN.md principle 1) names the two sides one engine keeps in step: its rows in
 * sync_status, sync_base and sync_cursors carry it. DAV pairs are per user and kind; a calendar
 * pass also keeps per-collection cursors under the same pair. Mail uses the source id as its pair
 * and the folder path as the cursor's collection.
 *
 * Cursors are validated on read (principle 2): a stored cursor that does not fit its schema (an
 * older or damaged row) is dropped, which means a full listing that re-matches every item by UID,
 * Message-ID or href: slower once, never a duplicate or a loss.
 */
import { z } from 'zod';
import type { SyncSource } from '../../ports/source.js';

export type DavPairKind = 'calendar' | 'tasks' | 'contacts';

/** `calendar:<user>`, `tasks:<user>`, `contacts:<user>`. */
export function davPair(kind: DavPairKind, userId: string): string {
  return `${kind}:${userId}`;
}

/** The user a DAV pair of one of `kinds` belongs to, or null for another pair. */
export function userOfPair(pair: string, kinds: readonly DavPairKind[]): string | null {
  const colon = pair.indexOf(':');
  if (colon <= 0 || colon === pair.length - 1) return null;
  return (kinds as readonly string[]).includes(pair.slice(0, colon)) ? pair.slice(colon + 1) : null;
}

/** The pairs a source writes: mail its source id, CalDAV the user's calendar and tasks pairs, CardDAV the contacts pair. */
export function pairsOfSource(source: SyncSource): string[] {
  if (source.kind === 'caldav') return [source.id, davPair('calendar', source.ownerId), davPair('tasks', source.ownerId)];
  if (source.kind === 'carddav') return [source.id, davPair('contacts', source.ownerId)];
  return [source.id];
}

/** A calendar collection's cursor: its RFC 6578 sync token (null: list it whole), and until when the items settled are known to be covered by it (own-write-rounds.ts StoredToken). */
export const davCursorSchema = z.object({ syncToken: z.string().nullable(), confirmedUntil: z.string().optional() });
export type DavCursor = z.infer<typeof davCursorSchema>;

/** An IMAP folder's cursor (RFC 3501 §2.3.1.1 UIDVALIDITY, RFC 7162 mod-sequences as decimal strings). */
export const imapCursorSchema = z.object({
  uidValidity: z.string(),
  highestUid: z.number().int(),
  highestModseq: z.string().nullable(),
});
export type ImapCursor = z.infer<typeof imapCursorSchema>;

/**
 * An address book's cursor: where the book is (so a quiet pass resumes without discovery, RFC
 * 6764), its sync token, the vCard version new cards are written in, the server and account it
 * was found with, and when it was stored.
 */
export const bookCursorSchema = z.object({
  href: z.string(),
  name: z.string(),
  principalUrl: z.string(),
  addressbookHomeUrl: z.string().nullable().default(null),
  syncToken: z.string().nullable().default(null),
  version: z.enum(['3.0', '4.0']).optional(),
  serverUrl: z.string().optional(),
  username: z.string().optional(),
  savedAt: z.string().optional(),
  /** Items settled up to then are covered by the token (own-write-rounds.ts StoredToken); older cursors have only savedAt. */
  confirmedUntil: z.string().optional(),
});

/** `stored` as `schema` describes it, or undefined (no cursor, or one that does not fit: a full listing). */
export function readCursor<S extends z.ZodType>(schema: S, stored: unknown): z.infer<S> | undefined {
  if (stored === undefined || stored === null) return undefined;
  const parsed = schema.safeParse(stored);
  return parsed.success ? parsed.data : undefined;
}
