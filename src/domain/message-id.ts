import { BridgeError } from './errors.js';

/**
 * Message-ID handling (RFC 5322 §3.6.4).
 *
 * A msg-id is `"<" id-left "@" id-right ">"`. Real mail is sloppier than the grammar: ids arrive
 * without angle brackets, with comments or trailing garbage, or several to a header. Everything here
 * is lenient on input and strict on output: what comes out is always a single `<...>` token without
 * whitespace, or nothing.
 */

/** One bracketed token. No whitespace or nested brackets inside: RFC 5322 §3.6.4 has no FWS within a msg-id. */
const bracketedId = /<([^<>\s]+)>/g;
/** A bare `local@domain`, as broken clients write it; both sides non-empty, exactly one `@`. */
const bareId = /^[^\s<>@(),;:"]+@[^\s<>@(),;:"]+$/;
const sha256Hex = /^[0-9a-f]{64}$/i;

/**
 * The first Message-ID in a header value, as `<id>`, or null when there is none.
 * Accepts `<id>` anywhere in the value (so CFWS and comments around it are ignored, RFC 5322 §3.6.4
 * allows `[CFWS] "<" ... ">" [CFWS]`) or a bare `local@domain`, which is wrapped in brackets.
 */
export function normalizeMessageId(value: string): string | null {
  const trimmed = value.trim();
  if (trimmed === '') return null;
  for (const match of trimmed.matchAll(bracketedId)) {
    const inner = match[1];
    if (inner !== undefined) return `<${inner}>`;
  }
  // No bracketed token: accept a bare id only when the whole value is one, so that free text
  // ("see my previous mail") never becomes an id.
  const withoutComments = stripComments(trimmed).trim();
  return bareId.test(withoutComments) ? `<${withoutComments}>` : null;
}

/**
 * Every Message-ID of a References or In-Reply-To header (RFC 5322 §3.6.4), in header order, each
 * `<id>`, without repeats (compared by messageKey, so `<A@x>` and `<a@x>` count as one; the first
 * spelling wins). A header without any bracketed id but with whitespace-separated bare
 * `local@domain` ids (seen from broken clients) yields those ids wrapped in brackets.
 */
export function parseMessageIdList(header: string): string[] {
  const ids: string[] = [];
  for (const match of header.matchAll(bracketedId)) {
    if (match[1] !== undefined) ids.push(`<${match[1]}>`);
  }
  if (ids.length === 0) {
    for (const word of stripComments(header).split(/[\s,]+/)) {
      if (bareId.test(word)) ids.push(`<${word}>`);
    }
  }
  const seen = new Set<string>();
  return ids.filter((id) => {
    const key = messageKey(id);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/**
 * A stable Message-ID for a message that has none, derived from the SHA-256 of its raw bytes, so the
 * same message fetched from two mailboxes (or twice) gets the same id. The `.invalid` TLD is reserved
 * and never resolves (RFC 2606 §2), so the id cannot collide with one a real host generated.
 */
export function syntheticMessageId(contentHash: string): string {
  if (!sha256Hex.test(contentHash)) {
    throw new BridgeError('INVALID_INPUT', 'syntheticMessageId expects a SHA-256 hex digest');
  }
  return `<${contentHash.toLowerCase()}.synthetic@crm-bridge.invalid>`;
}

/** true for an identity made by syntheticMessageId (the message had no usable Message-ID). */
export function isSyntheticMessageId(messageId: string): boolean {
  return /\.synthetic@crm-bridge\.invalid>?$/i.test(messageId.trim());
}

/**
 * The comparison key for de-duplicating messages across mailboxes: the id without angle brackets,
 * lower-cased. RFC 5322 makes id-left case-sensitive, but servers and clients rewrite case often
 * enough that a case-sensitive key splits one conversation into two; a collision between ids that
 * differ only in case is far less likely than that.
 */
export function messageKey(messageId: string): string {
  const id = normalizeMessageId(messageId) ?? messageId.trim();
  const inner = id.startsWith('<') && id.endsWith('>') ? id.slice(1, -1) : id;
  return inner.toLowerCase();
}

/**
 * Removes RFC 5322 §3.2.2 comments, nested ones included, honouring quoted-pairs (`\)`), in one
 * linear pass so that a hostile header full of parentheses costs no more than its length. A comment
 * is CFWS, so it is replaced by a space. Shared with the other header helpers in src/mail.
 */
export function stripComments(value: string): string {
  let out = '';
  let depth = 0;
  for (let i = 0; i < value.length; i++) {
    const ch = value[i];
    if (depth > 0 && ch === '\\') {
      i++;
    } else if (ch === '(') {
      depth++;
      if (depth === 1) out += ' ';
    } else if (ch === ')' && depth > 0) {
      depth--;
    } else if (depth === 0) {
      out += ch;
    }
  }
  return out;
}
