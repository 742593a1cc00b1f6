/**
 * Recognising the bridge's own writes when the server reports them back (RFC 6578 §3.8: a
 * sync-collection after our PUT lists the resource again). An object is our own write when its
 * href and ETag are the ones the sync status recorded for it; anything else is news. Pure.
 */
import type { DavChanges } from '../../ports/dav.js';
import { hrefKey, sameHref } from './href.js';

/** The remote ref and version a status row recorded. */
export interface RecordedRemote {
  ref: string | null;
  version: string | null;
}

export function isOwnWrite(object: { href: string; etag: string }, recorded: RecordedRemote): boolean {
  return recorded.ref !== null && recorded.version === object.etag && sameHref(recorded.ref, object.href);
}

/**
 * Whether the changes read after a pass's writes are only those writes (the objects we PUT, with
 * the ETags we recorded, and the resources we deleted): then their sync token can be kept, so the
 * next pass without changes does not re-read our own items. Anything else (a client edit made
 * meanwhile, a failure, a refused token) keeps the older token, and the next pass sees it.
 */
export function onlyOwnWrites(after: DavChanges, recorded: Iterable<RecordedRemote>, ownDeletes: ReadonlySet<string>): boolean {
  if (after.fullResync || after.syncToken === null || after.failed.length > 0) return false;
  if (!after.deleted.every((href) => ownDeletes.has(hrefKey(href)))) return false;
  const versions = new Map<string, string | null>();
  for (const entry of recorded) if (entry.ref !== null) versions.set(hrefKey(entry.ref), entry.version);
  return after.changed.every((object) => versions.get(hrefKey(object.href)) === object.etag);
}
