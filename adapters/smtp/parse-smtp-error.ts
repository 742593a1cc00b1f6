// Translates nodemailer (and Node socket/TLS) failures into BridgeError codes (DESIGN.md
// principle 6). Decisions are made on properties only: nodemailer's `code`, the `originalCode` it
// keeps from Node's socket error, the numeric SMTP reply code in `responseCode` (RFC 5321 §4.2)
// and the command that was in flight. Never on message text, which differs between servers and
// languages. The server's reply may be quoted in the message for the operator, never parsed
// beyond its reply code and its RFC 3463 enhanced status code (both are fixed-format prefixes).

import { BridgeError, isBridgeError, type ErrorCode } from '../../src/domain/errors.js';
import { certificateCodes, unreachableCodes, untrustedCertificate } from '../network-errors.js';
import { maskSecrets } from '../../src/domain/mask-secrets.js';

/** The nodemailer error properties this module reads; every one is optional (see nodemailer's errors.d.ts). */
interface SmtpErrorLike {
  code?: unknown;
  originalCode?: unknown;
  responseCode?: unknown;
  response?: unknown;
  command?: unknown;
  timeoutType?: unknown;
  rejected?: unknown;
  rejectedErrors?: unknown;
  recipient?: unknown;
}

/** Where and as whom; a MailServerSettings fits. The password is only used to keep it out of messages. */
export interface SmtpErrorContext {
  host: string;
  port: number;
  username?: string;
  password?: string;
  /** An OAuth2 access token, kept out of messages like the password. */
  accessToken?: string | undefined;
}


