// A real SMTP server for integration tests, built on the `smtp-server` package: plain SMTP
// on a free loopback port (no TLS), optional AUTH PLAIN/LOGIN checked against Dovecot's
// passwd-file, recipients checked against the same file (unknown ones get a 550 like a
// real MTA), and every accepted message delivered into the Dovecot mailboxes over LMTP.
// It runs inside the calling Node process (vitest's main process for the test suite).

import { createWriteStream } from 'node:fs';
import { join } from 'node:path';
import { format } from 'node:util';
import nodemailer from 'nodemailer';
import {
  SMTPServer,
  type SMTPServerAuthentication,
  type SMTPServerAuthenticationResponse,
  type SMTPServerDataStream,
  type SMTPServerSession,
} from 'smtp-server';
import type { DovecotInfo, SmtpInfo } from './types.js';
import { readDovecotUsers } from './users.js';
import { LOOPBACK, makeTempDir, readGreeting, readLogTail, removeDir, trackLeftover } from './util.js';

export const SMTP_HOSTNAME = 'smtp.example.test';
const MAX_MESSAGE_BYTES = 25 * 1024 * 1024;

export interface SmtpServerHandle {
  info: SmtpInfo;
  stop(): Promise<void>;
}

export interface StartSmtpOptions {
  /** Where to deliver: the LMTP listener of a running test Dovecot. */
  dovecot: Pick<DovecotInfo, 'host' | 'lmtpPort' | 'passwdFile'>;
  /**
   * Also take AUTH XOAUTH2, checking each access token at this RFC 7662 introspection endpoint
   * (as a resource server: with its own client credentials) and requiring `sub` to be the user.
   */
  oauth2?: { introspectionUrl: string; clientId: string; clientSecret: string };
}

/** RFC 7662 §2: POST token=..., authenticated as the resource server; `active` and `sub` decide. */
async function introspectedUser(oauth2: NonNullable<StartSmtpOptions['oauth2']>, token: string): Promise<string | undefined> {
  const response = await fetch(oauth2.introspectionUrl, {
    method: 'POST',
    headers: { Authorization: `Basic ${Buffer.from(`${oauth2.clientId}:${oauth2.clientSecret}`).toString('base64')}`, 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ token }),
  });
  const answer = (await response.json()) as { active?: boolean; sub?: string };
  return answer.active === true && typeof answer.sub === 'string' ? answer.sub.toLowerCase() : undefined;
}

class SmtpReplyError extends Error {
  readonly responseCode: number;
  constructor(responseCode: number, message: string) {
    super(message);
    this.responseCode = responseCode;
  }
}

function domainOf(address: string): string {
  const at = address.lastIndexOf('@');
  return at < 0 ? '' : address.slice(at + 1).toLowerCase();
}

