import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { simpleParser } from 'mailparser';
import type { AddressObject, EmailAddress, HeaderValue, ParsedMail, StructuredHeader } from 'mailparser';
import { toSingleLine } from '../domain/control-characters.js';
import { BridgeError } from '../domain/errors.js';
import { classifyMessage, headersFromLines, unfold } from './classify.js';
import type { ContentTypeInfo, MailHeaders } from './classify.js';
import { normalizeMessageId, parseMessageIdList, syntheticMessageId } from '../domain/message-id.js';
import { messageFingerprint } from './message-identity.js';
import type { MailAddress } from '../domain/mail-address.js';
import type { ParsedAttachment, ParsedMessage } from './parsed-message.js';
import { limitBody, MAX_BODY_BYTES, truncationNote } from './body-limit.js';
import { sanitizeMailHtmlBounded } from './sanitize-bounded.js';
import { ADDRESS_HEADER_NAMES, checkEncodedWords } from './header-checks.js';
import { readDate } from './mail-date.js';
import { quote, WarningList } from './parse-warnings.js';
import { scanStructure } from './structure-scan.js';

export interface ParseMessageOptions {
  /**
   * Attachments whose decoded content is larger than this many bytes are left out of the result
   * (with a warning naming them). Unlimited when not given.
   */
  maxAttachmentBytes?: number;
  /**
   * Text and HTML bodies are cut to this many bytes (with a note in the body and a warning), and
   * the HTML is cut before it is sanitized; default MAX_BODY_BYTES (mail.maxBodyBytes).
   */
  maxBodyBytes?: number;
}

/**
 * Parses a raw RFC 5322 message into the ingestion pipeline's ParsedMessage.
 *
 * Malformed input that mailparser survives never throws: the problems end up in `warnings`. Only a
 * message mailparser itself gives up on (e.g. a header block over its 1 MB limit) throws a
 * BridgeError INVALID_INPUT.
 *
 * Memory: the raw source is held by the caller, mailparser buffers each attachment once (plus a
 * transient copy while it joins the chunks), and nothing here copies either: the source is fed to
 * mailparser as views, and the structure scan only decodes header lines and boundary candidates.
 */
export async function parseMessage(source: Buffer, options: ParseMessageOptions = {}): Promise<ParsedMessage> {
  const { maxAttachmentBytes } = options;
  const maxBodyBytes = options.maxBodyBytes ?? MAX_BODY_BYTES;
  if (maxAttachmentBytes !== undefined && !(maxAttachmentBytes >= 0)) {
    throw new BridgeError('INVALID_INPUT', 'maxAttachmentBytes must be a non-negative number');
  }
  const contentHash = createHash('sha256').update(source).digest('hex');
  const warnings = new WarningList();

  let mail: ParsedMail;
  try {
    mail = await simpleParser(Readable.from(chunksOf(source), { objectMode: false }), {
      // The text version of an HTML-only body is made off the event loop (limitedHtml below).
      skipHtmlToText: true,
      skipTextToHtml: true,
      // Keep `cid:` references instead of inlining every image as a data: URL a second time: the
      // sanitizer allows cid: and the attachments carry the content anyway.
      keepCidLinks: true,
      // SHA-256 of each decoded attachment, computed while it streams in: the message fingerprint
      // (message-identity.ts) uses it instead of hashing the content a second time.
      checksumAlgo: 'sha256',
    });
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new BridgeError('INVALID_INPUT', `cannot parse MIME message: ${reason}`, { cause: error });
  }

  scanStructure(source, warnings);
  // simpleParser copies these from mailparser's 'headers' event; its types promise them, but a
  // missing event must not turn into a TypeError here, so fall back to "no headers".
  const headerLines = mail.headerLines ?? [];
  const parsedHeaders: ParsedMail['headers'] = mail.headers ?? new Map<string, HeaderValue>();
  const headers = headersFromLines(headerLines);
  if (headers.size === 0) warnings.add('the message has no header fields');
  checkEncodedWords(headers, warnings);

  const { messageId, synthetic } = readMessageId(headers, contentHash, warnings);
  const inReplyTo = parseMessageIdList((headers.get('in-reply-to') ?? []).join(' '))[0] ?? null;
  const references = parseMessageIdList((headers.get('references') ?? []).join(' '));
  const date = readDate(headers, warnings);
  // Subject and display names are one line (RFC 5322 §2.2, §3.2.5), but RFC 2047 lets a sender
  // encode a CR or LF in them: they become spaces, so no CRM field holds a line break a writer
  // (vCard, iCalendar, a reply's headers) could turn into a line of its own.
  const subject = toSingleLine(mail.subject ?? '');

  const rawHtml = typeof mail.html === 'string' ? mail.html : null;
  if (mail.textConversionError !== undefined) {
    warnings.add(`the HTML body could not be converted to text: ${mail.textConversionError.message}`);
  }
  const attachments = readAttachments(mail, rawHtml, maxAttachmentBytes, warnings);
  // With skipHtmlToText mailparser leaves the text of an HTML-only message empty (or undefined).
  const htmlOnly = mail.text === undefined || mail.text === '';
  const bodies = rawHtml === null ? { html: null, text: null } : await limitedHtml(rawHtml, maxBodyBytes, htmlOnly, warnings);
  const plain = htmlOnly && rawHtml !== null ? bodies.text : (mail.text ?? null);
  const text = plain === null ? null : limitedText(plain, maxBodyBytes, warnings);
  const html = bodies.html;

  const contentType = parsedHeaders.get('content-type');
  const from = readAddresses(parsedHeaders, 'from', warnings);
  return {
    messageId,
    syntheticMessageId: synthetic,
    inReplyTo,
    references,
    date,
    subject,
    from,
    sender: readAddresses(parsedHeaders, 'sender', warnings)[0] ?? null,
    replyTo: readAddresses(parsedHeaders, 'reply-to', warnings),
    to: readAddresses(parsedHeaders, 'to', warnings),
    cc: readAddresses(parsedHeaders, 'cc', warnings),
    bcc: readAddresses(parsedHeaders, 'bcc', warnings),
    // An HTML-only body's text is its conversion (made in the sanitizer's worker).
    text,
    html,
    attachments,
    classification: classifyMessage(headers, isStructuredHeader(contentType) ? contentType : null, subject),
    contentHash,
    fingerprint: messageFingerprint({ from, date, subject, text, html }, mail.attachments.map((attachment) => ({ size: attachment.content.length, digest: attachment.checksum }))),
    size: source.length,
    warnings: warnings.list(),
  };
}

