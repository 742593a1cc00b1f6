// Sending mail (issue 4): composes RFC 5322 messages with nodemailer's MailComposer and submits
// them over SMTP (RFC 5321; submission as in RFC 6409) with a nodemailer SMTP transport.
//
// One fresh transport, and so one fresh connection, per send: outgoing CRM mail is a trickle, a
// pool would have to be keyed by every setting including the password and be closed when the
// configuration changes, and a failed connection could never be reused by accident (DESIGN.md
// principle 7: a closed client is replaced, not reused).

import { withBearerRetry } from '../bearer-retry.js';
import nodemailer, { type SMTPTransportOptions } from 'nodemailer';
import MailComposer from 'nodemailer/lib/mail-composer';
import { BridgeError, type ErrorDetail } from '../../src/domain/errors.js';
import type { MailSender, OutgoingAddress, OutgoingMessage, SendResult } from '../../src/ports/sending.js';
import type { MailServerSettings } from '../../src/ports/mail.js';
import { serverAddress, toBridgeError } from './parse-smtp-error.js';
import { sendDeadline } from './send-deadline.js';
import { withCa } from '../tls-trust.js';

export const DEFAULT_TIMEOUT_MS = 30_000;
/** Default of `sync.commandTimeoutSeconds`: the part of a send before the reply to its final ".". */
export const DEFAULT_COMMAND_TIMEOUT_MS = 120_000;

export const dataTerminationTimeoutMs = 10 * 60_000;

export function timeoutOf(settings: Pick<MailServerSettings, 'timeoutMs'>): number {
  const ms = settings.timeoutMs;
  return ms !== undefined && Number.isFinite(ms) && ms > 0 ? ms : DEFAULT_TIMEOUT_MS;
}

// Fields compose() writes itself (RFC 5322 §3.6 origination, destination, identification and
// informational fields; RFC 2045 MIME structure) or that only MTAs add (RFC 5322 §3.6.7 trace
// fields, RFC 5321 §4.4). An extra header with one of these names would duplicate or contradict
// the real one, so it is refused rather than silently dropped or doubled.
const RESERVED_HEADERS = new Set([
  'from',
  'sender',
  'to',
  'cc',
  'bcc',
  'reply-to',
  'subject',
  'date',
  'message-id',
  'in-reply-to',
  'references',
  'mime-version',
  'content-type',
  'content-transfer-encoding',
  'content-id',
  'content-disposition',
  'return-path',
  'received',
]);

// RFC 5322 §3.6.8: field-name = 1*ftext, ftext = %d33-57 / %d59-126 (printable ASCII but ":").
const FIELD_NAME = /^[\x21-\x39\x3b-\x7e]+$/;
// RFC 5322 §3.6.4 msg-id = "<" id-left "@" id-right ">". The bridge generates its own ids, so a
// malformed one is a bug upstream; nodemailer would otherwise "repair" it into something else.
const MSG_ID = /^<[^<>@\s]+@[^<>@\s]+>$/;

function addressOf(address: OutgoingAddress): { name: string; address: string } {
  // nodemailer encodes a non-ASCII display name as RFC 2047 encoded-words and an IDN domain as
  // punycode; an empty name gives the bare addr-spec.
  return { name: address.name ?? '', address: address.address };
}

/** RFC 5322 §2.3: CR and LF only occur together, as CRLF, in a message. */
function crlf(text: string): string {
  return text.replace(/\r\n|\r|\n/g, '\r\n');
}

function validate(message: OutgoingMessage): ErrorDetail[] {
  const details: ErrorDetail[] = [];
  if (message.from.address.trim() === '') details.push({ path: 'from.address', message: 'the sender address is empty' });
  if (!MSG_ID.test(message.messageId)) details.push({ path: 'messageId', message: 'must be an RFC 5322 msg-id like <id@domain>' });
  if (!(message.date instanceof Date) || Number.isNaN(message.date.getTime())) details.push({ path: 'date', message: 'must be a valid date' });
  for (const name of Object.keys(message.headers ?? {})) {
    if (!FIELD_NAME.test(name)) details.push({ path: `headers.${name}`, message: 'is not a valid header field name (RFC 5322 §3.6.8)' });
    else if (RESERVED_HEADERS.has(name.toLowerCase())) details.push({ path: `headers.${name}`, message: 'is set by the composer and cannot be given as an extra header' });
  }
  return details;
}

