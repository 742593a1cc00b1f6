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
import type { DavChanges } from '../../ports/dav.js';
import { collectionOf, hrefKey } from './href.js';
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

/**
 * The tokens to store after a round, by collection href. `tokens`: the tokens the round's reads
 * returned (only collections whose token may advance); `writes`: what the round wrote. The rule is
 * the file comment's.
 */
export async function tokensAfterOwnWrites(tokens: ReadonlyMap<string, string | null>, writes: OwnWrites, io: OwnWriteRoundsIo): Promise<Map<string, string | null>> {
  const result = new Map(tokens);
  const again = new Map<string, DavChanges>();
  for (const [href, token] of tokens) {
    if (token === null || !writes.wroteTo(href)) continue;
    const read = await io.read(href, token);
    if (read === null) continue;
    const after = withVanishedPuts(read, writes.putsIn(href), writes.allDeletes);
    if (onlyOwnWrites(after, await io.recorded(), writes.allDeletes)) result.set(href, after.syncToken);
    else if (usable(after)) again.set(href, after);
  }
  if (again.size === 0) return result;

  const before = new Map([...result]);
  writes.nextRound();
  const kept = await io.round(again);
  if (kept === null) return before;
  for (const [href, after] of again) if (kept.has(href)) result.set(href, after.syncToken);
  // The second round's own writes: their later token only when they are all that happened meanwhile.
  for (const [href, token] of [...result]) {
    if (token === null || !writes.wroteTo(href)) continue;
    const read = await io.read(href, token);
    if (read === null) continue;
    const after = withVanishedPuts(read, writes.putsIn(href), writes.allDeletes);
    if (onlyOwnWrites(after, await io.recorded(), writes.allDeletes)) result.set(href, after.syncToken);
  }
  return result;
}
