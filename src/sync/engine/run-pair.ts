/**
 * One pass of one DAV pair, the part every pair shares (calendars with their task lists, address
 * books): read each collection since its cursor, let the codec sync what was read in a round,
 * then apply the token-after-own-writes rule (own-write-rounds.ts) and store the cursors. What a
 * round does with the changes (observe, plan, write each item) is the codec's; which collections
 * there are and where their cursors live, too.
 *
 * Nothing is stored before the rule ran: a pass that ends early (aborted, a lost connection)
 * keeps the older cursors, and the next pass looks up by multiget what this one settled that the
 * server no longer reports (withUnconfirmedGone, RFC 6578 §3.5.2).
 */
import type { DavChanges, DavCollection, DavObject } from '../../ports/dav.js';
import type { SyncStatusEntry } from '../../store/sync-status.js';
import type { OwnWrites} from './own-write-rounds.js';
import { tokensAfterOwnWrites, withUnconfirmedGone, type StoredToken } from './own-write-rounds.js';

/** A collection's stored cursor as the pass needs it (the codec validates its own shape: keys.ts). */
export interface PairCursor {
  syncToken: string | null;
  /** Until when what the bridge settled is covered by the token (StoredToken). */
  confirmedUntil?: string | undefined;
}

export interface CollectionRead {
  collection: DavCollection;
  changes: DavChanges;
  /** A full listing (no token, or the server refused it): what is not listed is gone. */
  complete: boolean;
}

/** A first read of a pass, and when it was made (just before the request). */
export interface TimedRead extends CollectionRead {
  readAt: string;
}

/** What the engine needs of the server and the store to read a pair's collections. */
export interface PairReader {
  changes(collection: DavCollection, token: string | null): Promise<DavChanges>;
  fetch(collection: DavCollection, hrefs: string[]): Promise<DavObject[]>;
  /** The pair's sync status rows now (every pair the collections serve). */
  statuses(): Promise<readonly SyncStatusEntry[]>;
  /**
   * A collection could not be read: record it and return (its items count as unchanged, never as
   * deleted), or rethrow to end the pass (failure.ts decides which).
   */
  unreadable(error: unknown, collection: DavCollection): Promise<void>;
}

export interface PairCodec extends PairReader {
  /**
   * Sync what was read (observe, plan and write each item). Returns the collections whose cursors
   * may advance (not one whose deletions the mass-deletion rail held), or null when the round did
   * not finish (aborted): then nothing is stored.
   */
  round(reads: readonly CollectionRead[]): Promise<ReadonlySet<string> | null>;
  saveCursor(collection: DavCollection, token: StoredToken): Promise<void>;
}

/**
 * A collection's changes since `cursor`; after a pass that did not finish, with the items it
 * settled that the server forgot counted as deleted. Null when it cannot be read and the reader
 * recorded that.
 */
export async function readSince(reader: PairReader, collection: DavCollection, cursor: PairCursor): Promise<TimedRead | null> {
  const readAt = new Date().toISOString();
  let changes: DavChanges;
  try {
    changes = await reader.changes(collection, cursor.syncToken);
    if (cursor.syncToken !== null && !changes.fullResync && cursor.confirmedUntil !== undefined) {
      changes = await withUnconfirmedGone(changes, collection.href, cursor.confirmedUntil, await reader.statuses(), (hrefs) => reader.fetch(collection, hrefs));
    }
  } catch (error) {
    await reader.unreadable(error, collection);
    return null;
  }
  return { collection, changes, complete: cursor.syncToken === null || changes.fullResync, readAt };
}

/** The pass after its first reads: one round, the token-after-own-writes rule, the cursors stored. */
export async function runPair(codec: PairCodec, reads: readonly TimedRead[], writes: OwnWrites, signal: AbortSignal): Promise<void> {
  const advancing = await codec.round(reads);
  if (advancing === null || signal.aborted) return;
  const byHref = new Map(reads.map((read) => [read.collection.href, read.collection]));
  const tokens = new Map(reads.filter((read) => advancing.has(read.collection.href)).map((read) => [read.collection.href, { syncToken: read.changes.syncToken, readAt: read.readAt }] as const));
  const after = await tokensAfterOwnWrites(tokens, writes, {
    read: async (href, token) => (await readSince(codec, byHref.get(href)!, { syncToken: token }))?.changes ?? null,
    recorded: async () => (await codec.statuses()).map((entry) => entry.remote),
    round: (again) => codec.round([...again].map(([href, changes]) => ({ collection: byHref.get(href)!, changes, complete: false }))),
  });
  if (signal.aborted) return;
  for (const [href, token] of after) await codec.saveCursor(byHref.get(href)!, token);
}
