import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { simpleParser } from 'mailparser';
import type { AddressObject, EmailAddress, HeaderValue, ParsedMail, StructuredHeader } from 'mailparser';
import { toSingleLine } from '../domain/control-characters.js';
import { BridgeError } from '../domain/errors.js';
import { classifyMessage, headersFromLines, unfold } from './classify.js';
import type { ContentTypeInfo, MailHeaders } from './classify.js';
import { normalizeMessageId, parseMessageIdList, stripComments, syntheticMessageId } from '../domain/message-id.js';
import { messageFingerprint } from './message-identity.js';
import type { MailAddress } from '../domain/mail-address.js';
import type { ParsedAttachment, ParsedMessage } from './parsed-message.js';
import { limitBody, MAX_BODY_BYTES, truncationNote } from './body-limit.js';
import { sanitizeMailHtmlBounded } from './sanitize-bounded.js';

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

/** Warnings in the order found, each once (a broken charset repeated in ten parts is one problem). */
class WarningList {
  private readonly items = new Set<string>();
  add(message: string): void {
    this.items.add(message);
  }
  list(): string[] {
    return [...this.items];
  }
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

/**
 * The Date header as ISO 8601 UTC, or null. mailparser turns an unparseable Date into the current
 * time, which would file an old message as new, so the raw header is parsed here instead.
 */
function readDate(headers: MailHeaders, warnings: WarningList): string | null {
  const raw = headers.get('date')?.[0];
  if (raw === undefined || raw.trim() === '') {
    // RFC 5322 §3.6: the origination date is the one field besides From every message must have.
    warnings.add('missing Date header');
    return null;
  }
  const date = parseMailDate(raw);
  if (date === null) warnings.add(`unparseable Date header ${quote(raw)}`);
  return date;
}

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];

/**
 * RFC 5322 §4.3 obs-zone names. Military single letters, and any other alphabetic zone whose meaning
 * is not known, "SHOULD be considered equivalent to -0000" (same section), i.e. UTC.
 */
const ZONE_OFFSETS: Record<string, number> = {
  ut: 0, utc: 0, gmt: 0, z: 0,
  edt: -4 * 60, est: -5 * 60, cdt: -5 * 60, cst: -6 * 60,
  mdt: -6 * 60, mst: -7 * 60, pdt: -7 * 60, pst: -8 * 60,
};

const RFC5322_DATE =
  /^(?:[a-z]{3,9}\s*,?\s*)?(\d{1,2})\s*[-\s]\s*([a-z]{3,9})\.?\s*[-\s]\s*(\d{2,4})\s+(\d{1,2})\s*:\s*(\d{1,2})(?:\s*:\s*(\d{1,2}))?(?:\.\d+)?\s*([+-]\d{2}:?\d{2}|[a-z]{1,5})?(?:\s+[a-z]{1,5})?$/i;
const ISO_DATE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})$/i;

/**
 * Parses an RFC 5322 §3.3 date-time, accepting the obsolete forms of §4.3 (two- and three-digit
 * years, named zones, comments, missing seconds and missing day-of-week) and, as some generators
 * write them, ISO 8601 timestamps with an offset. Returns ISO 8601 UTC or null. Deliberately not
 * Date.parse() on anything else: it reads "1" as the year 2001 and guesses local time for a
 * missing zone.
 */
export function parseMailDate(value: string): string | null {
  const text = stripComments(unfold(value)).replace(/\s+/g, ' ').trim();
  if (ISO_DATE.test(text)) {
    const ms = Date.parse(text);
    return Number.isNaN(ms) ? null : new Date(ms).toISOString();
  }
  const match = RFC5322_DATE.exec(text);
  if (match === null) return null;
  const [, dayText, monthText, yearText, hourText, minuteText, secondText, zoneText] = match;
  const month = MONTHS.indexOf((monthText ?? '').slice(0, 3).toLowerCase());
  if (month === -1) return null;
  let year = Number(yearText);
  // RFC 5322 §4.3: a two-digit year is 2000+ below 50 and 1900+ from 50; a three-digit one is 1900+.
  if ((yearText ?? '').length === 2) year += year < 50 ? 2000 : 1900;
  else if ((yearText ?? '').length === 3) year += 1900;
  const day = Number(dayText);
  const hour = Number(hourText);
  const minute = Number(minuteText);
  // RFC 5322 §3.3 allows second 60 for a leap second; JS dates cannot hold it.
  const second = Math.min(Number(secondText ?? '0'), 59);
  if (day < 1 || hour > 23 || minute > 59 || Number(secondText ?? '0') > 60) return null;
  const offset = zoneOffsetMinutes(zoneText);
  if (offset === null) return null;
  const local = Date.UTC(year, month, day, hour, minute, second);
  // Reject 31 Feb and the like instead of letting Date roll them into March.
  if (new Date(local).getUTCDate() !== day) return null;
  return new Date(local - offset * 60_000).toISOString();
}

