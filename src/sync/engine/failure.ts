import type { Logger } from 'pino';
import { isBridgeError, type ErrorCode } from '../../domain/errors.js';
import type { SyncErrorRepository } from '../../store/sync-errors.js';
import { errorLogFields } from '../../domain/log-fields.js';

/**
 * How far a failure reaches, decided in one place for every engine (mbsync's message / box /
 * store, Twenty's code x step -> action):
 * - `item`: one message, event, task or card; it is recorded (sync_errors) and the pass goes on.
 * - `collection`: one folder, calendar, task list or address book; recorded, its items count as
 *   unchanged (never as deleted), the other collections and the CRM side still sync.
 * - `source`: the pass ends; the runner records it once and the scheduler backs off. Repeating the
 *   same failure for every remaining item would only bury it (one error row per item) and make an
 *   unreachable source look reached.
 */
export type FailureScope = 'item' | 'collection' | 'source';

/** What the engine was doing: working on one item, or reading or preparing one collection. */
export type FailurePhase = 'item' | 'collection';

/**
 * The scope of `error` thrown in `phase`.
 * - AUTH and CONFIG: a human must act; nothing else of the source can succeed.
 * - No answer (`connectionLost`: refused, reset, timed out, closed, or torn down after a response
 *   over the client's cap), whatever the code: the session is gone.
 * - TEMPORARY the server answered with (HTTP 5xx or 507, IMAP NO [UNAVAILABLE]): on an item the
 *   server is struggling, so the pass stops and is retried later, as a whole; on a collection it is
 *   that collection (Radicale answers 500 for a calendar holding one unreadable file) and the rest
 *   still syncs.
 * - Everything else (the item or collection is malformed, gone, too large, refused; a programming
 *   error, INTERNAL) stays where it happened.
 */
export function failureScope(error: unknown, phase: FailurePhase): FailureScope {
  if (typeof error === 'object' && error !== null && endingPass.has(error)) return 'source';
  const scope = scopeOf(error, phase);
  // Once judged to end the pass (on an item), the same error keeps that scope in the guard of its
  // collection: a database failure inside an import must not turn into "skip this folder".
  if (scope === 'source' && typeof error === 'object' && error !== null) endingPass.add(error);
  return scope;
}

const endingPass = new WeakSet<object>();

function scopeOf(error: unknown, phase: FailurePhase): FailureScope {
  if (!isBridgeError(error)) return phase;
  if (error.connectionLost || error.code === 'AUTH' || error.code === 'CONFIG') return 'source';
  if (error.code === 'TEMPORARY') return phase === 'item' ? 'source' : 'collection';
  return phase;
}

/** The code and message a failure is recorded with; anything that is not a BridgeError is INTERNAL. */
export function describeFailure(error: unknown): { code: ErrorCode; message: string } {
  return { code: isBridgeError(error) ? error.code : 'INTERNAL', message: error instanceof Error ? error.message : String(error) };
}

/**
 * One pass's failures, for every engine: records item and collection failures (sync_errors and
 * the log) and counts them for the pass result; a failure of source scope is thrown on, for the
 * runner to record once.
 */
export class PassFailures {
  /** Item and collection failures recorded this pass (the pass result's `itemErrors`). */
  count = 0;

  constructor(
    private readonly errors: Pick<SyncErrorRepository, 'record'>,
    private readonly sourceId: string,
    private readonly log: Logger,
  ) {}

  /**
   * Record `error`, thrown in `phase` about `ref` (an href, a message ref, a folder; null for the
   * pass itself), unless its scope is the source: then it is rethrown unchanged.
   */
  async handle(error: unknown, phase: FailurePhase, ref: string | null): Promise<void> {
    if (failureScope(error, phase) === 'source') throw error;
    const { code, message } = describeFailure(error);
    await this.record(ref, code, message, error);
  }

  /** Run `work`; a failure of item or collection scope is recorded and `undefined` returned. */
  async guard<T>(phase: FailurePhase, ref: string | null, work: () => Promise<T>): Promise<T | undefined> {
    try {
      return await work();
    } catch (error) {
      await this.handle(error, phase, ref);
      return undefined;
    }
  }

  /** Record a failure the engine found itself (a held mass deletion, an unreadable item); it counts. */
  async record(ref: string | null, code: ErrorCode, message: string, cause?: unknown): Promise<void> {
    this.count += 1;
    this.log.warn({ source: this.sourceId, item: ref, code, ...(cause === undefined ? {} : errorLogFields(cause)) }, message);
    await this.errors.record(this.sourceId, ref, code, message);
  }

  /**
   * Record what an operator should see about an item that did sync (imported with warnings, an
   * oversized message kept as a stand-in): in sync_errors, but not counted as a failure.
   */
  async note(ref: string | null, code: ErrorCode, message: string): Promise<void> {
    await this.errors.record(this.sourceId, ref, code, message);
  }
}
