// Translates imapflow (and Node socket/TLS) failures into BridgeError codes (DESIGN.md principle 6).
// Decisions are made on properties only: imapflow's `code`, `authenticationFailed`, `tlsFailed`,
// `mailboxMissing`, `responseStatus` and the RFC 5530 response code in `serverResponseCode`; Node's
// `code` for socket, DNS and TLS errors. Never on message text, which differs between servers and
// languages. The server's own text may be quoted in the message for the operator, never parsed.

import { BridgeError, isBridgeError, type ErrorCode } from '../../src/domain/errors.js';
import { certificateCodes, unreachableCodes, untrustedCertificate } from '../network-errors.js';
import { maskSecrets } from '../../src/domain/mask-secrets.js';

/** The imapflow error properties this module reads; every one is optional (see imapflow's errors.d.ts). */
interface ImapErrorLike {
  code?: unknown;
  authenticationFailed?: unknown;
  tlsFailed?: unknown;
  mailboxMissing?: unknown;
  responseStatus?: unknown;
  responseText?: unknown;
  serverResponseCode?: unknown;
  reason?: unknown;
}

export interface ErrorContext {
  /** The folder the operation was about, to say "IMAP folder "X" does not exist". */
  folder?: string;
  /** Strings that must never appear in the message (the password); replaced by `***`. */
  secrets?: readonly string[];
}


// imapflow's codes for a connection that is gone, never came up, or stopped answering.
const CONNECTION_CODES = new Set([
  'NoConnection',
  'EConnectionClosed',
  'StateLogout',
  'ClosedAfterConnectText',
  'ClosedAfterConnectTLS',
  'ETHROTTLE',
  'PollFailed',
  'LockTimeout',
  'ProxyError',
  'EPROXY',
]);

// imapflow's buffer caps (set from mail.maxMessageBytes, adapters/imap/client.ts): the server sent
// more than the bridge accepts for one literal, line or response, typically a message larger than
// its RFC822.SIZE said. The connection is gone; the caller records the messages it was fetching.
const TOO_LARGE_CODES = new Set(['LineTooLarge', 'LiteralTooLarge', 'ResponseTooLarge']);

const TIMEOUT_CODES = new Set(['CONNECT_TIMEOUT', 'GREETING_TIMEOUT', 'UPGRADE_TIMEOUT', 'ETIMEOUT']);

// The server sent something imapflow refused to parse or buffer. The connection is torn down, a
// fresh one may well work (a truncated line, a proxy hiccup), so the scheduler may retry.
const PROTOCOL_CODES = new Set([
  'UnexpectedTag',
  'MissingTag',
  'InvalidResponse',
  'ResponseProcessingFailed',
  'MAX_IMAP_NESTING_REACHED',
  'TooManyTokens',
  'TooManyResponses',
  'STARTTLS_INJECTION',
  'COMPRESS_TRAILING_DATA',
]);

// RFC 5530 response codes (and a few from other RFCs) and what they mean for the bridge.
const RESPONSE_CODES: Readonly<Record<string, { code: ErrorCode; says: string }>> = {
  AUTHENTICATIONFAILED: { code: 'AUTH', says: 'wrong username or password' },
  AUTHORIZATIONFAILED: { code: 'AUTH', says: 'the user may not log in as that identity' },
  EXPIRED: { code: 'AUTH', says: 'the credentials have expired' },
  // The server wants TLS before it accepts a password: the configured security is wrong.
  PRIVACYREQUIRED: { code: 'CONFIG', says: 'the server requires TLS (set security to starttls or tls)' },
  // Temporary conditions the server itself reports: auth backend down, mailbox locked, too many
  // connections, quota (someone can free space), server-side faults.
  UNAVAILABLE: { code: 'TEMPORARY', says: 'the server is temporarily unavailable' },
  INUSE: { code: 'TEMPORARY', says: 'the mailbox is in use by another session' },
  LIMIT: { code: 'TEMPORARY', says: 'a server limit was reached' },
  OVERQUOTA: { code: 'TEMPORARY', says: 'the mailbox is over quota' },
  SERVERBUG: { code: 'TEMPORARY', says: 'the server reported an internal error' },
  CORRUPTION: { code: 'TEMPORARY', says: 'the server reported corrupted data' },
  EXPUNGEISSUED: { code: 'TEMPORARY', says: 'messages were expunged meanwhile' },
  // RFC 5530 §3 NONEXISTENT, RFC 3501 §6.3.11 TRYCREATE: the folder is not there.
  NONEXISTENT: { code: 'NOT_FOUND', says: 'the folder does not exist' },
  TRYCREATE: { code: 'NOT_FOUND', says: 'the folder does not exist' },
  ALREADYEXISTS: { code: 'CONFLICT', says: 'the folder already exists' },
  NOPERM: { code: 'FORBIDDEN', says: 'the server denies access (ACL)' },
  CANNOT: { code: 'INVALID_INPUT', says: 'the server cannot do this with these arguments' },
  CLIENTBUG: { code: 'INTERNAL', says: 'the server reports a client bug' },
  // RFC 7889 APPENDLIMIT (imapflow reports an exceeded APPENDLIMIT with this code) and RFC 4469 TOOBIG.
  APPENDLIMIT: { code: 'PAYLOAD_TOO_LARGE', says: 'the message exceeds the server\'s APPENDLIMIT' },
  TOOBIG: { code: 'PAYLOAD_TOO_LARGE', says: 'the message is too big for the server' },
  BADCHARSET: { code: 'UNSUPPORTED', says: 'the server does not support the search charset' },
};