function zoneOffsetMinutes(zone: string | undefined): number | null {
  // No zone at all is not RFC 5322, but common in hand-written mail; UTC is as good a guess as any.
  if (zone === undefined) return 0;
  const numeric = /^([+-])(\d{2}):?(\d{2})$/.exec(zone);
  if (numeric !== null) {
    const minutes = Number(numeric[2]) * 60 + Number(numeric[3]);
    if (Number(numeric[3]) > 59) return null;
    return numeric[1] === '-' ? -minutes : minutes;
  }
  return ZONE_OFFSETS[zone.toLowerCase()] ?? 0;
}

// ---------------------------------------------------------------------------------------------
// Addresses

const ADDRESS_HEADER_NAMES: Record<string, string> = {
  from: 'From', sender: 'Sender', 'reply-to': 'Reply-To', to: 'To', cc: 'Cc', bcc: 'Bcc',
};

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

// ---------------------------------------------------------------------------------------------
// Header encoding checks

const ENCODED_WORD_HEADERS = ['subject', 'from', 'sender', 'reply-to', 'to', 'cc', 'bcc'];
/** RFC 2047 §2: encoded-word = "=?" charset "?" encoding "?" encoded-text "?=", no whitespace inside. */
const ENCODED_WORD_START = /=\?([^?\s]+)\?([bq])\?/gi;
/** Sticky, so the rest of a word is matched in place instead of on a copy of the rest of the header. */
const ENCODED_WORD_REST = /[^?\s]*\?=/y;

/**
 * Flags encoded words mailparser cannot decode and silently leaves as they are or decodes as
 * UTF-8: an unterminated one (shown raw, `=?UTF-8?Q?...`) and one in a charset we cannot decode.
 */
function checkEncodedWords(headers: MailHeaders, warnings: WarningList): void {
  for (const name of ENCODED_WORD_HEADERS) {
    for (const value of headers.get(name) ?? []) {
      for (const match of value.matchAll(ENCODED_WORD_START)) {
        const header = headerDisplayName(name);
        const start = match.index ?? 0;
        ENCODED_WORD_REST.lastIndex = start + match[0].length;
        if (!ENCODED_WORD_REST.test(value)) {
          warnings.add(`${header}: unterminated RFC 2047 encoded word ${quote(value.slice(start, start + 40))}; left undecoded`);
          continue;
        }
        // RFC 2231 §5 lets the charset carry a language suffix: `=?utf-8*en?Q?...?=`.
        const charset = (match[1] ?? '').split('*')[0] ?? '';
        const problem = charsetProblem(charset);
        if (problem !== null) warnings.add(`${header}: encoded word in ${problem}`);
      }
    }
  }
}

function headerDisplayName(name: string): string {
  return ADDRESS_HEADER_NAMES[name] ?? name.charAt(0).toUpperCase() + name.slice(1);
}

// ---------------------------------------------------------------------------------------------
// Charsets

/**
 * Canonical (lower-case, alphanumerics only) names of charsets iconv-lite, which mailparser decodes
 * with, knows beyond what TextDecoder's WHATWG labels cover: DOS/Windows/IBM code pages, the Mac and
 * KOI8 families, UTF-16/32 variants and the CJK encodings under their various spellings.
 */
const ICONV_LITE_EXTRA = new RegExp(
  '^(?:(?:cp|ibm|csibm|windows|win|ms)?\\d{3,5}|mac[a-z]*|koi8[a-z]*|utf(?:16|32)(?:le|be)?|ucs[24](?:le|be)?|cesu8' +
    '|latin\\d{1,2}|l\\d{1,2}|iso8859\\d{1,2}|iso646[a-z]*|tis620\\d*|viscii|armscii8|georgian[a-z]*|pt154|rk1048' +
    '|tcvn\\d*|gb\\d+|gbk|xgbk|euc[a-z]+|big5[a-z]*|cnbig5|shiftjis|sjis|xsjis|mskanji|windows31j|ksc5601\\d*|roman8|hproman8|r8' +
    '|usascii|ascii|ascii8bit|binary)$',
);
/** Refused by mailparser/libmime on purpose (UTF-7 can smuggle `<script>` past filters) and decoded as UTF-8 instead. */
const REFUSED_CHARSET = /^(?:(?:cs)?unicode11)?utf7(?:imap)?$/;

