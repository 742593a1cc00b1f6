/**
 * The token-after-own-writes rule, one algorithm for every DAV pair (calendars, task lists,
 * address books).
 *
 * A round reads a collection since its token and then writes to it. The token that read returned
 * was taken before those writes, so keeping it is safe but makes the next quiet pass re-read our
 * own items; and RFC 6578 §3.5.2 lets a server leave out of a later sync-collection a member that
 * was created and deleted after the token (Xandikos does): a resource we PUT that the client
 * deletes before the next pass would then never be reported gone. So every collection a round
 * wrote to is read once more from the round's token:
 *
 *  - the resources we PUT that this read reports neither as changed nor as deleted were deleted
 *    meanwhile (they count as deleted);
 *  - when the read holds only our own writes (href and ETag as recorded, deletions we made,
 *    own-writes.ts), its later token is kept: the next quiet pass is one REPORT;
 *  - anything else (a client edit made during the pass) is synced in one more round from that
 *    read, and the same check runs once more on what that round wrote; when it finds news again,
 *    the earlier token stays and the next pass sees it.
 */
import type { DavChanges, DavObject } from '../../ports/dav.js';
import { collectionOf, hrefKey, within } from './href.js';
import { onlyOwnWrites, type RecordedRemote } from './own-writes.js';

/** What one round PUT and DELETEd, by collection (keys: href.ts hrefKey). */
export class OwnWrites {
  private readonly puts = new Map<string, Map<string, string>>();
  private readonly deletes = new Map<string, Set<string>>();
  /** Every deletion this pass made (a later read reports them, whichever round made them). */
  readonly allDeletes = new Set<string>();

  put(href: string): void {
    const collection = hrefKey(collectionOf(href));
    let hrefs = this.puts.get(collection);
    if (hrefs === undefined) this.puts.set(collection, (hrefs = new Map()));
    hrefs.set(hrefKey(href), href);
  }

  deleted(href: string): void {
    const collection = hrefKey(collectionOf(href));
    let keys = this.deletes.get(collection);
    if (keys === undefined) this.deletes.set(collection, (keys = new Set()));
    keys.add(hrefKey(href));
    this.allDeletes.add(hrefKey(href));
  }

  /** Whether the round wrote to the collection at `href`. */
  wroteTo(collectionHref: string): boolean {
    const key = hrefKey(collectionHref);
    return this.puts.has(key) || this.deletes.has(key);
  }

  /** The resources PUT into the collection at `href` (their hrefs as written). */
  putsIn(collectionHref: string): string[] {
    return [...(this.puts.get(hrefKey(collectionHref))?.values() ?? [])];
  }

  /** Start the next round: what it writes is checked on its own. */
  nextRound(): void {
    this.puts.clear();
    this.deletes.clear();
  }
}

/**
 * `after` with the resources we PUT (`puts`) that it reports neither as changed, nor as deleted,
 * nor as unreadable added as deleted (see the file comment). Pure.
 */
export function withVanishedPuts(after: DavChanges, puts: readonly string[], ownDeletes: ReadonlySet<string>): DavChanges {
  const reported = new Set([...after.changed.map((object) => object.href), ...after.deleted, ...after.failed.map((failure) => failure.href)].map(hrefKey));
  const vanished = puts.filter((href) => !reported.has(hrefKey(href)) && !ownDeletes.has(hrefKey(href)));
  return vanished.length === 0 ? after : { ...after, deleted: [...after.deleted, ...vanished] };
}

/** Whether a later read can be synced from and its token kept (the server took the token and every member was readable). */
function usable(changes: DavChanges): boolean {
  return !changes.fullResync && changes.syncToken !== null && changes.failed.length === 0;
}

export interface OwnWriteRoundsIo {
  /** The changes of one collection since `token`; null: it could not be read (recorded by the caller), its token stays. */
  read(collectionHref: string, token: string): Promise<DavChanges | null>;
  /** The remote ref and version of every synced item as recorded now. */
  recorded(): Iterable<RecordedRemote> | Promise<Iterable<RecordedRemote>>;
  /**
   * One more round over `changes` (by collection href, incremental). Returns the collections whose
   * tokens may be kept (a held mass deletion keeps a collection's older token), or null when the
   * round did not finish (aborted): every token then stays where it was.
   */
  round(changes: ReadonlyMap<string, DavChanges>): Promise<ReadonlySet<string> | null>;
}

/** A sync token as a round read it, and when (just before the request: the token is at least that new). */
export interface TokenRead {
  syncToken: string | null;
  readAt: string;
}

/**
 * A token to store. `confirmedUntil`: every item the bridge settled up to this instant existed
 * when the server issued the token, or was confirmed by a read after it; the next pass looks up
 * the items settled later that the server does not report (withUnconfirmedGone).
 */
export interface StoredToken {
  syncToken: string | null;
  confirmedUntil: string;
}

async function readAgain(io: OwnWriteRoundsIo, href: string, token: string): Promise<{ changes: DavChanges; readAt: string } | null> {
  const readAt = new Date().toISOString();
  const changes = await io.read(href, token);
  return changes === null ? null : { changes, readAt };
}

