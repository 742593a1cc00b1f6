/**
 * A stand-in for a message too large to download (over mail.maxMessageBytes): its own header
 * block, with the MIME headers replaced by a plain text body that says why the content is missing
 * and lists the attachments BODYSTRUCTURE described. It goes through the normal import (parse,
 * parties, correlation, Message-ID), so the activity has the real subject, parties, date and
 * threading, and a message seen at full size elsewhere is still the same activity (same Message-ID).
 */

import type { OversizedPart } from '../ports/mail.js';

export interface OversizedOutline {
  /** The header block as the server sent it (BODY[HEADER]), blank line included or not. */
  headers: Buffer;
  /** RFC822.SIZE. */
  size: number;
  attachments: readonly OversizedPart[];
}

/** Header fields that describe the original body (RFC 2045 §3, RFC 2183); the stand-in has its own. */
const BODY_FIELDS = new Set(['content-type', 'content-transfer-encoding', 'content-disposition', 'content-id', 'content-description', 'mime-version']);

/** `12.3 MB` (decimal megabytes, as mail clients show sizes), `800 kB`, `512 bytes`. */
export function formatBytes(bytes: number): string {
  if (bytes >= 1_000_000) return `${(bytes / 1_000_000).toFixed(1)} MB`;
  if (bytes >= 1_000) return `${Math.round(bytes / 1_000)} kB`;
  return `${bytes} bytes`;
}

/** Decoded size of a part: base64 carries 3 octets in 4 characters plus line breaks (RFC 2045 §6.8). */
export function decodedSize(part: Pick<OversizedPart, 'encodedSize' | 'encoding'>): number {
  if (part.encoding !== 'base64') return part.encodedSize;
  // 76 characters per line plus CRLF: 78 octets carry 57 decoded ones.
  return Math.floor((part.encodedSize * 57) / 78);
}

/** The header fields of `block` (RFC 5322 §2.2: a field continues on lines starting with WSP), minus the MIME ones. */
function keptHeaderLines(block: string): string[] {
  const kept: string[] = [];
  let keeping = false;
  for (const line of block.split(/\r?\n/)) {
    if (line === '') break; // the end of the header block
    if (line.startsWith(' ') || line.startsWith('\t')) {
      if (keeping) kept.push(line);
      continue;
    }
    const name = line.slice(0, Math.max(0, line.indexOf(':'))).trim().toLowerCase();
    keeping = name !== '' && !BODY_FIELDS.has(name);
    if (keeping) kept.push(line);
  }
  return kept;
}

/** The text the activity shows instead of the body. */
export function oversizedNote(outline: Pick<OversizedOutline, 'size' | 'attachments'>, maxBytes: number): string {
  const lines = [
    `This message is ${formatBytes(outline.size)}, larger than the ${formatBytes(maxBytes)} the bridge downloads (mail.maxMessageBytes).`,
    'Only its headers and structure were imported; the text and the attachments are in the mailbox.',
  ];
  if (outline.attachments.length > 0) {
    lines.push('', 'Attachments:');
    for (const part of outline.attachments) lines.push(`- ${part.filename ?? '(unnamed)'} (${part.contentType}, ${formatBytes(decodedSize(part))})`);
  }
  return `${lines.join('\r\n')}\r\n`;
}

/** The stand-in message (RFC 5322 + a text/plain UTF-8 body, RFC 2045/2046). */
export function oversizedStandIn(outline: OversizedOutline, maxBytes: number): Buffer {
  // latin1 keeps every octet of a raw 8-bit header as it was; the parser decodes RFC 2047 words.
  const headers = keptHeaderLines(outline.headers.toString('latin1'));
  const head = Buffer.from([...headers, 'MIME-Version: 1.0', 'Content-Type: text/plain; charset=utf-8', 'Content-Transfer-Encoding: 8bit', '', ''].join('\r\n'), 'latin1');
  return Buffer.concat([head, Buffer.from(oversizedNote(outline, maxBytes), 'utf8')]);
}
