// The sync token the adapter makes up for a collection whose server has no sync-collection
// (RFC 6578): sabre/dav 1.8 (older Baikal and ownCloud), Zimbra, many hosted servers. It holds what
// a real token stands for, the state of the collection when it was issued: the collection's
// CalendarServer getctag (calendarserver-ctag.txt: it changes whenever a member does) and each
// member's href with a digest of its ETag (RFC 4918 §8.6). The next pass reads only the collection
// itself (one PROPFIND Depth 0, for its ctag) and, when that changed, lists the ETags (Depth 1) and
// diffs that listing against the token: members whose ETag changed or that are new are fetched, members the token
// has and the listing lacks are deleted. So the engine sees the same delta a sync-collection would
// give, and the token is stored only with the rest of a finished pass, like a real one.
//
// The prefix tells it from a server's token (never sent to the server); a token the adapter
// cannot read (corrupt, or of a future format) is treated as no token: a full listing.

import { createHash } from 'node:crypto';
import { deflateRawSync, inflateRawSync } from 'node:zlib';

const PREFIX = 'crm-bridge-listing:1:';

/** Bytes of the SHA-256 of an ETag kept per member: 96 bits, no collision in any collection. */
const DIGEST_BYTES = 12;

/** The largest inflated token read back (a corrupt or hostile value never allocates more). */
const MAX_INFLATED_BYTES = 64 * 1024 * 1024;

export interface ListingEntry {
  href: string;
  etag: string;
}

export interface ListingSnapshot {
  /** The collection's getctag when the listing was made; null when the server has none. */
  ctag: string | null;
  /** Member href -> ETag digest (etagDigest). */
  members: Map<string, string>;
}

export function isListingToken(token: string | null): token is string {
  return token !== null && token.startsWith(PREFIX);
}

export function etagDigest(etag: string): string {
  return createHash('sha256').update(etag, 'utf8').digest().subarray(0, DIGEST_BYTES).toString('base64url');
}

/**
 * The token for `listing` of the collection at `collectionHref`. Hrefs below the collection are
 * kept relative to it (deflate then takes care of what they share).
 */
export function encodeListingToken(collectionHref: string, ctag: string | null, listing: readonly ListingEntry[]): string {
  const members = listing.map((entry) => [entry.href.startsWith(collectionHref) ? entry.href.slice(collectionHref.length) : entry.href, etagDigest(entry.etag)]);
  const json = JSON.stringify({ c: ctag, m: members });
  return PREFIX + deflateRawSync(Buffer.from(json, 'utf8')).toString('base64url');
}

/** The snapshot in `token`, or null when it is not one the adapter can read. */
export function decodeListingToken(collectionHref: string, token: string): ListingSnapshot | null {
  if (!isListingToken(token)) return null;
  let parsed: unknown;
  try {
    const json = inflateRawSync(Buffer.from(token.slice(PREFIX.length), 'base64url'), { maxOutputLength: MAX_INFLATED_BYTES }).toString('utf8');
    parsed = JSON.parse(json);
  } catch {
    return null;
  }
  if (typeof parsed !== 'object' || parsed === null) return null;
  const { c, m } = parsed as { c?: unknown; m?: unknown };
  if ((c !== null && typeof c !== 'string') || !Array.isArray(m)) return null;
  const members = new Map<string, string>();
  for (const item of m as unknown[]) {
    if (!Array.isArray(item) || typeof item[0] !== 'string' || typeof item[1] !== 'string') return null;
    const href = /^https?:\/\//i.test(item[0]) ? item[0] : collectionHref + item[0];
    members.set(href, item[1]);
  }
  return { ctag: c, members };
}

export interface ListingDiff {
  /** Listed members that are new or whose ETag changed since the snapshot. */
  changed: string[];
  /** Members of the snapshot the listing lacks. */
  deleted: string[];
}

export function diffListing(snapshot: ListingSnapshot, listing: readonly ListingEntry[]): ListingDiff {
  const changed: string[] = [];
  const listed = new Set<string>();
  for (const entry of listing) {
    listed.add(entry.href);
    if (snapshot.members.get(entry.href) !== etagDigest(entry.etag)) changed.push(entry.href);
  }
  const deleted = [...snapshot.members.keys()].filter((href) => !listed.has(href));
  return { changed, deleted };
}
