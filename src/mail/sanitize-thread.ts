/**
 * Worker-thread entry of the bounded HTML sanitizer (sanitize-bounded.ts): sanitizes each HTML
 * string it is sent and posts the result back. Runs the same allowlist as the main thread.
 */
import { parentPort } from 'node:worker_threads';
import { sanitizeMailHtml } from './sanitize-html.js';

export interface SanitizeRequest {
  id: number;
  html: string;
}

export interface SanitizeAnswer {
  id: number;
  html: string;
}

parentPort?.on('message', (request: SanitizeRequest) => {
  const answer: SanitizeAnswer = { id: request.id, html: sanitizeMailHtml(request.html) };
  parentPort?.postMessage(answer);
});
