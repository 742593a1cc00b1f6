// Translates HTTP statuses, DAV:error precondition elements and fetch() failures into BridgeError
// codes (DESIGN.md principle 6). Decisions use the status code, the precondition element's
// namespace + name (RFC 4918 §16, RFC 4791 §1.3, RFC 6578 §3.2) and Node's error `code`/`name`,
// never message text. Messages name the method and the URL (without userinfo), never the password.

import { BridgeError, isBridgeError, type ErrorCode } from '../../src/domain/errors.js';
import { displayUrl } from './href.js';
import { NS_CALDAV, NS_CARDDAV, NS_DAV, parseXml, type XmlElement } from './xml.js';
import { certificateCodes, unreachableCodes, untrustedCertificate } from '../network-errors.js';
import { maskSecrets } from '../../src/domain/mask-secrets.js';

export interface ErrorContext {
  /** Strings that must never appear in a message (the password, the Basic credentials). */
  secrets?: readonly string[];
  /** The account, named in the message so the operator knows whose credentials failed. */
  username?: string;
  /** The request's overall deadline, named when it passed. */
  timeoutMs?: number;
}

// Node's socket and DNS failures (undici wraps them as `cause` of a TypeError "fetch failed"),
// plus undici's own codes for a connection that broke or timed out.
const NETWORK_CODES: ReadonlySet<string> = new Set([
  ...unreachableCodes,
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
]);

// Preconditions a server reports inside <D:error> (mostly with 403 or 409) and what they mean.
const PRECONDITIONS: ReadonlyArray<{ ns: string; local: string; code: ErrorCode; says: string }> = [
  // RFC 4791 §5.3.2.1 / RFC 6352 §6.3.2.1: the data we sent is not acceptable.
  { ns: NS_CALDAV, local: 'valid-calendar-data', code: 'INVALID_INPUT', says: 'the server rejected the iCalendar data' },
  { ns: NS_CALDAV, local: 'valid-calendar-object-resource', code: 'INVALID_INPUT', says: 'the server rejected the calendar object' },
  { ns: NS_CALDAV, local: 'supported-calendar-data', code: 'INVALID_INPUT', says: 'the server does not accept this media type' },
  { ns: NS_CALDAV, local: 'supported-calendar-component', code: 'INVALID_INPUT', says: 'the calendar does not accept this component type' },
  { ns: NS_CALDAV, local: 'max-resource-size', code: 'PAYLOAD_TOO_LARGE', says: 'the object exceeds the server\'s max-resource-size' },
  { ns: NS_CALDAV, local: 'no-uid-conflict', code: 'CONFLICT', says: 'the UID is used by another resource in the collection, or differs from the UID of the resource being replaced' },
  { ns: NS_CARDDAV, local: 'valid-address-data', code: 'INVALID_INPUT', says: 'the server rejected the vCard data' },
  { ns: NS_CARDDAV, local: 'supported-address-data', code: 'INVALID_INPUT', says: 'the server does not accept this vCard version' },
  { ns: NS_CARDDAV, local: 'max-resource-size', code: 'PAYLOAD_TOO_LARGE', says: 'the vCard exceeds the server\'s max-resource-size' },
  { ns: NS_CARDDAV, local: 'no-uid-conflict', code: 'CONFLICT', says: 'the UID is used by another vCard in the address book, or differs from the UID of the vCard being replaced' },
  // RFC 4918 §16: the target exists already (MKCOL/MKCALENDAR), RFC 6578 §3.2 the token is unknown.
  { ns: NS_DAV, local: 'resource-must-be-null', code: 'CONFLICT', says: 'a resource already exists at this URL' },
  { ns: NS_DAV, local: 'valid-sync-token', code: 'PRECONDITION_FAILED', says: 'the server no longer accepts the sync token' },
  { ns: NS_DAV, local: 'number-of-matches-within-limits', code: 'TEMPORARY', says: 'the server truncated the result' },
  // RFC 3253 §3.6 (used by RFC 4918 REPORT): the collection does not support this report.
  { ns: NS_DAV, local: 'supported-report', code: 'UNSUPPORTED', says: 'the server does not support this REPORT' },
  { ns: NS_DAV, local: 'need-privileges', code: 'AUTH', says: 'the account lacks the privileges for this' },
];

/** The precondition elements inside a <D:error> body (RFC 4918 §16), or [] for anything else. */
export function preconditionsIn(body: string | undefined): XmlElement[] {
  if (body === undefined || !body.includes('error')) return [];
  try {
    const root = parseXml(body);
    return root.ns === NS_DAV && root.local === 'error' ? root.children : [];
  } catch {
    return [];
  }
}

