/**
 * A mail message as the ingestion pipeline uses it, after MIME parsing (src/mail/parse-message.ts).
 * Header values are decoded (RFC 2047), addresses split (RFC 5322 §3.4), bodies decoded to UTF-8
 * whatever their declared charset.
 */

import type { MailAddress } from '../domain/mail-address.js';

export type MailClassification = 'normal' | 'auto_reply' | 'out_of_office' | 'bounce';

export interface ParsedAttachment {
  filename: string | null;
  contentType: string;
  content: Buffer;
  /** Content-ID of inline parts (cid: references in the HTML). */
  contentId: string | null;
  inline: boolean;
}

export interface ParsedMessage {
  /** `<local@domain>` with angle brackets, as in the header; synthetic when the message had none. */
  messageId: string;
  /** true when messageId was made from the content hash because the header was missing or empty. */
  syntheticMessageId: boolean;
  inReplyTo: string | null;
  /** RFC 5322 §3.6.4 References, oldest first, each `<...>`. */
  references: string[];
  /** Date header as ISO 8601, or null when missing/unparseable. */
  date: string | null;
  subject: string;
  from: MailAddress[];
  sender: MailAddress | null;
  replyTo: MailAddress[];
  to: MailAddress[];
  cc: MailAddress[];
  bcc: MailAddress[];
  text: string | null;
  /** Sanitized HTML: no scripts, event handlers, remote loads or forms. Never the raw HTML. */
  html: string | null;
  attachments: ParsedAttachment[];
  classification: MailClassification;
  /** SHA-256 (hex) of the raw message bytes. */
  contentHash: string;
  /** What the message says (From, Date, Subject, bodies, attachments; src/mail/message-identity.ts):
   * with the Message-ID, its identity. Copies in other folders and mailboxes have the same one. */
  fingerprint: string;
  size: number;
  /** Problems found while parsing that did not stop it (bad charset, broken header, ...). */
  warnings: string[];
}
