/**
 * The text version of an HTML-only mail body, as mailparser makes it (html-to-text with
 * mailparser's nesting limit). The bridge asks mailparser not to convert (its conversion runs on
 * the event loop, with a cost the sender controls) and converts in sanitize-thread.ts instead.
 */
import { convert } from 'html-to-text';

/** mailparser's own nesting limit for its HTML-to-text conversion. */
const MAX_HTML_NESTING_DEPTH = 1000;

export function htmlText(html: string): string {
  return convert(html, { limits: { maxDepth: MAX_HTML_NESTING_DEPTH } });
}
