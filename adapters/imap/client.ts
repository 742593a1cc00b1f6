// Builds imapflow clients from the bridge's MailServerSettings. Every connection (session or
// watcher) gets a fresh ImapFlow instance from here: imapflow refuses a second connect() on an
// instance (InstanceReused), and DESIGN.md principle 7 says a closed client is replaced, not reused.

import { ImapFlow, type ImapFlowOptions } from 'imapflow';
import type { MailServerSettings } from '../../src/ports/mail.js';
import { withCa } from '../tls-trust.js';

export const DEFAULT_TIMEOUT_MS = 30_000;

/** mail.maxMessageBytes when the settings do not say (the configuration's default). */
export const DEFAULT_MAX_MESSAGE_BYTES = 50 * 1024 * 1024;
const MIB = 1024 * 1024;

/**
 * What imapflow may buffer for one literal, one line and one response. Its defaults (1 GiB literal,
 * 1 GiB line, 2 GiB response) let a server make the bridge hold gigabytes. The sync never asks for
 * a body larger than mail.maxMessageBytes (it knows RFC822.SIZE first), so a literal larger than
 * that (plus slack for a server that counts line ends differently) is a server lying about the size
 * and fails the connection instead of growing the heap. Header blocks and SEARCH answers (about 7
 * bytes per UID) get at least 16 MiB and 64 MiB, so a small configured limit does not break them.
 */
export function responseLimits(maxMessageBytes: number | undefined): { maxLiteralSize: number; maxLineLength: number; maxResponseSize: number } {
  const limit = maxMessageBytes !== undefined && Number.isInteger(maxMessageBytes) && maxMessageBytes > 0 ? maxMessageBytes : DEFAULT_MAX_MESSAGE_BYTES;
  const maxLiteralSize = Math.max(limit, 16 * MIB) + MIB;
  const maxLineLength = Math.max(maxLiteralSize, 64 * MIB);
  // Above both: the response also carries the literal's marker line and the FETCH framing.
  return { maxLiteralSize, maxLineLength, maxResponseSize: maxLineLength + MIB };
}

/** What a connection is for; only changes options that depend on how the connection is used. */
export interface ClientPurpose {
  /**
   * Start IDLE on its own when the connection is quiet (imapflow auto-IDLE). Sessions keep it on so
   * a selected folder is not dropped by the socket watchdog between commands; watchers drive IDLE
   * themselves.
   */
  autoIdle: boolean;
  /** Socket inactivity timeout; defaults to the settings' timeout. */
  socketTimeoutMs?: number;
  /** How often a running IDLE is re-issued (RFC 2177 §3: at least every 29 minutes). */
  maxIdleTimeMs?: number;
}

export function timeoutOf(settings: MailServerSettings): number {
  const ms = settings.timeoutMs;
  return ms !== undefined && Number.isFinite(ms) && ms > 0 ? ms : DEFAULT_TIMEOUT_MS;
}

/** `alice@example.com at 127.0.0.1:1143`: who and where, for error messages (never the password). */
export function describeAccount(settings: Pick<MailServerSettings, 'host' | 'port' | 'username'>): string {
  return `${settings.username} at ${settings.host}:${settings.port}`;
}

/**
 * `accessToken`: sign in with OAuth2. imapflow then uses AUTHENTICATE OAUTHBEARER when the server
 * announces it (RFC 7628 §3.1) and XOAUTH2 (Google's and Microsoft's older mechanism) otherwise.
 */
/** What must never appear in an error message of this connection. */
export function secretsOf(settings: Pick<MailServerSettings, 'password'>, accessToken: string | undefined): string[] {
  return [settings.password, ...(accessToken === undefined ? [] : [accessToken])].filter((secret) => secret !== '');
}

export function createImapClient(settings: MailServerSettings, purpose: ClientPurpose, accessToken?: string): ImapFlow {
  const timeoutMs = timeoutOf(settings);
  const options: ImapFlowOptions = {
    host: settings.host,
    port: settings.port,
    // `secure` is implicit TLS from the first byte (RFC 8314 §3.2, port 993); `doSTARTTLS: true`
    // makes the upgrade mandatory (RFC 3501 §6.2.1), so a server or an attacker that strips the
    // STARTTLS capability fails the connection instead of silently sending the password in clear.
    // `none` must say doSTARTTLS: false explicitly, else imapflow upgrades opportunistically.
    secure: settings.security === 'tls',
    doSTARTTLS: settings.security === 'starttls',
    tls: { rejectUnauthorized: !settings.allowInsecureTls, ...withCa(settings.tlsCa) },
    auth: accessToken === undefined ? { user: settings.username, pass: settings.password } : { user: settings.username, accessToken },
    // No logger at all: imapflow's debug output would carry mailbox contents, and credentials are
    // only masked on a best-effort basis. Failures reach us as error objects instead.
    logger: false,
    // ENABLE QRESYNC (RFC 7162 §3.2.3) when the server offers it; imapflow then also turns on
    // CONDSTORE and asks for VANISHED in UID FETCH ... CHANGEDSINCE. Without the capability
    // imapflow only ENABLEs CONDSTORE.
    qresync: true,
    connectionTimeout: timeoutMs,
    greetingTimeout: timeoutMs,
    socketTimeout: purpose.socketTimeoutMs ?? timeoutMs,
    disableAutoIdle: !purpose.autoIdle,
    ...responseLimits(settings.maxMessageBytes),
    ...(purpose.maxIdleTimeMs !== undefined ? { maxIdleTime: purpose.maxIdleTimeMs } : {}),
  };
  return new ImapFlow(options);
}

/** LOGOUT (RFC 3501 §6.1.3) when the connection is usable, bounded in time, then drop the socket. */
export async function closeClient(client: ImapFlow, waitMs: number): Promise<void> {
  if (client.usable) {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      client.logout().catch(() => undefined),
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, waitMs);
      }),
    ]);
    clearTimeout(timer);
  }
  client.close();
}