/** nodemailer SMTP transport options for one submission with these settings. */
export function transportOptions(settings: MailServerSettings, accessToken?: string): SMTPTransportOptions {
  const timeoutMs = timeoutOf(settings);
  const withAuth = settings.username !== '';
  return {
    host: settings.host,
    port: settings.port,
    // `tls`: implicit TLS from the first byte (RFC 8314 §3.3, port 465). `starttls`: the upgrade
    // is mandatory (RFC 3207); nodemailer then sends STARTTLS even when the EHLO reply does not
    // offer it and fails with ETLS when it is refused, so a stripped STARTTLS capability cannot
    // downgrade the session to clear text. `none`: never upgrade, as configured.
    secure: settings.security === 'tls',
    requireTLS: settings.security === 'starttls',
    ignoreTLS: settings.security === 'none',
    tls: { rejectUnauthorized: !settings.allowInsecureTls, ...withCa(settings.tlsCa) },
    ...(withAuth
      ? {
          // With an OAuth2 access token nodemailer sends AUTH XOAUTH2, the SASL mechanism Gmail and
          // Exchange Online take for SMTP (nodemailer has no OAUTHBEARER, RFC 7628).
          auth: accessToken === undefined ? { user: settings.username, pass: settings.password } : { type: 'OAuth2', user: settings.username, accessToken },
          // nodemailer skips AUTH silently when the EHLO reply does not advertise it (RFC 4954
          // §3) and submits unauthenticated; the server then typically refuses the recipients
          // ("relay access denied"), which reads as a bad message (INVALID_INPUT, never retried)
          // instead of a configuration problem. Over TLS, forceAuth sends AUTH anyway, and the
          // server's "not offered" reply is reported as CONFIG. In clear text it is left off: a
          // server that withholds plaintext password mechanisms until STARTTLS (RFC 4954 §4; e.g.
          // Postfix smtpd_tls_auth_only) must not receive the password unencrypted.
          forceAuth: settings.security !== 'none',
        }
      : {}),
    connectionTimeout: timeoutMs,
    greetingTimeout: timeoutMs,
    // RFC 5321 §4.5.3.2.6: wait up to 10 minutes for the reply to the final "." — giving up sooner
    // on a slow server that then accepts would make the retry deliver the message twice.
    socketTimeout: Math.max(timeoutMs, dataTerminationTimeoutMs),
    // No logger and no protocol trace: the trace carries message contents, and AUTH LOGIN sends
    // the password as its own base64 line.
    logger: false,
    debug: false,
  };
}

export class SmtpSender implements MailSender {
  async compose(message: OutgoingMessage): Promise<Buffer> {
    const details = validate(message);
    if (details.length > 0) {
      throw new BridgeError('INVALID_INPUT', `The message cannot be composed: ${details.map((d) => `${d.path} ${d.message}`).join('; ')}`, { details });
    }
    const extra = Object.entries(message.headers ?? {});
    // nodemailer rewrites header names to its own capitalisation (X-Crm-Bridge-Activity); names
    // are case-insensitive (RFC 5322 §1.2.2), but keeping the caller's spelling keeps them
    // recognisable in raw sources and logs.
    const spelling = new Map(extra.map(([name]) => [name.toLowerCase(), name]));
    const composer = new MailComposer({
      from: addressOf(message.from),
      ...(message.to.length > 0 ? { to: message.to.map(addressOf) } : {}),
      ...(message.cc !== undefined && message.cc.length > 0 ? { cc: message.cc.map(addressOf) } : {}),
      // No `bcc` on purpose: RFC 5322 §3.6.3 allows the Bcc field to be left out entirely, and
      // bcc recipients only ever appear in the SMTP envelope (send()). Not handing them over
      // means no option of nodemailer's (keepBcc) can ever put them into the bytes that are
      // sent and stored in the Sent folder.
      ...(message.replyTo !== undefined && message.replyTo !== null ? { replyTo: addressOf(message.replyTo) } : {}),
      // Non-ASCII text becomes RFC 2047 encoded-words (Q or B, whichever nodemailer finds more
      // compact), folded at 76 characters.
      subject: message.subject,
      messageId: message.messageId,
      date: message.date,
      ...(message.inReplyTo !== undefined && message.inReplyTo !== null && message.inReplyTo.trim() !== '' ? { inReplyTo: message.inReplyTo.trim() } : {}),
      // RFC 5322 §3.6.4: References is msg-ids separated by whitespace, oldest first; nodemailer
      // joins the list with single spaces (and adds missing angle brackets).
      ...(message.references !== undefined && message.references.some((id) => id.trim() !== '')
        ? { references: message.references.map((id) => id.trim()).filter((id) => id !== '') }
        : {}),
      // With HTML the two become a multipart/alternative, plain text first (RFC 2046 §5.1.4:
      // the last part is the preferred one). Both are UTF-8, quoted-printable or base64 where
      // they are not plain 7-bit text with short lines.
      text: crlf(message.text),
      ...(message.html !== undefined && message.html !== null && message.html !== '' ? { html: crlf(message.html) } : {}),
      // Every line break in the output is CRLF (RFC 5322 §2.3), whatever the input had.
      newline: 'windows',
      normalizeHeaderKey: (key: string) => spelling.get(key.toLowerCase()) ?? key,
      // Content is given inline; never let a value be read from a file or fetched from a URL.
      disableFileAccess: true,
      disableUrlAccess: true,
    });
    const root = composer.compile();
    // Added after compile() so they follow the standard fields (order carries no meaning, RFC
    // 5322 §3.6, but it reads better); values are encoded like any unstructured field, and CR/LF
    // in a value cannot start a new field (nodemailer replaces them with spaces).
    for (const [name, value] of extra) root.addHeader(name, value);
    return root.build();
  }