export function hasPrecondition(body: string | undefined, ns: string, local: string): boolean {
  return preconditionsIn(body).some((p) => p.ns === ns && p.local === local);
}

/** `CalDAV PUT http://host/cal/x.ics as alice` — the words every message starts with. */
export function describe(method: string, url: string, username?: string): string {
  return `CalDAV ${method} ${displayUrl(url)}${username !== undefined && username !== '' ? ` as ${username}` : ''}`;
}

/**
 * A BridgeError for an unsuccessful HTTP status. `body` is the response body, read only for a
 * <D:error> precondition element; server text is never quoted (it may echo request headers).
 */
export function statusError(method: string, url: string, status: number, body?: string, extra: ErrorContext = {}): BridgeError {
  const context = describe(method, url, extra.username);
  const make = (code: ErrorCode, says: string): BridgeError =>
    new BridgeError(code, maskSecrets(`${context} failed: ${says} (HTTP ${status})`, extra.secrets));
  const known = preconditionsIn(body)
    .map((p) => PRECONDITIONS.find((k) => k.ns === p.ns && k.local === p.local))
    .find((k) => k !== undefined);
  if (known !== undefined) return make(known.code, known.says);
  if (status === 401) return make('AUTH', 'the server rejected the username or password');
  // Discovery and reads get 403 when the account may not see the resource; the scheduler treats
  // both like rejected credentials (a human must fix the account or its rights).
  if (status === 403) return make('AUTH', 'the server denies this account access');
  if (status === 404 || status === 410) return make('NOT_FOUND', 'the resource does not exist');
  // RFC 7232 §4.2: an If-Match / If-None-Match condition was false — someone else won the race.
  if (status === 412) return make('PRECONDITION_FAILED', 'the resource was changed or created meanwhile');
  if (status === 409) return make('CONFLICT', 'the request conflicts with the state of the resource');
  if (status === 413) return make('PAYLOAD_TOO_LARGE', 'the server refuses an object this large');
  if (status === 405 || status === 501) return make('UNSUPPORTED', 'the server does not support this method here');
  if (status === 400 || status === 415 || status === 422) return make('INVALID_INPUT', 'the server rejected the request body');
  if (status === 408 || status === 423 || status === 429 || status === 507 || status >= 500) {
    return make('TEMPORARY', 'the server is unavailable or overloaded');
  }
  if (status >= 300 && status < 400) return make('CONFIG', 'the server redirected in a way that cannot be followed');
  return make('INTERNAL', 'unexpected response');
}

function causeCode(error: unknown): string | undefined {
  // undici: TypeError("fetch failed") with `cause` = the socket error (sometimes nested once more).
  let current: unknown = error;
  for (let depth = 0; depth < 4 && typeof current === 'object' && current !== null; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && code !== '') return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/** A BridgeError for a request that got no HTTP response at all (network, TLS, timeout, abort). */
export function fetchError(error: unknown, method: string, url: string, extra: ErrorContext = {}): BridgeError {
  if (isBridgeError(error)) return error;
  const context = describe(method, url, extra.username);
  // No HTTP response at all: every TEMPORARY here means the connection is gone (failure.ts).
  const make = (code: ErrorCode, says: string): BridgeError =>
    new BridgeError(code, maskSecrets(`${context} failed: ${says}`, extra.secrets), { cause: error, connectionLost: code === 'TEMPORARY' });
  const name = typeof error === 'object' && error !== null ? (error as { name?: unknown }).name : undefined;
  // AbortSignal.timeout() rejects with a DOMException named TimeoutError.
  if (name === 'TimeoutError') {
    return make('TEMPORARY', extra.timeoutMs !== undefined ? `the server did not answer in time (${extra.timeoutMs / 1000} s, sync.commandTimeoutSeconds)` : 'the server did not answer in time');
  }
  if (name === 'AbortError') return make('TEMPORARY', 'the request was aborted');
  const code = causeCode(error);
  if (code !== undefined && NETWORK_CODES.has(code)) return make('TEMPORARY', `could not reach the server (${code})`);
  if (code !== undefined && certificateCodes.has(code)) return untrustedCertificate(maskSecrets(`${context} failed`, extra.secrets), code, error);
  if (code !== undefined && code.startsWith('ERR_SSL_')) return make('CONFIG', `TLS could not be established (${code})`);
  if (code === 'ERR_INVALID_URL') return make('CONFIG', 'the URL is invalid');
  // undici's TypeError("fetch failed") without a recognisable cause is still a transport failure.
  if (error instanceof TypeError && code === undefined) return make('TEMPORARY', 'the connection failed');
  return make('INTERNAL', `failed unexpectedly${code !== undefined ? ` (${code})` : ''}`);
}
