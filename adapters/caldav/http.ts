// One HTTP exchange with a DAV server over Node's fetch: Basic auth on every request (servers
// such as Radicale answer 401 to anonymous PROPFINDs instead of sending a challenge first), a
// timeout that covers headers and body, and no interpretation of the status — callers decide,
// because DAV reuses statuses per method (412 on PUT, 207 with errors inside, 404 = deleted).

import type { BridgeError } from '../../src/domain/errors.js';
import { abortError } from '../deadline.js';
import type { DavServerSettings } from '../../src/sync/dav-ports.js';
import { describe, fetchError, statusError } from './parse-dav-error.js';
import { DEFAULT_MAX_RESPONSE_BYTES, readTextWithin } from './read-body.js';

export const DEFAULT_TIMEOUT_MS = 30_000;

export interface DavHttpOptions {
  username: string;
  password: string;
  /** Overall time of one request, headers and body (sync.commandTimeoutSeconds). */
  timeoutMs?: number;
  /** The source's pass deadline: aborts the request in flight and fails every later one. */
  abort?: AbortSignal;
  /** Largest response body read (`sync.maxDavResponseBytes`); larger ones fail with ResponseTooLargeError. */
  maxResponseBytes?: number;
}

export interface DavHttpResponse {
  status: number;
  headers: Headers;
  text: string;
  /** The URL that answered, after redirects (RFC 6764 §5: well-known URIs redirect). */
  url: string;
}

export interface DavRequestInit {
  headers?: Record<string, string>;
  body?: string;
  /** RFC 4918 §10.2; omitted when undefined. */
  depth?: '0' | '1' | 'infinity';
}

const XML_CONTENT_TYPE = 'application/xml; charset=utf-8';

export class DavHttp {
  readonly username: string;
  private readonly authorization: string;
  private readonly timeoutMs: number;
  private readonly abort: AbortSignal | undefined;
  /** Largest response body read; see DavHttpOptions.maxResponseBytes. */
  readonly maxResponseBytes: number;
  /** Never in a message: the password and the encoded credentials. */
  readonly secrets: readonly string[];

  constructor(options: DavHttpOptions) {
    this.username = options.username;
    const token = Buffer.from(`${options.username}:${options.password}`, 'utf8').toString('base64');
    this.authorization = `Basic ${token}`;
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.abort = options.abort;
    this.maxResponseBytes = options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
    this.secrets = [options.password, token];
  }

  /**
   * Sends the request; throws BridgeError only when no HTTP response arrived, or
   * ResponseTooLargeError (PAYLOAD_TOO_LARGE) when its body is larger than maxResponseBytes.
   */
  async request(method: string, url: string, init: DavRequestInit = {}): Promise<DavHttpResponse> {
    const headers: Record<string, string> = { Authorization: this.authorization, ...init.headers };
    if (init.depth !== undefined) headers['Depth'] = init.depth;
    // Xandikos answers 415 to an XML body without a Content-Type.
    if (init.body !== undefined && headers['Content-Type'] === undefined) headers['Content-Type'] = XML_CONTENT_TYPE;
    // One deadline for headers AND body: undici's own headersTimeout/bodyTimeout are inactivity
    // timers that a server dripping a byte every few seconds never trips. A controller of our own
    // rather than AbortSignal.any([AbortSignal.timeout(), abort]): on Node 20 the composite holds
    // the timeout signal only weakly, and after a garbage collection it never fires.
    const deadline = new AbortController();
    const timer = setTimeout(() => deadline.abort(new DOMException(`no answer within ${this.timeoutMs} ms`, 'TimeoutError')), this.timeoutMs);
    const onAbort = () => deadline.abort(this.abort?.reason);
    if (this.abort?.aborted) onAbort();
    else this.abort?.addEventListener('abort', onAbort, { once: true });
    try {
      const res = await fetch(url, {
        method,
        headers,
        ...(init.body !== undefined ? { body: init.body } : {}),
        // Redirects are followed (same method and body for 301/302/307/308 on non-POST); undici
        // drops Authorization when a redirect leaves the origin, so credentials stay put.
        redirect: 'follow',
        signal: deadline.signal,
      });
      const text = await readTextWithin(res, this.maxResponseBytes, describe(method, url, this.username));
      return { status: res.status, headers: res.headers, text, url: res.url || url };
    } catch (error) {
      if (this.abort?.aborted) throw abortError(this.abort, describe(method, url, this.username));
      throw fetchError(error, method, url, { secrets: this.secrets, username: this.username, timeoutMs: this.timeoutMs });
    } finally {
      clearTimeout(timer);
      this.abort?.removeEventListener('abort', onAbort);
    }
  }

  /** The BridgeError for an unexpected status of `res`. */
  fail(method: string, url: string, res: Pick<DavHttpResponse, 'status' | 'text'>): BridgeError {
    return statusError(method, url, res.status, res.text, { secrets: this.secrets, username: this.username });
  }
}

/** The DavHttp for a configured server: its credentials, timeout and response size limit. */
export function davHttpFor(settings: DavServerSettings, abort?: AbortSignal): DavHttp {
  return new DavHttp({
    username: settings.username,
    password: settings.password,
    ...(settings.timeoutMs !== undefined ? { timeoutMs: settings.timeoutMs } : {}),
    ...(settings.maxResponseBytes !== undefined ? { maxResponseBytes: settings.maxResponseBytes } : {}),
    ...(abort !== undefined ? { abort } : {}),
  });
}
