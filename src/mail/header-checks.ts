/** Checks of header encodings and charsets that mailparser decodes silently (RFC 2047, RFC 2046 charsets). */

import type { MailHeaders } from './classify.js';
import { quote, type WarningList } from './parse-warnings.js';

/** Display names of the address headers (RFC 5322 §3.6.2, §3.6.3), for warnings. */
export const ADDRESS_HEADER_NAMES: Record<string, string> = {
  from: 'From', sender: 'Sender', 'reply-to': 'Reply-To', to: 'To', cc: 'Cc', bcc: 'Bcc',
};

const ENCODED_WORD_HEADERS = ['subject', 'from', 'sender', 'reply-to', 'to', 'cc', 'bcc'];
/** RFC 2047 §2: encoded-word = "=?" charset "?" encoding "?" encoded-text "?=", no whitespace inside. */
const ENCODED_WORD_START = /=\?([^?\s]+)\?([bq])\?/gi;
/** Sticky, so the rest of a word is matched in place instead of on a copy of the rest of the header. */
const ENCODED_WORD_REST = /[^?\s]*\?=/y;

/**
 * Flags encoded words mailparser cannot decode and silently leaves as they are or decodes as
 * UTF-8: an unterminated one (shown raw, `=?UTF-8?Q?...`) and one in a charset we cannot decode.
 */
export function checkEncodedWords(headers: MailHeaders, warnings: WarningList): void {
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
export function charsetProblem(charset: string): string | null {
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
