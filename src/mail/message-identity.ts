/**
 * What makes two copies of mail the same message (pure).
 *
 * A Message-ID is chosen by the sender (RFC 5322 §3.6.4), so anyone can send a message with the
 * Message-ID of another one: to the shared mailbox before the genuine message is tracked, say.
 * De-duplicating by Message-ID alone would then file the genuine message under the stranger's
 * body and sender. So a message's identity is its Message-ID key AND a fingerprint of what it
 * says: From, Date, Subject, the bodies and the attachments. Copies of one message in several
 * folders or mailboxes (INBOX and CRM, Gmail labels, a shared and a personal mailbox, two
 * recipients) differ only in their trace and delivery headers (Received, Delivered-To, X-Spam-*),
 * which the fingerprint leaves out, so they stay one activity.
 *
 * A message without a Message-ID has a synthetic one from its identifying headers
 * (parse-message.ts), the same for a header-only fetch and the full message; the fingerprint
 * (the content) then tells apart two messages whose headers say the same.
 */
import { createHash } from 'node:crypto';
import { normalizeEmail } from '../domain/fields.js';
import type { ParsedMessage } from './parsed-message.js';

function sha256(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

function isAsciiSpace(code: number): boolean {
  return code === 0x20 || (code >= 0x09 && code <= 0x0d);
}

/**
 * SHA-256 of `text` with every run of ASCII whitespace as one space and none at either end:
 * whitespace differences (line ends rewritten CRLF <-> LF, re-wrapped transfer encodings, trailing
 * blanks) do not make another message. One pass that hashes slices in 64 KiB pieces: a regular
 * expression replace over a 20 MB body full of short lines took seconds of event loop.
 */
function collapsedHash(text: string | null): string {
  const hash = createHash('sha256');
  const value = text ?? '';
  let piece = '';
  let start = -1;
  let first = true;
  for (let i = 0; i <= value.length; i += 1) {
    const space = i === value.length || isAsciiSpace(value.charCodeAt(i));
    if (!space) {
      if (start < 0) start = i;
      continue;
    }
    if (start < 0) continue;
    piece += (first ? '' : ' ') + value.slice(start, i);
    first = false;
    start = -1;
    if (piece.length >= 65_536) {
      hash.update(piece);
      piece = '';
    }
  }
  hash.update(piece);
  return hash.digest('hex');
}

/** An attachment as the fingerprint sees it: the MIME parser's digest of the decoded content (so
 * large attachments are not hashed a second time) and its size. */
export interface AttachmentDigest {
  size: number;
  digest: string;
}

/** The fingerprint of a parsed message: SHA-256 hex over From, Date, Subject, text, HTML and the
 * attachments (also those left out for their size, so the limit does not change it). */
export function messageFingerprint(message: Pick<ParsedMessage, 'from' | 'date' | 'subject' | 'text' | 'html'>, attachments: readonly AttachmentDigest[]): string {
  const parts = [
    `from:${message.from.map((address) => normalizeEmail(address.address)).join(',')}`,
    `date:${message.date ?? ''}`,
    `subject:${collapsedHash(message.subject)}`,
    `text:${collapsedHash(message.text)}`,
    `html:${collapsedHash(message.html)}`,
    `attachments:${attachments.map((attachment) => `${attachment.size}:${attachment.digest}`).join(',')}`,
  ];
  return sha256(parts.join('\n'));
}

/** An e-mail activity already stored under the same Message-ID key. */
export interface StoredIdentity {
  id: string;
  /** '' when unknown: mail sent by the bridge, mail stored before fingerprints existed. */
  fingerprint: string;
}

export type IdentityMatch =
  /** The same message: add the new copy to `id`; `adopt`: store the fingerprint on it (it had none). */
  | { same: true; id: string; adopt: boolean }
  /** Another message: a new activity; `collidesWith` are the other messages with this Message-ID. */
  | { same: false; collidesWith: string[] };

/**
 * Which stored activity a copy with `fingerprint` belongs to: the one with the same fingerprint;
 * else the oldest without one (it cannot be told apart, and the bridge's own sent mail has none);
 * else none.
 */
export function matchIdentity(stored: readonly StoredIdentity[], fingerprint: string): IdentityMatch {
  const same = stored.find((entry) => entry.fingerprint === fingerprint);
  if (same) return { same: true, id: same.id, adopt: false };
  const unknown = stored.find((entry) => entry.fingerprint === '');
  if (unknown) return { same: true, id: unknown.id, adopt: true };
  return { same: false, collidesWith: stored.map((entry) => entry.id) };
}