/** Why text in this charset will not be decoded properly, or null when it will. */
function charsetProblem(charset: string): string | null {
  const label = charset.trim().toLowerCase();
  const canonical = label.replace(/[^a-z0-9]/g, '');
  if (REFUSED_CHARSET.test(canonical)) return `charset ${quote(charset)}, which is not decoded (RFC 2152 UTF-7 is refused for safety); read as UTF-8 instead`;
  if (canonical === '' || isDecodableCharset(label, canonical)) return null;
  return `unsupported charset ${quote(charset)}; read as UTF-8 instead and possibly garbled`;
}

function isDecodableCharset(label: string, canonical: string): boolean {
  try {
    new TextDecoder(label);
    return true;
  } catch {
    return ICONV_LITE_EXTRA.test(canonical);
  }
}

// ---------------------------------------------------------------------------------------------
// MIME structure scan

/** A header block larger than this is not inspected further (mailparser rejects blocks over 1 MB anyway). */
const MAX_SCANNED_HEADER_BYTES = 1024 * 1024;
/** RFC 2046 §5.1.1: a boundary is at most 70 characters; a delimiter line adds `--`, `--` and transport padding. */
const MAX_DELIMITER_LINE = 200;

interface OpenMultipart {
  boundary: string;
  type: string;
}

/**
 * Walks the raw message once to find what mailparser tolerates without saying so: header lines
 * without a colon (dropped), text parts in charsets it cannot decode (read as UTF-8), multiparts
 * missing their boundary or their closing delimiter (truncated messages). Only header blocks and
 * short lines starting with `--` are turned into strings, so a large attachment costs one pass of
 * `indexOf` over its bytes and no copies.
 */
function scanStructure(source: Buffer, warnings: WarningList): void {
  const open: OpenMultipart[] = [];
  let inHeader = true;
  let isTopLevel = true;
  let headerLines: string[] = [];
  let headerBytes = 0;

  const finishHeader = () => {
    inspectHeaderBlock(headerLines, isTopLevel, open, warnings);
    headerLines = [];
    headerBytes = 0;
    inHeader = false;
    isTopLevel = false;
  };

  let pos = 0;
  while (pos < source.length) {
    const newline = source.indexOf(0x0a, pos);
    const next = newline === -1 ? source.length : newline + 1;
    let end = newline === -1 ? source.length : newline;
    if (end > pos && source[end - 1] === 0x0d) end--;

    if (open.length > 0 && end - pos >= 2 && end - pos <= MAX_DELIMITER_LINE && source[pos] === 0x2d && source[pos + 1] === 0x2d) {
      const delimiter = matchDelimiter(source.toString('latin1', pos, end).replace(/[ \t]+$/, ''), open);
      if (delimiter !== null) {
        if (inHeader) finishHeader();
        for (const inner of open.slice(delimiter.index + 1)) warnings.add(unclosedWarning(inner));
        open.length = delimiter.index + (delimiter.closing ? 0 : 1);
        // After a delimiter comes a part's header block; after a close delimiter, an epilogue.
        inHeader = !delimiter.closing;
        pos = next;
        continue;
      }
    }

    if (inHeader) {
      if (end === pos) {
        finishHeader();
      } else if (headerBytes < MAX_SCANNED_HEADER_BYTES) {
        headerLines.push(source.toString('latin1', pos, end));
        headerBytes += end - pos;
      }
    }
    pos = next;
  }
  if (inHeader && headerLines.length > 0) finishHeader();
  for (const multipart of open) warnings.add(unclosedWarning(multipart));
}

/**
 * RFC 2046 §5.1.1: a line is a delimiter when it is exactly `--` boundary (or `--` boundary `--` for
 * the close delimiter) apart from trailing whitespace. The innermost open multipart is tried first,
 * but a delimiter of an outer one also ends the inner ones.
 */
