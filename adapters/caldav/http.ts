// One HTTP exchange with a DAV server over Node's fetch: Basic auth (or an OAuth2 bearer token) on every request (servers
// such as Radicale answer 401 to anonymous PROPFINDs instead of sending a challenge first), a
// timeout that covers headers and body, and no interpretation of the status — callers decide,
// because DAV reuses statuses per method (412 on PUT, 207 with errors inside, 404 = deleted).

import { BridgeError } from '../../src/domain/errors.js';
import { abortError } from '../deadline.js';
import { fetchTrusting } from '../tls-trust.js';
import type { DavServerSettings } from '../../src/ports/dav.js';
import type { BearerTokens } from '../../src/ports/oauth.js';
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
  /**
   * The configured server URL: credentials go only to its origin (scheme, host, port), and to an
   * origin an RFC 6764 /.well-known redirect leads to (see trustRedirect). Requests elsewhere are
   * refused before they are sent. Absent: only the origin of the first request is trusted.
   */
  serverUrl?: string;
  /** PEM certificates trusted besides the system's roots (the connection's `tls.ca`, read). */
  tlsCa?: string;
  /** OAuth2: `Authorization: Bearer` (RFC 6750 §2.1) with these tokens instead of Basic. */
  bearer?: BearerTokens;
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
  /** What named this URL (e.g. "calendar-home-set of https://dav.example/p/"), for the refusal message. */
  pointedBy?: string;
}

/** A request refused because its origin is not the configured server's (INVALID_INPUT). */
export class ForeignOriginError extends BridgeError {
  constructor(
    message: string,
    readonly origin: string,
  ) {
    super('INVALID_INPUT', message);
    this.name = 'ForeignOriginError';
  }
}

/**
 * A redirect of a /.well-known request (RFC 6764 §5) moves the account to another origin, and the
 * credentials may follow it there only when it stays on https or on the same host: an http
 * redirect to another host would hand the password to whoever answers that name in clear text,
 * and a redirect from any other path is just a DAV server pointing elsewhere, which does not move
 * the account. Undici already drops Authorization on the redirect itself; this decides whether
 * later requests to the new origin carry it.
 */
export function trustRedirect(requested: URL, landed: URL): boolean {
  if (!requested.pathname.startsWith('/.well-known/')) return false;
  return landed.protocol === 'https:' || landed.hostname === requested.hostname;
}

const XML_CONTENT_TYPE = 'application/xml; charset=utf-8';

export class DavHttp {
  readonly username: string;
  private readonly authorization: string;
  private readonly timeoutMs: number;
  private readonly abort: AbortSignal | undefined;
  /** Largest response body read; see DavHttpOptions.maxResponseBytes. */
  readonly maxResponseBytes: number;
  /** Never in a message: the password, the encoded credentials and the access tokens sent. */
  private readonly secretSet = new Set<string>();
  private readonly bearer: BearerTokens | undefined;
  /** Origins that get the credentials: the configured server's, plus trusted well-known redirects. */
  private readonly trustedOrigins = new Set<string>();
  /** The fetch trusting the connection's CA; absent: the global fetch (looked up per request). */
  private readonly trustingFetch: typeof fetch | undefined;

  constructor(options: DavHttpOptions) {
    this.trustingFetch = options.tlsCa === undefined ? undefined : fetchTrusting(options.tlsCa);
    this.username = options.username;
    const token = Buffer.from(`${options.username}:${options.password}`, 'utf8').toString('base64');
    this.authorization = `Basic ${token}`;
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.abort = options.abort;
    this.maxResponseBytes = options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
    for (const secret of [options.password, token]) if (secret !== '') this.secretSet.add(secret);
    this.bearer = options.bearer;
    // An unparsable URL is discovery's CONFIG error to report; then the first request's origin is trusted.
    if (options.serverUrl !== undefined && URL.canParse(options.serverUrl)) this.trustedOrigins.add(new URL(options.serverUrl).origin);
  }

  get secrets(): readonly string[] {
    return [...this.secretSet];
  }

  /**
   * Refuses a request to an origin other than the configured server's: every DAV request carries
   * Basic credentials (RFC 7617), and a hostile or compromised server could otherwise point a
   * principal, home set or href (absolute, RFC 4918 §8.3) at a host of its own and collect them.
   */
  assertTrusted(method: string, url: string, pointedBy: string | undefined): void {
    let target: URL;
    try {
      target = new URL(url);
    } catch (error) {
      throw new BridgeError('INVALID_INPUT', `${describe(method, url, this.username)}: not a valid URL${pointedBy === undefined ? '' : ` (from ${pointedBy})`}`, { cause: error });
    }
    if (this.trustedOrigins.size === 0) this.trustedOrigins.add(target.origin);
    if (this.trustedOrigins.has(target.origin)) return;
    const allowed = [...this.trustedOrigins].join(', ');
    throw new ForeignOriginError(
      `refused ${method} to ${target.origin}: ${pointedBy ?? 'a DAV href'} points outside the configured server (${allowed}); credentials of ${this.username} are sent only there`,
      target.origin,
    );
  }

  /**
   * Sends the request; throws BridgeError only when no HTTP response arrived, or
   * ResponseTooLargeError (PAYLOAD_TOO_LARGE) when its body is larger than maxResponseBytes.
   */
  async request(method: string, url: string, init: DavRequestInit = {}): Promise<DavHttpResponse> {
    this.assertTrusted(method, url, init.pointedBy);
    if (this.bearer === undefined) return this.send(method, url, init, this.authorization);
    // RFC 6750 §3.1: 401 with error="invalid_token" when the token expired or was revoked; a
    // fresh one is tried once, and the body (a string) can be sent again as it was.
    const token = await this.bearerToken(() => this.bearer!.current());
    const first = await this.send(method, url, init, `Bearer ${token}`);
    if (first.status !== 401) return first;
    return this.send(method, url, init, `Bearer ${await this.bearerToken(() => this.bearer!.rejected(token))}`);
  }

  private async bearerToken(obtain: () => Promise<string>): Promise<string> {
    const token = await obtain();
    this.secretSet.add(token);
    return token;
  }

  private async send(method: string, url: string, init: DavRequestInit, authorization: string): Promise<DavHttpResponse> {
    const headers: Record<string, string> = { Authorization: authorization, ...init.headers };
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
      const res = await (this.trustingFetch ?? fetch)(url, {
        method,
        headers,
        ...(init.body !== undefined ? { body: init.body } : {}),
        // Redirects are followed (same method and body for 301/302/307/308 on non-POST); undici
        // drops Authorization when a redirect leaves the origin, so credentials stay put.
        redirect: 'follow',
        signal: deadline.signal,
      });
      const text = await readTextWithin(res, this.maxResponseBytes, describe(method, url, this.username));
      if (res.url && res.redirected && trustRedirect(new URL(url), new URL(res.url))) this.trustedOrigins.add(new URL(res.url).origin);
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
    serverUrl: settings.url,
    ...(settings.timeoutMs !== undefined ? { timeoutMs: settings.timeoutMs } : {}),
    ...(settings.maxResponseBytes !== undefined ? { maxResponseBytes: settings.maxResponseBytes } : {}),
    ...(abort !== undefined ? { abort } : {}),
    ...(settings.tlsCa !== undefined ? { tlsCa: settings.tlsCa } : {}),
    ...(settings.bearer !== undefined ? { bearer: settings.bearer } : {}),
  });
}