/**
 * The source as 64 KiB views (no copies). Handing mailparser the whole Buffer at once makes it decode
 * the entire message before the attachment collector drains anything, so the decoded chunks also
 * pile up in stream buffers: a 49 MiB attachment then peaked at about 3.4x its size in buffer memory,
 * against about 2x (the chunks plus their concatenation) when streamed like this.
 */
function* chunksOf(source: Buffer, size = 64 * 1024): Generator<Buffer> {
  for (let offset = 0; offset < source.length; offset += size) yield source.subarray(offset, offset + size);
}

// ---------------------------------------------------------------------------------------------
// Message-ID and Date

function readMessageId(headers: MailHeaders, contentHash: string, warnings: WarningList): { messageId: string; synthetic: boolean } {
  const raw = headers.get('message-id')?.[0];
  const normalized = raw === undefined ? null : normalizeMessageId(raw);
  if (normalized !== null) return { messageId: normalized, synthetic: false };
  // RFC 5322 §3.6.4 only says SHOULD for Message-ID, so a missing one is not worth a warning; an
  // unusable one is.
  if (raw !== undefined && raw.trim() !== '') warnings.add(`unusable Message-ID header ${quote(raw)}; using a synthetic id`);
  return { messageId: syntheticMessageId(identityHash(headers) ?? contentHash), synthetic: true };
}

function limitedText(text: string, maxBytes: number, warnings: WarningList): string {
  const limited = limitBody(text, maxBytes);
  if (limited.cutFrom === null) return text;
  warnings.add(`the text body was cut to ${maxBytes} of its ${limited.cutFrom} bytes (mail.maxBodyBytes)`);
  return `${limited.value}\n\n${truncationNote(limited.cutFrom, maxBytes)}`;
}

/**
 * The HTML body cut to the limit, then sanitized (and for an HTML-only message converted to text)
 * within a deadline (sanitize-bounded.ts).
 */
async function limitedHtml(rawHtml: string, maxBytes: number, withText: boolean, warnings: WarningList): Promise<{ html: string | null; text: string | null }> {
  const limited = limitBody(rawHtml, maxBytes);
  const sanitized = await sanitizeMailHtmlBounded(limited.value, { withText });
  if (sanitized.html === null) {
    warnings.add(`the HTML body was left out (${sanitized.reason})${withText ? '' : '; the text body is kept'}`);
    return { html: null, text: null };
  }
  if (limited.cutFrom === null) return sanitized;
  warnings.add(`the HTML body was cut to ${maxBytes} of its ${limited.cutFrom} bytes before sanitizing (mail.maxBodyBytes)`);
  return { html: `${sanitized.html}<p>${truncationNote(limited.cutFrom, maxBytes)}</p>`, text: sanitized.text };
}