function matchDelimiter(line: string, open: readonly OpenMultipart[]): { index: number; closing: boolean } | null {
  for (let index = open.length - 1; index >= 0; index--) {
    const boundary = open[index]?.boundary;
    if (boundary === undefined) continue;
    if (line === `--${boundary}`) return { index, closing: false };
    if (line === `--${boundary}--`) return { index, closing: true };
  }
  return null;
}

function unclosedWarning(multipart: OpenMultipart): string {
  return `${multipart.type} part with boundary ${quote(multipart.boundary)} has no closing delimiter (RFC 2046 §5.1.1); the message is probably truncated`;
}

/** Header field name: printable US-ASCII except colon (RFC 5322 §2.2, §3.6.8). */
const FIELD_LINE = /^([!-9;-~]+)[ \t]*:(.*)$/s;

function inspectHeaderBlock(lines: readonly string[], isTopLevel: boolean, open: OpenMultipart[], warnings: WarningList): void {
  const fields = new Map<string, string>();
  // The field a continuation line belongs to; null inside a repeated field, whose value is ignored
  // because, like mailparser, we let the first Content-Type/-Disposition count.
  let current: string | null = null;
  let inField = false;
  lines.forEach((line, index) => {
    if ((line.startsWith(' ') || line.startsWith('\t')) && inField) {
      if (current !== null) fields.set(current, `${fields.get(current) ?? ''} ${line.trim()}`);
      return;
    }
    const field = FIELD_LINE.exec(line);
    inField = field !== null;
    if (field !== null) {
      const name = (field[1] ?? '').toLowerCase();
      current = fields.has(name) ? null : name;
      if (current !== null) fields.set(name, (field[2] ?? '').trim());
      return;
    }
    current = null;
    // An mbox "From " separator line in front of the message is not a header (RFC 4155).
    if (isTopLevel && index === 0 && line.startsWith('From ')) return;
    const where = isTopLevel ? 'message header' : 'MIME part header';
    warnings.add(`${where} line without a colon ignored (RFC 5322 §2.2): ${quote(line.slice(0, 60))}`);
  });

  const contentType = parseContentType(fields.get('content-type'));
  if (contentType.type.startsWith('multipart/')) {
    const boundary = contentType.params.get('boundary');
    if (boundary === undefined || boundary === '') {
      warnings.add(`${contentType.type} without a boundary parameter (RFC 2046 §5.1.1); its parts cannot be found`);
    } else {
      open.push({ boundary, type: contentType.type });
    }
    return;
  }
  const disposition = parseContentType(fields.get('content-disposition')).type;
  if (!contentType.type.startsWith('text/') || disposition === 'attachment') return;
  const charset = contentType.params.get('charset');
  const problem = charset === undefined ? null : charsetProblem(charset);
  if (problem !== null) warnings.add(`${contentType.type} body: ${problem}`);
}

/**
 * A Content-Type or Content-Disposition value: `type/subtype` (default text/plain, RFC 2045 §5.2)
 * and its parameters, quoted strings unquoted and comments dropped (RFC 2045 §5.1 allows both; a
 * quoted boundary may itself contain parentheses). Enough for boundary and charset; RFC 2231
 * continuations are not needed for either in practice.
 */
function parseContentType(value: string | undefined): { type: string; params: Map<string, string> } {
  const params = new Map<string, string>();
  if (value === undefined) return { type: 'text/plain', params };
  const parts: string[] = [];
  let part = '';
  let quoted = false;
  let commentDepth = 0;
  for (let i = 0; i < value.length; i++) {
    const ch = value[i];
    if ((quoted || commentDepth > 0) && ch === '\\') {
      if (quoted) part += value[i + 1] ?? '';
      i++;
    } else if (commentDepth > 0) {
      if (ch === '(') commentDepth++;
      else if (ch === ')') commentDepth--;
    } else if (ch === '"') {
      quoted = !quoted;
    } else if (quoted) {
      part += ch;
    } else if (ch === '(') {
      commentDepth = 1;
    } else if (ch === ';') {
      parts.push(part);
      part = '';
    } else {
      part += ch;
    }
  }
  parts.push(part);
  const [type = '', ...rest] = parts;
  for (const param of rest) {
    const eq = param.indexOf('=');
    if (eq === -1) continue;
    params.set(param.slice(0, eq).trim().toLowerCase(), param.slice(eq + 1).trim());
  }
  return { type: type.trim().toLowerCase() || 'text/plain', params };
}

function quote(value: string): string {
  return JSON.stringify(value.length > 80 ? `${value.slice(0, 80)}…` : value);
}
