/**
 * Conditional DAV writes (DESIGN.md principle 4; RFC 7232 §3.1-3.2, RFC 4918 §9.7): every PUT
 * carries If-Match (replace what we read) or If-None-Match: * (create only). A 412 means the
 * resource changed, or already exists, since the bridge read it.
 */
import { isBridgeError } from '../../domain/errors.js';

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
 * Crash-safe create (DESIGN.md principle 3, after mbsync's TUID): the caller has recorded its
 * intent (a pending status row naming the href) before calling. The PUT uses If-None-Match: *;
 * a 412 means the resource is there already (an earlier attempt whose answer was lost, or a card
 * that survived a reset): it is re-read and handed back to be adopted and merged, never created
 * twice. A 412 for a resource that cannot be read is rethrown.
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