/**
 * What identifies a message that has no Message-ID: the originator fields, Date and Subject (RFC 5322
 * §3.6), not the raw bytes. Those differ between mailboxes (Received, Delivered-To, X-Spam headers)
 * and between a header-only fetch and the full message, and the same message must get the same id.
 * Null when the message has none of them: then only its bytes can tell it apart.
 */
export function identityHash(headers: MailHeaders): string | null {
  const names = ['from', 'sender', 'to', 'cc', 'date', 'subject'];
  if (names.every((name) => (headers.get(name) ?? []).every((value) => value.trim() === ''))) return null;
  const fields = names.map((name) => `${name}:${(headers.get(name) ?? []).map((value) => unfold(value).trim()).join('\u0000')}`);
  return createHash('sha256').update(fields.join('\n')).digest('hex');
}

// ---------------------------------------------------------------------------------------------
// Addresses


/**
 * The mailboxes of an address header (all occurrences), groups flattened into their members
 * (RFC 5322 §3.4: `undisclosed-recipients:;` is a group with none). mailparser reports a display
 * name without an address (`To: John Smith`) as an entry with an empty address: those are skipped.
 */
function readAddresses(headers: ParsedMail['headers'], key: string, warnings: WarningList): MailAddress[] {
  const value = headers.get(key);
  const objects = (Array.isArray(value) ? value : [value]).filter(isAddressObject);
  const result: MailAddress[] = [];
  const visit = (entries: readonly EmailAddress[]) => {
    for (const entry of entries) {
      if (entry.group !== undefined) {
        visit(entry.group);
        continue;
      }
      const address = entry.address?.trim() ?? '';
      const name = toSingleLine(entry.name).trim();
      if (address.includes('@')) {
        result.push({ address, name: name === '' ? null : name });
      } else if (address !== '' || name !== '') {
        warnings.add(`${ADDRESS_HEADER_NAMES[key] ?? key}: ignored ${quote(address === '' ? name : address)}, which is not an e-mail address`);
      }
    }
  };
  for (const object of objects) visit(object.value);
  return result;
}

function isAddressObject(value: unknown): value is AddressObject {
  return typeof value === 'object' && value !== null && Array.isArray((value as Partial<AddressObject>).value);
}

function isStructuredHeader(value: unknown): value is StructuredHeader & ContentTypeInfo {
  return typeof value === 'object' && value !== null && typeof (value as Partial<StructuredHeader>).value === 'string'
    && typeof (value as Partial<StructuredHeader>).params === 'object';
}

// ---------------------------------------------------------------------------------------------
// Attachments

function readAttachments(mail: ParsedMail, rawHtml: string | null, maxBytes: number | undefined, warnings: WarningList): ParsedAttachment[] {
  const referenced = cidReferences(rawHtml);
  const result: ParsedAttachment[] = [];
  for (const attachment of mail.attachments) {
    const label = attachment.filename ?? attachment.contentType;
    if (maxBytes !== undefined && attachment.content.length > maxBytes) {
      warnings.add(`attachment ${quote(label)} (${attachment.content.length} bytes) is larger than ${maxBytes} bytes and was left out`);
      continue;
    }
    const cid = attachment.cid?.trim() || null;
    result.push({
      filename: attachment.filename ?? null,
      contentType: attachment.contentType,
      content: attachment.content,
      // Without angle brackets, i.e. as a `cid:` URL names it (RFC 2392 §2).
      contentId: cid,
      inline: attachment.contentDisposition?.toLowerCase() === 'inline' || (cid !== null && referenced.has(cid.toLowerCase())),
    });
  }
  return result;
}

/**
 * Content-IDs the HTML refers to with `cid:` URLs (RFC 2392 §2: the URL form is %-encoded),
 * lower-cased because mail clients are not consistent about the case of these references.
 */
function cidReferences(html: string | null): Set<string> {
  const ids = new Set<string>();
  if (html === null) return ids;
  for (const match of html.matchAll(/\bcid:([^\s"'<>()]+)/gi)) {
    const encoded = match[1] ?? '';
    try {
      ids.add(decodeURIComponent(encoded).toLowerCase());
    } catch {
      ids.add(encoded.toLowerCase());
    }
  }
  return ids;
}