  async send(settings: MailServerSettings, envelope: { from: string; to: string[] }, raw: Buffer): Promise<SendResult> {
    const server = `SMTP server ${serverAddress(settings)}`;
    if (envelope.to.length === 0) {
      throw new BridgeError('INVALID_INPUT', `No recipients to send the message to through ${server}`);
    }
    if (settings.username !== '' && settings.password === '' && settings.bearer === undefined) {
      throw new BridgeError('CONFIG', `No password configured for ${settings.username} at ${server}`);
    }
    // A refused access token fails at AUTH, before MAIL FROM: trying again cannot send twice.
    return withBearerRetry(settings.bearer, (accessToken) => this.sendOnce(settings, envelope, raw, accessToken));
  }

  private async sendOnce(settings: MailServerSettings, envelope: { from: string; to: string[] }, raw: Buffer, accessToken: string | undefined): Promise<SendResult> {
    const server = `SMTP server ${serverAddress(settings)}`;
    const transport = nodemailer.createTransport(transportOptions(settings, accessToken));
    const deadline = sendDeadline(raw, { commandTimeoutMs: settings.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS, dataTerminationMs: dataTerminationTimeoutMs, server });
    try {
      const mail: Parameters<typeof transport.sendMail>[0] & { signal: AbortSignal } = {
        envelope: {
          // An empty sender is the null reverse-path MAIL FROM:<> (RFC 5321 §4.5.5).
          from: envelope.from,
          to: [...envelope.to],
          // RFC 1870: announced as SIZE= when the server supports it, so an oversized message is
          // refused before the upload (nodemailer checks the advertised limit itself, the server
          // at MAIL FROM).
          size: raw.length,
          // RFC 6152: a message with 8-bit bytes (raw sources from elsewhere; compose() output is
          // 7-bit) is announced as BODY=8BITMIME when the server supports it.
          use8BitMime: raw.some((byte) => byte > 0x7f),
        },
        raw: deadline.body,
        // nodemailer closes the connection when this aborts (send-deadline.ts).
        signal: deadline.signal,
      };
      const info = await transport.sendMail(mail);
      const accepted = info.accepted.map(String);
      const rejected = info.rejected.map(String);
      if (accepted.length === 0) {
        // nodemailer reports "all recipients were rejected" as an error; this only guards the contract.
        throw new BridgeError('INVALID_INPUT', `${server} refused every recipient: ${rejected.join(', ')}`);
      }
      return { accepted, rejected, response: info.response };
    } catch (error) {
      throw deadline.expired() ?? toBridgeError(error, { ...settings, accessToken });
    } finally {
      deadline.clear();
      transport.close();
    }
  }

  /** Connect, negotiate TLS and log in without sending anything (the admin UI's "Test connection"). */
  verify(settings: MailServerSettings): Promise<void> {
    return withBearerRetry(settings.bearer, (accessToken) => this.verifyOnce(settings, accessToken));
  }

  private async verifyOnce(settings: MailServerSettings, accessToken: string | undefined): Promise<void> {
    const transport = nodemailer.createTransport(transportOptions(settings, accessToken));
    try {
      await transport.verify();
    } catch (error) {
      throw toBridgeError(error, { ...settings, accessToken });
    } finally {
      transport.close();
    }
  }
}