function str(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** The server's text, trimmed and bounded; quoted for the operator, never interpreted. */
function serverText(e: ImapErrorLike): string | undefined {
  const text = str(e.responseText) ?? str(e.reason);
  if (text === undefined) return undefined;
  const clean = text.replace(/[\r\n]+/g, ' ').trim();
  return clean.length > 200 ? `${clean.slice(0, 200)}…` : clean;
}

/**
 * Map any failure of an IMAP operation to a BridgeError. `context` says in plain words what was
 * being done, e.g. `IMAP login to 127.0.0.1:1143 as alice@example.com` or
 * `Fetching messages from IMAP folder "INBOX" of alice@example.com at 127.0.0.1:1143`.
 */
export function toBridgeError(error: unknown, context: string, extra: ErrorContext = {}): BridgeError {
  if (isBridgeError(error)) return error;
  const make = (code: ErrorCode, message: string, connectionLost = false): BridgeError => new BridgeError(code, maskSecrets(message, extra.secrets), { cause: error, connectionLost });
  if (typeof error !== 'object' || error === null) {
    return make('INTERNAL', `${context} failed: ${String(error)}`);
  }
  const e = error as ImapErrorLike;
  const code = str(e.code);
  const responseCode = str(e.serverResponseCode)?.toUpperCase();
  const status = str(e.responseStatus)?.toUpperCase();
  const text = serverText(e);
  const said = text !== undefined ? ` (server said: ${text})` : '';
  const folderMissing = (): BridgeError =>
    make('NOT_FOUND', extra.folder !== undefined ? `IMAP folder "${extra.folder}" does not exist (${context})` : `${context} failed: the folder does not exist${said}`);

  // A response code is the server's own, precise classification; it wins over the generic flags.
  // UNAVAILABLE after LOGIN means "auth backend down, try later" although imapflow also sets
  // authenticationFailed for every NO to LOGIN, so this check must come first.
  const known = responseCode !== undefined ? RESPONSE_CODES[responseCode] : undefined;
  if (known !== undefined) {
    if (known.code === 'NOT_FOUND') return folderMissing();
    if (known.code === 'AUTH') return make('AUTH', `${context} rejected: ${known.says}${said}`);
    return make(known.code, `${context} failed: ${known.says}${said}`);
  }
  if (e.authenticationFailed === true) return make('AUTH', `${context} rejected${said}`);
  // imapflow sets this after a SELECT answered NO when a LIST shows the folder is not there.
  if (e.mailboxMissing === true) return folderMissing();

  if (code !== undefined && certificateCodes.has(code)) {
    return untrustedCertificate(maskSecrets(`${context} failed`, extra.secrets), code, error);
  }
  if (code !== undefined && (unreachableCodes.has(code) || CONNECTION_CODES.has(code))) {
    const what = unreachableCodes.has(code) ? 'could not reach the server' : 'the connection to the server was lost';
    return make('TEMPORARY', `${context} failed: ${what} (${code})${said}`, true);
  }
  if (code !== undefined && TIMEOUT_CODES.has(code)) {
    return make('TEMPORARY', `${context} failed: the server did not answer in time (${code})`, true);
  }
  if (code !== undefined && TOO_LARGE_CODES.has(code)) {
    return make('PAYLOAD_TOO_LARGE', `${context} failed: the server sent more than the bridge buffers for one response (${code}; the cap follows mail.maxMessageBytes)`, true);
  }
  if (code !== undefined && (PROTOCOL_CODES.has(code) || code.startsWith('ParserError'))) {
    return make('TEMPORARY', `${context} failed: the server sent a response that could not be read (${code})`, true);
  }
  if (e.tlsFailed === true) {
    // A required STARTTLS the server does not offer, or a failed handshake (wrong port for the
    // security setting, protocol mismatch): configuration, not a transient condition.
    return make('CONFIG', `${context} failed: TLS could not be established${code !== undefined ? ` (${code})` : ''}; check the security setting and port`);
  }
  if (code !== undefined && code.startsWith('ERR_SSL_')) {
    return make('CONFIG', `${context} failed: TLS could not be established (${code}); check the security setting and port`);
  }
  if (code === 'MissingServerExtension') return make('UNSUPPORTED', `${context} failed: the server lacks a required extension`);
  if (status === 'BYE') return make('TEMPORARY', `${context} failed: the server closed the connection${said}`, true);
  // A tagged NO is an operational failure (RFC 3501 §7.1.2) that may well succeed later; a BAD
  // means the server did not understand the command, which retrying will not change.
  if (status === 'NO') return make('TEMPORARY', `${context} failed: the server refused${responseCode !== undefined ? ` [${responseCode}]` : ''}${said}`);
  if (status === 'BAD') return make('INTERNAL', `${context} failed: the server rejected the command as invalid${said}`);
  // Everything else is a programming error on this side (invalid sequence set, no mailbox
  // selected, a TypeError) or something unforeseen: not worth retrying blindly.
  const detail = code !== undefined ? ` (${code})` : error instanceof Error && error.message !== '' ? `: ${error.message}` : '';
  return make('INTERNAL', `${context} failed unexpectedly${detail}`);
}
