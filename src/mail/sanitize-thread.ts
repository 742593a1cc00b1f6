/**
 * Worker-thread entry of the bounded HTML sanitizer (sanitize-bounded.ts): sanitizes each HTML
 * string it is sent (the same allowlist as the main thread) and, when asked, converts it to text
 * the way mailparser does for an HTML-only message; posts the result back.
 */
import { parentPort } from 'node:worker_threads';
import { htmlText } from './html-text.js';
import { sanitizeMailHtml } from './sanitize-html.js';

export interface SanitizeRequest {
  id: number;
  html: string;
  withText: boolean;
}

export interface SanitizeAnswer {
  id: number;
  html: string;
  text: string | null;
}

parentPort?.on('message', (request: SanitizeRequest) => {
  const answer: SanitizeAnswer = { id: request.id, html: sanitizeMailHtml(request.html), text: request.withText ? textOf(request.html) : null };
  parentPort?.postMessage(answer);
});


/** Like mailparser: a body its converter cannot read has no text version, but keeps its HTML. */
function textOf(html: string): string | null {
  try {
    return htmlText(html);
  } catch {
    return null;
  }
}
