/**
 * One error model for the whole bridge (DESIGN.md principle 6).
 *
 * Every failure that crosses a module boundary is a BridgeError with a code from a closed set.
 * Adapters translate library errors into these codes by status or code, never by message text;
 * the API maps them to HTTP statuses; the scheduler maps them to retry / auth-failed / resync.
 */
export const errorCodes = [
  'INVALID_INPUT', // the caller sent something malformed (API body, MIME, iCalendar, vCard)
  'CONFIG', // the configuration file is wrong
  'UNAUTHORIZED', // an API caller did not authenticate
  'FORBIDDEN', // an API caller authenticated but may not do this
  'AUTH', // a remote server rejected our credentials
  'NOT_FOUND',
  'CONFLICT', // the request clashes with existing state (duplicate key, stale write)
  'PRECONDITION_FAILED', // a conditional write lost a race (HTTP 412, changed UIDVALIDITY)
  'PAYLOAD_TOO_LARGE',
  'TEMPORARY', // try again later: network, timeouts, 5xx, locked database
  'UNSUPPORTED', // the remote side lacks a capability we need
  'INTERNAL',
] as const;

export type ErrorCode = (typeof errorCodes)[number];

export interface ErrorDetail {
  /** Dotted path to the offending field, e.g. `body.emails[0]` or `users[0].imap.port`. */
  path: string;
  message: string;
}

export class BridgeError extends Error {
  readonly code: ErrorCode;
  readonly details: readonly ErrorDetail[];
  /**
   * The server gave no answer: the connection could not be made, broke, timed out or was closed
   * (a TEMPORARY the adapters set). The session is unusable, so the pass ends for the whole source
   * (src/sync/engine/failure.ts); a TEMPORARY the server answered with (HTTP 5xx, IMAP NO) is about
   * one collection or item.
   */
  readonly connectionLost: boolean;

  constructor(code: ErrorCode, message: string, options: { cause?: unknown; details?: readonly ErrorDetail[]; connectionLost?: boolean } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'BridgeError';
    this.code = code;
    this.details = options.details ?? [];
    this.connectionLost = options.connectionLost ?? false;
  }
}

export function isBridgeError(value: unknown): value is BridgeError {
  return value instanceof BridgeError;
}