function str(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function replyCode(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isInteger(value) && value >= 200 && value <= 599 ? value : undefined;
}

/** `127.0.0.1:2525`, `[::1]:25`. */
export function serverAddress(context: Pick<SmtpErrorContext, 'host' | 'port'>): string {
  return context.host.includes(':') ? `[${context.host}]:${context.port}` : `${context.host}:${context.port}`;
}

/** The server's reply, on one line and bounded; quoted for the operator, never interpreted. */
function replyText(value: unknown): string | undefined {
  const text = str(value);
  if (text === undefined) return undefined;
  const clean = text.replace(/[\r\n]+/g, ' ').replace(/\s{2,}/g, ' ').trim();
  if (clean === '') return undefined;
  return clean.length > 300 ? `${clean.slice(0, 300)}…` : clean;
}

/**
 * RFC 3463 enhanced status code (`class.subject.detail`) right after the reply code, as RFC 2034
 * places it: `550 5.1.1 <x@y>: user unknown` gives `5.1.1`. Only the fixed-format prefix is read.
 */
export function enhancedStatus(response: unknown): string | undefined {
  const text = str(response);
  if (text === undefined) return undefined;
  return /^\d{3}[ -]([245]\.\d{1,3}\.\d{1,3})(?:\s|$)/.exec(text)?.[1];
}

/** The refused recipients of an "all recipients were rejected" error, with each server reply. */
function refusedRecipients(e: SmtpErrorLike): Array<{ address: string; reply: string | undefined; code: number | undefined }> {
  const out: Array<{ address: string; reply: string | undefined; code: number | undefined }> = [];
  if (Array.isArray(e.rejectedErrors)) {
    for (const item of e.rejectedErrors as unknown[]) {
      if (typeof item !== 'object' || item === null) continue;
      const r = item as SmtpErrorLike;
      const address = str(r.recipient);
      if (address !== undefined) out.push({ address, reply: replyText(r.response), code: replyCode(r.responseCode) });
    }
  }
  if (out.length === 0 && Array.isArray(e.rejected)) {
    for (const address of e.rejected as unknown[]) {
      if (typeof address === 'string' && address !== '') out.push({ address, reply: undefined, code: undefined });
    }
  }
  return out;
}

/** RFC 5321 §4.2.1: 4yz is a transient failure, 5yz a permanent one. */
function byReplyClass(code: number): ErrorCode {
  return code >= 400 && code < 500 ? 'TEMPORARY' : 'INVALID_INPUT';
}

/**
 * Map any failure of an SMTP submission to a BridgeError with a message like
 * `SMTP server 127.0.0.1:2525 refused the login of alice@example.com: 535 5.7.8 ...`.
 */
export function toBridgeError(error: unknown, context: SmtpErrorContext): BridgeError {
  if (isBridgeError(error)) return error;
  const server = `SMTP server ${serverAddress(context)}`;
  const secrets = [context.password, context.accessToken].filter((secret): secret is string => secret !== undefined && secret !== '');
  const make = (code: ErrorCode, message: string): BridgeError => new BridgeError(code, maskSecrets(message, secrets), { cause: error });
  if (typeof error !== 'object' || error === null) {
    return make('INTERNAL', `Sending through ${server} failed: ${String(error)}`);
  }
  const e = error as SmtpErrorLike;
  const code = str(e.code);
  const original = str(e.originalCode);
  const response = replyCode(e.responseCode);
  const command = str(e.command);
  const reply = replyText(e.response);
  const said = reply !== undefined ? `: ${reply}` : '';
  const user = context.username !== undefined && context.username !== '' ? context.username : 'the configured user';

  if (code === 'EAUTH') {
    // RFC 4954 §6 reply codes for AUTH. 432 4.7.12: the password must be changed before it can be
    // used again, retrying will not help.
    if (response === 432) return make('AUTH', `${server} refused the login of ${user}: a password transition is needed${said}`);
    // 454 4.7.0 "temporary authentication failure" (the auth backend is down) and every other 4yz.
    if (response !== undefined && response < 500) return make('TEMPORARY', `${server} could not check the login of ${user} right now${said}`);
    // 534 5.7.9 mechanism too weak, 538 5.7.11 encryption required for the mechanism, 530 "must
    // issue a STARTTLS command first" (RFC 3207 §4), and AUTH not offered on this connection:
    // 500/502 command unrecognized / not implemented, 503 bad sequence, 504 mechanism not
    // implemented (RFC 5321 §4.2.2, RFC 4954 §4). The credentials may be right, the connection is not.
    if (response !== undefined && [500, 502, 503, 504, 530, 534, 538].includes(response)) {
      return make('CONFIG', `${server} does not accept a login on this connection (check the security setting: starttls or tls)${said}`);
    }
    // 535 5.7.8 "authentication credentials invalid" and every other refusal.
    return make('AUTH', `${server} refused the login of ${user}${said}`);
  }
  if (code === 'ENOAUTH') return make('CONFIG', `${server} requires a login but no credentials are configured`);
  if (code === 'ETLS') {
    // RFC 3207 §4: 454 "TLS not available due to temporary reason".
    if (response !== undefined && response < 500) return make('TEMPORARY', `${server} could not start TLS right now${said}`);
    // STARTTLS refused: the server does not offer it (requireTLS sends it anyway) or will not
    // upgrade this session. Retrying will not change that; the security setting has to.
    if (response !== undefined) return make('CONFIG', `${server} refused STARTTLS${said}; check the security setting and port`);
    // The handshake failed or the connection dropped during it. Certificate failures normally
    // arrive as ESOCKET with the OpenSSL code (below); nodemailer keeps only the text of others.
    return make('CONFIG', `${server} could not set up TLS; check the security setting and port, and whether the certificate is trusted`);
  }

  if (original !== undefined && certificateCodes.has(original)) {
    return untrustedCertificate(maskSecrets(`Connecting to ${server} failed`, secrets), original, error);
  }
  // An implicit-TLS connection to a plain-text port (or the other way round) fails inside OpenSSL.
  if (original !== undefined && (original.startsWith('ERR_SSL_') || original === 'EPROTO')) {
    return make('CONFIG', `${server} did not speak TLS as configured (${original}); check the security setting and port`);
  }
  // Before the socket codes: nodemailer reports its own connect/greeting/idle timeouts with the
  // code ETIMEDOUT too (and says which in `timeoutType`).
  if (code === 'ETIMEDOUT') {
    const which = str(e.timeoutType);
    return make('TEMPORARY', `${server} did not answer in time${which !== undefined ? ` (${which})` : ''}`);
  }
  if (code === 'ESOCKET' || code === 'EDNS' || (code !== undefined && unreachableCodes.has(code))) {
    const why = original ?? code;
    return make('TEMPORARY', `${server} is unreachable (${why})`);
  }
  if (code === 'ECONNECTION') {
    // 421 (RFC 5321 §3.8: service not available, closing) and connections dropped mid-session.
    return make('TEMPORARY', `${server} closed the connection${said !== '' ? said : ' unexpectedly'}`);
  }
  if (code === 'EPROTOCOL') {
    // A greeting or reply nodemailer could not use; a proxy or a restarting server may cause it,
    // so it is retried like a lost connection. The reply is quoted for the operator.
    return make('TEMPORARY', `${server} sent an unexpected reply${said}`);
  }

  if (code === 'EENVELOPE' || code === 'EMESSAGE') {
    const status = enhancedStatus(e.response);
    const tag = status !== undefined ? ` [${status}]` : '';
    if (response === undefined) {
      // nodemailer refused the envelope or message before sending it (no recipients, an address
      // with CR/LF or angle brackets, larger than the server's RFC 1870 SIZE).
      const detail = error instanceof Error && error.message !== '' ? `: ${error.message}` : '';
      return make('INVALID_INPUT', `The message cannot be sent through ${server}${detail}`);
    }
    // RFC 4954 §6 "530 5.7.0 Authentication required" or RFC 3207 §4 "530 Must issue a STARTTLS
    // command first" in answer to MAIL FROM: the account settings are wrong, not the message.
    if (response === 530) {
      return make('CONFIG', `${server} requires a login or TLS before accepting mail (check username and security)${said}`);
    }
    // 503 "bad sequence of commands" says the session was in the wrong state, not that the
    // message was refused; a fresh connection may well succeed. RFC 5321 §4.5.3.1.10: a 552 to
    // RCPT TO means "too many recipients" from older servers and is to be treated like 452.
    const verdict: ErrorCode = response === 503 || (response === 552 && command === 'RCPT TO') ? 'TEMPORARY' : byReplyClass(response);
    if (command === 'RCPT TO') {
      const refused = refusedRecipients(e);
      const list = refused.map((r) => (r.reply !== undefined ? `${r.address} (${r.reply})` : r.address)).join(', ');
      // nodemailer reports a 4yz reply when any recipient was only deferred, so one deferral
      // makes the whole attempt temporary: the deferred recipients may be accepted later.
      return make(verdict, `${server} refused every recipient${tag}: ${list !== '' ? list : reply ?? 'no reply'}`);
    }
    if (command === 'MAIL FROM') {
      return make(verdict, `${server} refused the sender${tag}${said}`);
    }
    return make(verdict, `${server} rejected the message${tag}${said}`);
  }

  if (code === 'EMAXRECIPIENTS') {
    return make('INVALID_INPUT', `The message has too many recipients to send through ${server}`);
  }
  // Everything else is a programming error on this side (a stream error, a bad option) or
  // something unforeseen: not worth retrying blindly.
  const detail = code !== undefined ? ` (${code})` : error instanceof Error && error.message !== '' ? `: ${error.message}` : '';
  return make('INTERNAL', `Sending through ${server} failed unexpectedly${detail}`);
}