/**
 * The tokens to store after a round, by collection href. `tokens`: the tokens the round's reads
 * returned (only collections whose token may advance); `writes`: what the round wrote. The rule is
 * the file comment's. Items a round settles from what it read existed when the token was issued;
 * only resources the bridge created after it are unconfirmed until a later read reports them.
 */
export async function tokensAfterOwnWrites(tokens: ReadonlyMap<string, TokenRead>, writes: OwnWrites, io: OwnWriteRoundsIo): Promise<Map<string, StoredToken>> {
  // unconfirmedSince null: nothing unconfirmed (confirmed until the tokens are stored).
  type Entry = TokenRead & { unconfirmedSince: string | null };
  const result = new Map<string, Entry>();
  for (const [href, read] of tokens) result.set(href, { ...read, unconfirmedSince: read.syncToken !== null && writes.wroteTo(href) ? read.readAt : null });
  const stored = async () => {
    const now = await instantAfterSettled();
    return new Map([...result].map(([href, entry]) => [href, { syncToken: entry.syncToken, confirmedUntil: entry.unconfirmedSince ?? now }]));
  };
  // Read again what the round wrote to: only our writes -> the later token, confirmed.
  const confirm = async (href: string, entry: Entry): Promise<{ changes: DavChanges; readAt: string } | null> => {
    if (entry.syncToken === null || !writes.wroteTo(href)) return null;
    const read = await readAgain(io, href, entry.syncToken);
    if (read === null) return null;
    const changes = withVanishedPuts(read.changes, writes.putsIn(href), writes.allDeletes);
    if (onlyOwnWrites(changes, await io.recorded(), writes.allDeletes)) {
      result.set(href, { syncToken: changes.syncToken, readAt: read.readAt, unconfirmedSince: null });
      return null;
    }
    return usable(changes) ? { changes, readAt: read.readAt } : null;
  };
  const again = new Map<string, { changes: DavChanges; readAt: string }>();
  for (const [href, entry] of [...result]) {
    const news = await confirm(href, entry);
    if (news !== null) again.set(href, news);
  }
  if (again.size === 0) return stored();

  const before = await stored();
  writes.nextRound();
  const kept = await io.round(new Map([...again].map(([href, read]) => [href, read.changes])));
  if (kept === null) return before;
  for (const [href, read] of again) if (kept.has(href)) result.set(href, { syncToken: read.changes.syncToken, readAt: read.readAt, unconfirmedSince: null });
  // What the second round wrote: confirmed by one more read, else unconfirmed since its token was read.
  for (const [href, entry] of [...result]) {
    if (!writes.wroteTo(href)) continue;
    result.set(href, { ...entry, unconfirmedSince: entry.unconfirmedSince ?? entry.readAt });
    await confirm(href, entry);
  }
  return stored();
}

/**
 * An instant later than every status row settled so far: timestamps have millisecond resolution,
 * so `now` could equal the time a row of this pass was written, and the next pass, looking up rows
 * settled at or after confirmedUntil (withUnconfirmedGone), would look that row up again for
 * nothing. Waiting for the clock to move on costs a millisecond or two per pass.
 */
async function instantAfterSettled(): Promise<string> {
  const settled = Date.now();
  while (Date.now() <= settled) await new Promise((resolve) => setTimeout(resolve, 1));
  return new Date().toISOString();
}

/** What withUnconfirmedGone needs of a sync status row. */
export interface UnconfirmedCandidate {
  tombstone: boolean;
  pending: string | null;
  remote: { ref: string | null };
  updatedAt: string;
}

/**
 * The stored token may be older than items the bridge settled: a pass that did not finish keeps
 * the older token (its items, read or created, may all be newer), and a pass whose own writes no
 * later read confirmed keeps a token from before them. A server may leave out of the next
 * sync-collection a resource created and deleted after that token (RFC 6578 §3.5.2; Xandikos
 * does), whoever created it. So the items of the collection at `collectionHref` settled at or after
 * `confirmedUntil` (StoredToken) and not reported in `changes` are looked up (one multiget, only
 * then), and the ones gone count as deleted.
 */
export async function withUnconfirmedGone(changes: DavChanges, collectionHref: string, confirmedUntil: string, statuses: Iterable<UnconfirmedCandidate>, fetch: (hrefs: string[]) => Promise<DavObject[]>): Promise<DavChanges> {
  const reported = new Set([...changes.changed.map((object) => object.href), ...changes.deleted, ...changes.failed.map((failure) => failure.href)].map(hrefKey));
  const unconfirmed = [...statuses]
    // At or after: a row settled in the same millisecond as confirmedUntil (a fast next pass, an own
    // write right after the read) is not known to be covered; looking it up once costs a multiget,
    // missing its deletion would keep a contact or event linked to a resource that is gone.
    .filter((entry) => !entry.tombstone && entry.pending === null && entry.remote.ref !== null && entry.updatedAt >= confirmedUntil && within(entry.remote.ref, collectionHref) && !reported.has(hrefKey(entry.remote.ref)))
    .map((entry) => entry.remote.ref as string);
  if (unconfirmed.length === 0) return changes;
  const present = new Set((await fetch(unconfirmed)).map((object) => hrefKey(object.href)));
  const gone = unconfirmed.filter((href) => !present.has(hrefKey(href)));
  return gone.length === 0 ? changes : { ...changes, deleted: [...changes.deleted, ...gone] };
}
