/**
 * The size cap on the mail bodies the bridge stores (mail.maxBodyBytes): a text or HTML body over
 * it is cut at a character boundary and ends with a note saying so, so the activity itself shows
 * that it is incomplete; the full message stays on the mail server. Pure.
 */

/** Default of mail.maxBodyBytes: far above any real text or HTML body (the mails with 5 MB of HTML are newsletters with inline images, which are attachments). */
export const MAX_BODY_BYTES = 1024 * 1024;

export interface LimitedBody {
  value: string;
  /** Size of the whole body in UTF-8 bytes when it was cut, else null. */
  cutFrom: number | null;
}

/** The longest prefix of `text` of at most `maxBytes` UTF-8 bytes, never splitting a code point. */
export function limitBody(text: string, maxBytes: number): LimitedBody {
  // UTF-8 needs at most 3 bytes per UTF-16 unit: short strings need no counting.
  if (text.length * 3 <= maxBytes) return { value: text, cutFrom: null };
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length <= maxBytes) return { value: text, cutFrom: null };
  let end = maxBytes;
  // Back up to the start of a UTF-8 sequence (continuation bytes are 10xxxxxx).
  while (end > 0 && (bytes[end]! & 0xc0) === 0x80) end -= 1;
  return { value: bytes.subarray(0, end).toString('utf8'), cutFrom: bytes.length };
}

export function truncationNote(cutFrom: number, maxBytes: number): string {
  return `[crm-bridge: this body has ${cutFrom} bytes; only the first ${maxBytes} are kept (mail.maxBodyBytes). The full message stays on the mail server.]`;
}
