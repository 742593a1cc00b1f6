/**
 * Control characters in CRM text: the rule shared by the API schemas, mail ingestion and the
 * iCalendar/vCard writer.
 *
 * A single-line field (a name, a subject, a company, a location) never needs a control character,
 * and a line break in one is how text written into a line-based format (iCalendar RFC 5545 §3.1,
 * vCard RFC 6350 §3.2, a mail header RFC 5322 §2.2) would turn into a property or header of its
 * own. Refused or removed here: C0 controls except TAB (U+0000-U+0008, U+000A-U+001F), DEL
 * (U+007F), C1 controls (U+0080-U+009F, NEL among them) and the Unicode LINE and PARAGRAPH
 * SEPARATORs (U+2028, U+2029), which several parsers also split lines on. TAB stays: RFC 5545
 * §3.3.11 (TSAFE-CHAR includes WSP) and RFC 6350 §3.3 allow it in text, and it breaks no line.
 */

/* eslint-disable no-control-regex -- matching control characters is what these expressions are for */
const CONTROL = /[\u0000-\u0008\u000A-\u001F\u007F-\u009F\u2028\u2029]/;
const CONTROL_RUNS = /[\u0000-\u0008\u000A-\u001F\u007F-\u009F\u2028\u2029]+/g;
/** Every way a line may end: CRLF, CR, LF, NEL, LINE SEPARATOR, PARAGRAPH SEPARATOR. */
const LINE_BREAKS = /\r\n|[\r\n\u0085\u2028\u2029]/g;
const CONTROL_EXCEPT_LF = /[\u0000-\u0008\u000B-\u001F\u007F-\u009F]/g;
/* eslint-enable no-control-regex */

/** The first control character in `value` as `U+000D`, or null when it has none. */
export function firstControlCharacter(value: string): string | null {
  const match = CONTROL.exec(value);
  if (!match) return null;
  return `U+${match[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`;
}

/** `value` as one line: every run of control characters becomes one space (for display names and
 * subjects decoded from mail headers, where RFC 2047 lets a sender encode a CR). */
export function toSingleLine(value: string): string {
  return value.replace(CONTROL_RUNS, ' ');
}

/** Multi-line text with every line break as LF and the other control characters removed (for
 * descriptions and notes, which keep their lines). */
export function toMultiLine(value: string): string {
  return value.replace(LINE_BREAKS, '\n').replace(CONTROL_EXCEPT_LF, '');
}

/** `value` with every control character removed (for URIs and other values that have no escaping). */
export function withoutControlCharacters(value: string): string {
  return value.replace(CONTROL_RUNS, '');
}