async function readAll(stream: SMTPServerDataStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

export async function startSmtp(options: StartSmtpOptions): Promise<SmtpServerHandle> {
  const { dovecot } = options;
  const dataDir = await makeTempDir('smtp');
  const untrack = trackLeftover({ pgid: undefined, dir: dataDir });
  const logFile = join(dataDir, 'smtp.log');
  const log = createWriteStream(logFile, { flags: 'a' });
  const write = (level: string, args: unknown[]): void => {
    // smtp-server logs bunyan-style: (fieldsObject, formatString, ...args)
    const rest = args.length > 0 && typeof args[0] === 'object' && args[0] !== null ? args.slice(1) : args;
    log.write(`${new Date().toISOString()} ${level} ${format(...rest)}\n`);
  };
  const logger = {
    trace: (...a: unknown[]) => write('trace', a),
    debug: (...a: unknown[]) => write('debug', a),
    info: (...a: unknown[]) => write('info', a),
    warn: (...a: unknown[]) => write('warn', a),
    error: (...a: unknown[]) => write('error', a),
    fatal: (...a: unknown[]) => write('fatal', a),
  };

  const lmtp = nodemailer.createTransport({
    host: dovecot.host,
    port: dovecot.lmtpPort,
    lmtp: true,
    secure: false,
    ignoreTLS: true,
    name: SMTP_HOSTNAME,
    connectionTimeout: 10_000,
    socketTimeout: 30_000,
  });

  const localUsers = async (): Promise<Map<string, string>> => readDovecotUsers(dovecot.passwdFile);

  const server = new SMTPServer({
    name: SMTP_HOSTNAME,
    banner: 'crm-bridge test MTA',
    secure: false,
    disabledCommands: ['STARTTLS'],
    hideSTARTTLS: true,
    authMethods: options.oauth2 ? ['PLAIN', 'LOGIN', 'XOAUTH2'] : ['PLAIN', 'LOGIN'],
    authOptional: true,
    allowInsecureAuth: true,
    disableReverseLookup: true,
    size: MAX_MESSAGE_BYTES,
    closeTimeout: 2000,
    logger,

    onAuth(
      auth: SMTPServerAuthentication,
      _session: SMTPServerSession,
      callback: (err: Error | null | undefined, response?: SMTPServerAuthenticationResponse) => void,
    ): void {
      const username = (auth.username ?? '').toLowerCase();
      const { oauth2 } = options;
      if (auth.method === 'XOAUTH2' && oauth2) {
        introspectedUser(oauth2, auth.accessToken ?? '').then(
          (user) => {
            // Google's XOAUTH2 failure: 535 after the JSON status challenge (smtp-server sends it).
            if (user !== undefined && user === username) callback(null, { user: username });
            else callback(null, { data: { status: '401', schemes: 'bearer', scope: 'mail' } });
          },
          (err: unknown) => callback(new SmtpReplyError(454, `4.7.0 Temporary authentication failure: ${String(err)}`)),
        );
        return;
      }
      localUsers().then(
        (users) => {
          const expected = users.get(username);
          if (expected !== undefined && typeof auth.password === 'string' && auth.password === expected) {
            callback(null, { user: username });
          } else {
            callback(new SmtpReplyError(535, '5.7.8 Authentication credentials invalid'));
          }
        },
        (err: unknown) => callback(new SmtpReplyError(454, `4.7.0 Temporary authentication failure: ${String(err)}`)),
      );
    },

    onRcptTo(address, _session, callback): void {
      const rcpt = address.address.toLowerCase();
      localUsers().then(
        (users) => {
          if (users.has(rcpt)) {
            callback();
            return;
          }
          const localDomains = new Set([...users.keys()].map(domainOf));
          const reason = localDomains.has(domainOf(rcpt))
            ? `5.1.1 <${address.address}>: Recipient address rejected: User unknown in local recipient table`
            : `5.1.1 <${address.address}>: Recipient address rejected: no such mailbox on this test server`;
          callback(new SmtpReplyError(550, reason));
        },
        (err: unknown) => callback(new SmtpReplyError(451, `4.3.0 Temporary lookup failure: ${String(err)}`)),
      );
    },

    onData(stream, session, callback): void {
      readAll(stream)
        .then(async (body) => {
          if (stream.sizeExceeded) {
            throw new SmtpReplyError(552, '5.3.4 Message exceeds fixed maximum message size');
          }
          const from = session.envelope.mailFrom === false ? '' : session.envelope.mailFrom.address;
          const to = session.envelope.rcptTo.map((r) => r.address);
          const received =
            `Received: from ${session.hostNameAppearsAs || 'unknown'} ([${session.remoteAddress}])\r\n` +
            `\tby ${SMTP_HOSTNAME} (crm-bridge test MTA) with ${session.transmissionType} id ${session.id}\r\n` +
            `\tfor <${to.join('>, <')}>; ${new Date().toUTCString()}\r\n`;
          const raw = Buffer.concat([Buffer.from(received, 'latin1'), body]);
          const result = await lmtp.sendMail({ envelope: { from, to }, raw });
          const rejected = (result.rejected as unknown[]).map(String);
          write('info', [`[${session.id}] delivered via LMTP to ${to.join(', ')}: ${result.response}`]);
          if (rejected.length > 0) {
            throw new SmtpReplyError(451, `4.3.0 LMTP delivery failed for ${rejected.join(', ')}`);
          }
          callback(null, `2.0.0 Ok: queued as ${session.id}`);
        })
        .catch((err: unknown) => {
          write('error', [`[${session.id}] delivery failed: ${err instanceof Error ? err.message : String(err)}`]);
          callback(
            err instanceof SmtpReplyError
              ? err
              : new SmtpReplyError(451, `4.3.0 Local delivery failed: ${err instanceof Error ? err.message : String(err)}`),
          );
        });
    },
  });

  let closed = false;
  const stop = async (): Promise<void> => {
    if (!closed) {
      closed = true;
      await new Promise<void>((resolve) => server.close(() => resolve()));
      lmtp.close();
      await new Promise<void>((resolve) => log.end(() => resolve()));
    }
    await removeDir(dataDir);
    untrack();
  };

  try {
    // In-process: listen on port 0 directly, no race for the port.
    const port = await new Promise<number>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, LOOPBACK, () => {
        server.off('error', reject);
        const addr = server.server.address();
        if (addr === null || typeof addr === 'string') reject(new Error('SMTP server has no TCP address'));
        else resolve(addr.port);
      });
    });
    server.on('error', (err) => write('error', [`server error: ${err.message}`]));
    const greeting = await readGreeting(LOOPBACK, port);
    if (!greeting.startsWith('220')) throw new Error(`unexpected SMTP greeting: ${greeting}`);
    // Delivery target must be up too.
    const lmtpGreeting = await readGreeting(dovecot.host, dovecot.lmtpPort);
    if (!lmtpGreeting.startsWith('220')) throw new Error(`unexpected LMTP greeting: ${lmtpGreeting}`);
    const localDomains = [...new Set([...(await localUsers()).keys()].map(domainOf))].filter((d) => d !== '');
    return {
      info: { host: LOOPBACK, port, localDomains, logFile, dataDir },
      stop,
    };
  } catch (err) {
    const msg = err instanceof Error ? err.message : String(err);
    const tail = readLogTail(logFile);
    await stop();
    throw new Error(`SMTP test server did not start: ${msg}\n--- log ${logFile} ---\n${tail}`);
  }
}
