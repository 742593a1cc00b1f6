/**
 * HTML sanitizing that no mail body can turn into an event-loop stall.
 *
 * sanitize-html (htmlparser2 underneath) is not linear in its input: it keeps a stack of open
 * elements and walks it for every tag, so a body of unclosed `<div><span><b>` costs quadratic time
 * (measured: 0.25 MB takes 2.7 s, 1 MB 50 s; bench/RESULTS.md). A size cap alone would have to be a
 * few KB to keep that under 100 ms. So bodies above INLINE_LIMIT_CHARS are sanitized in a worker
 * thread with a deadline; a body that misses it is dropped (the worker is terminated and replaced)
 * and the caller keeps the text body and says why. Small bodies, the common case, stay inline:
 * their worst case is a few milliseconds, less than a round trip to the worker.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { htmlText } from './html-text.js';
import { sanitizeMailHtml } from './sanitize-html.js';
import type { SanitizeAnswer, SanitizeRequest } from './sanitize-thread.js';

/** Up to this many UTF-16 units the sanitizer runs inline: worst case (nested tags) ~10 ms. */
export const INLINE_LIMIT_CHARS = 16 * 1024;
/** Default deadline of one sanitizing in the worker. */
export const SANITIZE_TIMEOUT_MS = 5_000;

export type BoundedSanitize = { html: string; text: string | null } | { html: null; text: null; reason: string };

export interface SanitizeOptions {
  /** Deadline of the worker; default SANITIZE_TIMEOUT_MS. */
  timeoutMs?: number;
  /** Also convert the (unsanitized) HTML to text, as mailparser does for HTML-only mail. */
  withText?: boolean;
}

interface Pending {
  resolve: (answer: BoundedSanitize) => void;
  timer: NodeJS.Timeout;
}

/**
 * The worker script next to this module: JavaScript once built; under tsx/vitest (running the .ts
 * sources) the worker first registers tsx's loader, then imports the TypeScript entry.
 */
function startWorker(): Worker {
  if (!import.meta.url.endsWith('.ts')) return new Worker(new URL('./sanitize-thread.js', import.meta.url));
  const entry = new URL('./sanitize-thread.ts', import.meta.url).href;
  // tsx's ESM register API, found from this module (its `import` condition, not the CommonJS one).
  const tsxApi = pathToFileURL(join(dirname(createRequire(import.meta.url).resolve('tsx/package.json')), 'dist/esm/api/index.mjs')).href;
  return new Worker(`import(${JSON.stringify(tsxApi)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(entry)}); });`, { eval: true });
}

class SanitizerThread {
  private worker: Worker | null = null;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();

  sanitize(html: string, timeoutMs: number, withText: boolean): Promise<BoundedSanitize> {
    const worker = this.ensureWorker();
    const id = this.nextId++;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        // The worker may be stuck in this body for minutes: terminate it; the next body starts a new one.
        this.pending.delete(id);
        resolve({ html: null, text: null, reason: `sanitizing the HTML body took longer than ${timeoutMs} ms` });
        this.restart();
      }, timeoutMs);
      this.pending.set(id, { resolve, timer });
      const request: SanitizeRequest = { id, html, withText };
      worker.postMessage(request);
    });
  }

  private ensureWorker(): Worker {
    if (this.worker) return this.worker;
    const worker = startWorker();
    // Never keeps the process alive: `sync --once` exits when its work is done.
    worker.unref();
    worker.on('message', (answer: SanitizeAnswer) => {
      const pending = this.pending.get(answer.id);
      if (!pending) return;
      this.pending.delete(answer.id);
      clearTimeout(pending.timer);
      pending.resolve({ html: answer.html, text: answer.text });
    });
    const fail = (reason: string): void => {
      if (this.worker !== worker) return;
      this.worker = null;
      for (const [id, pending] of this.pending) {
        clearTimeout(pending.timer);
        pending.resolve({ html: null, text: null, reason });
        this.pending.delete(id);
      }
    };
    worker.on('error', (error) => fail(`the HTML sanitizer failed: ${error.message}`));
    worker.on('exit', (code) => fail(`the HTML sanitizer stopped (exit code ${code})`));
    this.worker = worker;
    return worker;
  }

  /** Drop the current worker: bodies still queued on it get a new worker. */
  private restart(): void {
    const worker = this.worker;
    this.worker = null;
    if (!worker) return;
    const waiting = [...this.pending.entries()];
    this.pending.clear();
    void worker.terminate();
    // Bodies queued behind the stuck one are sent again to a fresh worker, each with its own deadline.
    for (const [, pending] of waiting) {
      clearTimeout(pending.timer);
      pending.resolve({ html: null, text: null, reason: 'the HTML sanitizer was restarted after another body exceeded its deadline' });
    }
  }
}

const thread = new SanitizerThread();

/**
 * Sanitize an HTML mail body (the allowlist of sanitize-html.ts), and convert it to text when
 * asked, within the deadline; null with a reason when it could not be done in time.
 */
export async function sanitizeMailHtmlBounded(html: string, options: SanitizeOptions = {}): Promise<BoundedSanitize> {
  const withText = options.withText ?? false;
  if (html.length <= INLINE_LIMIT_CHARS) return { html: sanitizeMailHtml(html), text: withText ? htmlText(html) : null };
  return thread.sanitize(html, options.timeoutMs ?? SANITIZE_TIMEOUT_MS, withText);
}
