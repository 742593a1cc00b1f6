/**
 * Conditional DAV writes (DESIGN.md principle 4; RFC 7232 §3.1-3.2, RFC 4918 §9.7): every PUT
 * carries If-Match (replace what we read) or If-None-Match: * (create only). A 412 means the
 * resource changed, or already exists, since the bridge read it.
 *
 * The two ways the engine writes one item live here, for calendars, task lists and address books
 * alike: createItem (intent first, then PUT If-None-Match, adopting on 412) and mergeItem (merge,
 * PUT If-Match, and on 412 re-read and merge again). The codecs supply what to write and how to
 * settle; the order of the steps, the retry limit and the record of our own writes are the engine's.
 */
import { BridgeError, isBridgeError } from '../../domain/errors.js';
import type { OwnWrites } from './own-write-rounds.js';

/**
 * How many times one item is written in a pass when the server keeps answering 412: each time
 * the engine re-reads the resource and merges again; after this many the item is recorded and
 * the next pass tries again (a client that writes continuously cannot hold a pass).
 */
export const MAX_WRITE_ATTEMPTS = 3;

export function isPreconditionFailed(error: unknown): boolean {
  return isBridgeError(error) && error.code === 'PRECONDITION_FAILED';
}

/** After the `attempt`-th write (1-based) failed with `error`: re-read and write again? */
export function retryAfterConflict(error: unknown, attempt: number): boolean {
  return isPreconditionFailed(error) && attempt < MAX_WRITE_ATTEMPTS;
}

export type CreateOutcome<T> = { kind: 'created'; etag: string } | { kind: 'exists'; current: T };

/**
 * The PUT If-None-Match: * of a create: a 412 means the resource is there already (an earlier
 * attempt whose answer was lost, or an item that survived a reset): it is re-read and handed back
 * to be adopted, never created twice. A 412 for a resource that cannot be read is rethrown.
 */
export async function createOrAdopt<T>(put: () => Promise<{ etag: string }>, reread: () => Promise<T | null>): Promise<CreateOutcome<T>> {
  try {
    return { kind: 'created', etag: (await put()).etag };
  } catch (error) {
    if (!isPreconditionFailed(error)) throw error;
    const current = await reread();
    if (current === null) throw error;
    return { kind: 'exists', current };
  }
}

/** One PUT of one item: where, the request, and what to record once the server took it. */
export interface ItemWrite {
  href: string;
  /** The conditional PUT (If-Match for a replace, If-None-Match: * for a create). */
  put(): Promise<{ etag: string }>;
  /** Record both sides (status row without intent, merge base) with the ETag the server returned. */
  settle(etag: string): Promise<void>;
}

export interface ItemCreate<T> extends ItemWrite {
  /** Store the intent (a pending-create status row naming the href) before the PUT. */
  recordIntent(): Promise<void>;
  /** Read the resource a 412 says exists; null when it cannot be read. */
  reread(): Promise<T | null>;
  /** The resource was there already: adopt it and merge. */
  adopt(current: T): Promise<void>;
}

/**
 * Crash-safe create (DESIGN.md principle 3, after mbsync's TUID): the intent is stored before the
 * PUT, so a crash after it leaves a row the next pass completes; the PUT is If-None-Match: *, so a
 * repeated create gets 412 and adopts what the first one made.
 */
export async function createItem<T>(create: ItemCreate<T>, writes: OwnWrites): Promise<'created' | 'adopted'> {
  await create.recordIntent();
  const outcome = await createOrAdopt(() => create.put(), () => create.reread());
  if (outcome.kind === 'exists') {
    await create.adopt(outcome.current);
    return 'adopted';
  }
  writes.put(create.href);
  await create.settle(outcome.etag);
  return 'created';
}

export interface ItemMerge<R> {
  /**
   * One merge of the CRM side with `remote` (the server's copy as last read): writes the CRM as
   * needed and returns the PUT the server's copy needs, or null when the round settled without one.
   */
  round(remote: R, attempt: number): Promise<ItemWrite | null>;
  /** The resource again after a 412; null when it is gone. */
  reread(href: string): Promise<R | null>;
}

/**
 * Merge and write one item (RFC 7232 §4.2): on 412 someone changed the resource since it was
 * read, so it is re-read and merged again, what the previous round wrote to the CRM now being the
 * CRM side; at most MAX_WRITE_ATTEMPTS writes, then the 412 goes to the caller (recorded, retried
 * on the next pass).
 */
export async function mergeItem<R>(remote: R, merge: ItemMerge<R>, writes: OwnWrites): Promise<'written' | 'settled'> {
  let current = remote;
  for (let attempt = 1; ; attempt += 1) {
    const write = await merge.round(current, attempt);
    if (write === null) return 'settled';
    let etag: string;
    try {
      etag = (await write.put()).etag;
    } catch (error) {
      if (!retryAfterConflict(error, attempt)) throw error;
      const fresh = await merge.reread(write.href);
      if (fresh === null) throw new BridgeError('PRECONDITION_FAILED', `${write.href} vanished while being written`, { cause: error });
      current = fresh;
      continue;
    }
    writes.put(write.href);
    await write.settle(etag);
    return 'written';
  }
}
