// Contract tests of the SMTP adapter (adapters/smtp) against the harness's SMTP server, which
// delivers into Dovecot over LMTP: composed messages arrive byte-for-byte (only trace fields are
// prepended), Bcc recipients get the message without a Bcc field, partial and total recipient
// refusals, AUTH failures without the password in the message, and an unreachable server. A small
// scripted smtp-server instance answers with the 4yz/5yz replies the harness never gives.

import { randomBytes } from 'node:crypto';
import { createServer, type Socket } from 'node:net';
import { inspect } from 'node:util';
import { simpleParser } from 'mailparser';
import { SMTPServer, type SMTPServerDataStream } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { SmtpSender } from '../../../adapters/smtp/index.js';
import { BridgeError } from '../../../src/domain/errors.js';
import type { OutgoingMessage } from '../../../src/ports/sending.js';
import type { MailServerSettings } from '../../../src/ports/mail.js';
import { createMailUsers, type Credentials } from '../../servers/users.js';
import { startDrippingServer } from '../../servers/dripping-server.js';
import { findFreePort } from '../../servers/util.js';
import { imapClient } from '../../support/mail.js';

const servers = inject('servers');
const smtp = new SmtpSender();

function newId(): string {
  return `<${randomBytes(8).toString('hex')}@bridge.example>`;
}

function outgoing(extra: Partial<OutgoingMessage> & Pick<OutgoingMessage, 'from' | 'to'>): OutgoingMessage {
  return { subject: 'Hello', text: 'Hello there.', messageId: newId(), date: new Date(), ...extra };
}

async function failure(promise: Promise<unknown>): Promise<BridgeError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(BridgeError);
  return error as BridgeError;
}

/** The header block of a message, unfolded, as `name: value` lines. */
function headerLines(source: Buffer): string[] {
  const text = source.toString('latin1');
  const end = text.indexOf('\r\n\r\n');
  return text
    .slice(0, end)
    .replace(/\r\n[ \t]/g, ' ')
    .split('\r\n');
}

/** Poll the user's INBOX over IMAP until the message with this Message-ID is there; its full source. */
async function delivered(user: Credentials, messageId: string, timeoutMs = 5000): Promise<Buffer> {
  const client = await imapClient(servers, user.username, user.password);
  try {
    const lock = await client.getMailboxLock('INBOX');
    try {
      const until = Date.now() + timeoutMs;
      for (;;) {
        await client.noop();
        const uids = await client.search({ header: { 'message-id': messageId } }, { uid: true });
        const uid = uids === false || uids === undefined ? undefined : uids[0];
        if (uid !== undefined) {
          const message = await client.fetchOne(String(uid), { source: true }, { uid: true });
          if (message === false || message.source === undefined) throw new Error('fetched no source');
          return message.source;
        }
        if (Date.now() > until) throw new Error(`${messageId} did not arrive in ${user.username}'s INBOX within ${timeoutMs} ms`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    } finally {
      lock.release();
    }
  } finally {
    await client.logout();
  }
}

describe('SmtpSender against the harness SMTP server', () => {
  let from: Credentials;
  let alice: Credentials;
  let bob: Credentials;
  let carol: Credentials;

  beforeAll(async () => {
    [from, alice, bob, carol] = (await createMailUsers(servers, ['smtp-from', 'smtp-alice', 'smtp-bob', 'smtp-carol'])) as [Credentials, Credentials, Credentials, Credentials];
  });

  function settings(extra: Partial<MailServerSettings> = {}): MailServerSettings {
    return {
      host: servers.smtp.host,
      port: servers.smtp.port,
      security: 'none',
      username: from.username,
      password: from.password,
      allowInsecureTls: false,
      timeoutMs: 10_000,
      ...extra,
    };
  }

  it('delivers a composed message byte-for-byte to every recipient, Bcc only in the envelope', async () => {
    const message = outgoing({
      from: { address: from.username, name: 'Jürgen Ünlü (Vertrieb)' },
      to: [{ address: alice.username, name: 'Alice Ärger' }],
      bcc: [{ address: bob.username, name: 'Bob Blind' }],
      replyTo: { address: 'sales@example.com', name: 'Sales' },
      subject: 'Angebot für Q3 – Grüße aus Köln 😀, with a subject long enough to be folded over several lines',
      inReplyTo: '<orig-1@acme.example>',
      references: ['<root@acme.example>', '<orig-1@acme.example>'],
      date: new Date('2030-05-06T07:08:09Z'),
      headers: { 'X-CRM-Bridge-Activity': 'act_01TEST' },
      // A line that is a lone dot would end the DATA phase if it were not dot-stuffed (RFC 5321
      // §4.5.2); a lone LF would be a bare newline on the wire.
      text: 'Hallo Alice,\n.\n..two dots\nGrüße\n',
      html: '<p>Hallo Alice,</p><p>Grüße</p>',
    });
    const raw = await smtp.compose(message);
    expect(headerLines(raw).some((line) => /^bcc:/i.test(line))).toBe(false);
    expect(raw.toString('latin1')).not.toContain(bob.username);
    expect(raw.toString('latin1')).toContain('\r\nX-CRM-Bridge-Activity: act_01TEST\r\n');
    // 7-bit only: non-ASCII is in encoded-words (RFC 2047) and quoted-printable bodies.
    expect(raw.every((byte) => byte < 0x80)).toBe(true);

    const result = await smtp.send(settings(), { from: from.username, to: [alice.username, bob.username] }, raw);
    expect([...result.accepted].sort()).toEqual([alice.username, bob.username].sort());
    expect(result.rejected).toEqual([]);
    expect(result.response).toMatch(/^250 /);

    for (const user of [alice, bob]) {
      const source = await delivered(user, message.messageId);
      // Byte-for-byte: the delivered source is the composed message with trace fields in front.
      expect(source.subarray(source.length - raw.length).equals(raw)).toBe(true);
      const trace = source
        .subarray(0, source.length - raw.length)
        .toString('latin1')
        .replace(/\r\n[ \t]/g, ' ')
        .split('\r\n')
        .filter((line) => line !== '');
      for (const line of trace) expect(line).toMatch(/^(Return-Path|Delivered-To|Received):/);

      const parsed = await simpleParser(source);
      expect(parsed.subject).toBe(message.subject);
      expect(parsed.messageId).toBe(message.messageId);
      expect(parsed.inReplyTo).toBe('<orig-1@acme.example>');
      expect(parsed.references).toEqual(['<root@acme.example>', '<orig-1@acme.example>']);
      expect(parsed.headers.has('bcc')).toBe(false);
      expect(parsed.from?.value).toEqual([{ address: from.username, name: 'Jürgen Ünlü (Vertrieb)' }]);
      expect(parsed.to && !Array.isArray(parsed.to) ? parsed.to.value : undefined).toEqual([{ address: alice.username, name: 'Alice Ärger' }]);
      expect(parsed.replyTo?.value).toEqual([{ address: 'sales@example.com', name: 'Sales' }]);
      expect(parsed.date?.toISOString()).toBe('2030-05-06T07:08:09.000Z');
      expect(parsed.text).toBe('Hallo Alice,\n.\n..two dots\nGrüße\n');
      expect(parsed.html).toBe('<p>Hallo Alice,</p><p>Grüße</p>');
      expect(parsed.headers.get('x-crm-bridge-activity')).toBe('act_01TEST');
    }
  });

  it('sends without AUTH when no username is configured', async () => {
    const message = outgoing({ from: { address: 'noreply@example.com' }, to: [{ address: carol.username }] });
    const result = await smtp.send(settings({ username: '', password: '' }), { from: 'noreply@example.com', to: [carol.username] }, await smtp.compose(message));
    expect(result.accepted).toEqual([carol.username]);
    expect((await delivered(carol, message.messageId)).length).toBeGreaterThan(0);
  });

  it('reports a refused login as AUTH without the password', async () => {
    const password = 'Wr0ng-Pa55word-1e9c';
    const raw = await smtp.compose(outgoing({ from: { address: from.username }, to: [{ address: alice.username }] }));
    const error = await failure(smtp.send(settings({ password }), { from: from.username, to: [alice.username] }, raw));
    expect(error.code).toBe('AUTH');
    expect(error.message).toBe(`SMTP server ${servers.smtp.host}:${servers.smtp.port} refused the login of ${from.username}: 535 5.7.8 Authentication credentials invalid`);
    expect(inspect(error, { depth: 10 })).not.toContain(password);
    expect(inspect(error, { depth: 10 })).not.toContain(Buffer.from(password).toString('base64').slice(0, 12));
  });

  it('reports a closed port as TEMPORARY, quickly', async () => {
    const port = await findFreePort();
    const raw = await smtp.compose(outgoing({ from: { address: from.username }, to: [{ address: alice.username }] }));
    const started = Date.now();
    const error = await failure(smtp.send(settings({ port }), { from: from.username, to: [alice.username] }, raw));
    expect(Date.now() - started).toBeLessThan(2000);
    expect(error.code).toBe('TEMPORARY');
    expect(error.message).toBe(`SMTP server ${servers.smtp.host}:${port} is unreachable (ECONNREFUSED)`);
  });

  it('gives up on a server that accepts the connection but never greets, after timeoutMs', async () => {
    const sockets = new Set<Socket>();
    const silent = createServer((socket) => {
      sockets.add(socket);
      socket.on('error', () => undefined);
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const address = silent.address();
    if (address === null || typeof address === 'string') throw new Error('no port');
    try {
      const raw = await smtp.compose(outgoing({ from: { address: from.username }, to: [{ address: alice.username }] }));
      const started = Date.now();
      const error = await failure(smtp.send(settings({ host: '127.0.0.1', port: address.port, timeoutMs: 300 }), { from: from.username, to: [alice.username] }, raw));
      expect(Date.now() - started).toBeGreaterThanOrEqual(250);
      expect(Date.now() - started).toBeLessThan(2000);
      expect(error.code).toBe('TEMPORARY');
      // The greeting and the idle-socket timer both run for timeoutMs; either may fire first.
      expect(error.message).toMatch(new RegExp(`^SMTP server 127\\.0\\.0\\.1:${address.port} did not answer in time \\((GREETING|SOCKET)_TIMEOUT\\)$`));
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }
  });

  it('gives up on a server that greets and then drips its EHLO reply, at the overall deadline (sync.commandTimeoutSeconds)', async () => {
    // A byte every 200 ms: the idle-socket timer (timeoutMs 1000) never fires.
    const drip = await startDrippingServer({ greeting: '220 drip.example ESMTP\r\n', dripFrom: 'request', drip: '250-still thinking ', intervalMs: 200 });
    try {
      const raw = await smtp.compose(outgoing({ from: { address: from.username }, to: [{ address: alice.username }] }));
      const started = Date.now();
      const error = await failure(smtp.send(settings({ host: drip.host, port: drip.port, timeoutMs: 1000, commandTimeoutMs: 2000 }), { from: from.username, to: [alice.username] }, raw));
      expect(Date.now() - started).toBeLessThan(15_000);
      expect(error.code).toBe('TEMPORARY');
      expect(error.message).toMatch(new RegExp(`^SMTP server 127\\.0\\.0\\.1:${drip.port} did not take the message within 2\\.\\d+ s \\(sync\\.commandTimeoutSeconds, plus the upload at 64 KiB/s\\).*nothing was delivered$`));
      // The connection was closed, not left dripping.
      for (let i = 0; i < 50 && drip.open > 0; i += 1) await new Promise((resolve) => setTimeout(resolve, 100));
      expect(drip.open).toBe(0);
    } finally {
      await drip.close();
    }
  });

  it('returns a partial refusal as a result and delivers to the accepted recipients', async () => {
    const unknown = `nobody-${randomBytes(4).toString('hex')}@example.com`;
    const message = outgoing({ from: { address: from.username }, to: [{ address: alice.username }, { address: unknown }] });
    const result = await smtp.send(settings(), { from: from.username, to: [unknown, alice.username] }, await smtp.compose(message));
    expect(result.accepted).toEqual([alice.username]);
    expect(result.rejected).toEqual([unknown]);
    expect((await delivered(alice, message.messageId)).length).toBeGreaterThan(0);
  });

  it('reports every recipient refused as INVALID_INPUT naming them', async () => {
    const unknown = [`nobody-${randomBytes(4).toString('hex')}@example.com`, `ghost-${randomBytes(4).toString('hex')}@example.com`];
    const raw = await smtp.compose(outgoing({ from: { address: from.username }, to: unknown.map((address) => ({ address })) }));
    const error = await failure(smtp.send(settings(), { from: from.username, to: unknown }, raw));
    expect(error.code).toBe('INVALID_INPUT');
    expect(error.message).toContain('refused every recipient [5.1.1]');
    for (const address of unknown) expect(error.message).toContain(`${address} (550 5.1.1 <${address}>`);
  });

  it('refuses an empty recipient list before connecting', async () => {
    const raw = await smtp.compose(outgoing({ from: { address: from.username }, to: [] }));
    const error = await failure(smtp.send(settings({ port: 1 }), { from: from.username, to: [] }, raw));
    expect(error.code).toBe('INVALID_INPUT');
  });
});

// ---------------------------------------------------------------------------------------------
// A scripted server for the replies the harness never gives. Who the message is for decides:
//   tempfail@  -> 451 4.3.0 to the end of DATA     toobig@  -> 552 5.3.4 to the end of DATA
//   defer@     -> 450 4.2.1 to RCPT TO             anything else is accepted
// AUTH: user `busy` gets 454 4.7.0 (RFC 4954 §6 temporary failure), password `right` is accepted.

function replyError(responseCode: number, message: string): Error {
  return Object.assign(new Error(message), { responseCode });
}

async function drain(stream: SMTPServerDataStream): Promise<void> {
  for await (const _chunk of stream) {
    // read to the end so the server can answer the final dot
  }
}

async function listen(server: SMTPServer): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

describe('SmtpSender against a scripted SMTP server', () => {
  let server: SMTPServer;
  let strict: SMTPServer;
  let port: number;
  let strictPort: number;

  beforeAll(async () => {
    server = new SMTPServer({
      secure: false,
      disabledCommands: ['STARTTLS'],
      authMethods: ['PLAIN', 'LOGIN'],
      authOptional: true,
      allowInsecureAuth: true,
      disableReverseLookup: true,
      logger: false,
      closeTimeout: 1000,
      onAuth(auth, _session, callback) {
        if (auth.username === 'busy') callback(replyError(454, '4.7.0 Temporary authentication failure'));
        else if (auth.password === 'right') callback(null, { user: auth.username });
        else callback(replyError(535, '5.7.8 Authentication credentials invalid'));
      },
      onRcptTo(address, _session, callback) {
        if (address.address.startsWith('defer@')) callback(replyError(450, '4.2.1 Mailbox busy, try again later'));
        else callback();
      },
      onData(stream, session, callback) {
        const to = session.envelope.rcptTo.map((r) => r.address);
        drain(stream).then(
          () => {
            if (to.some((a) => a.startsWith('tempfail@'))) callback(replyError(451, '4.3.0 Local error in processing, try again later'));
            else if (to.some((a) => a.startsWith('toobig@'))) callback(replyError(552, '5.3.4 Message too big for system'));
            else callback(null, '2.0.0 Ok: queued');
          },
          (error: unknown) => callback(error instanceof Error ? error : new Error(String(error))),
        );
      },
    });
    // Requires AUTH before MAIL FROM: "530 5.7.0 Authentication required" (RFC 4954 §6).
    strict = new SMTPServer({
      secure: false,
      disabledCommands: ['STARTTLS'],
      authOptional: false,
      allowInsecureAuth: true,
      disableReverseLookup: true,
      logger: false,
      closeTimeout: 1000,
      onAuth(_auth, _session, callback) {
        callback(null, { user: 'x' });
      },
    });
    port = await listen(server);
    strictPort = await listen(strict);
  });

  afterAll(async () => {
    await Promise.all([server, strict].map((s) => (s === undefined ? undefined : new Promise<void>((resolve) => s.close(() => resolve())))));
  });

  function settings(extra: Partial<MailServerSettings> = {}): MailServerSettings {
    return { host: '127.0.0.1', port, security: 'none', username: 'bridge', password: 'right', allowInsecureTls: false, timeoutMs: 10_000, ...extra };
  }

  async function sendTo(to: string[], extra: Partial<MailServerSettings> = {}): Promise<BridgeError> {
    const raw = await smtp.compose(outgoing({ from: { address: 'bridge@example.com' }, to: to.map((address) => ({ address })) }));
    return failure(smtp.send(settings(extra), { from: 'bridge@example.com', to }, raw));
  }

  it('accepts a message (sanity check of the scripted server)', async () => {
    const raw = await smtp.compose(outgoing({ from: { address: 'bridge@example.com' }, to: [{ address: 'ok@example.com' }] }));
    const result = await smtp.send(settings(), { from: 'bridge@example.com', to: ['ok@example.com'] }, raw);
    expect(result).toEqual({ accepted: ['ok@example.com'], rejected: [], response: '250 2.0.0 Ok: queued' });
  });

  it('reports 451 to DATA as TEMPORARY', async () => {
    const error = await sendTo(['tempfail@example.com']);
    expect(error.code).toBe('TEMPORARY');
    expect(error.message).toBe(`SMTP server 127.0.0.1:${port} rejected the message [4.3.0]: 451 4.3.0 Local error in processing, try again later`);
  });

  it('reports 552 to DATA as INVALID_INPUT', async () => {
    const error = await sendTo(['toobig@example.com']);
    expect(error.code).toBe('INVALID_INPUT');
    expect(error.message).toBe(`SMTP server 127.0.0.1:${port} rejected the message [5.3.4]: 552 5.3.4 Message too big for system`);
  });

  it('reports every recipient deferred (450) as TEMPORARY', async () => {
    const error = await sendTo(['defer@example.com']);
    expect(error.code).toBe('TEMPORARY');
    expect(error.message).toContain('defer@example.com (450 4.2.1 Mailbox busy, try again later)');
  });

  it('reports a temporary AUTH failure (454) as TEMPORARY', async () => {
    const error = await sendTo(['ok@example.com'], { username: 'busy' });
    expect(error.code).toBe('TEMPORARY');
    expect(error.message).toContain('454 4.7.0');
  });

  it('reports "530 authentication required" without credentials as CONFIG', async () => {
    const error = await sendTo(['ok@example.com'], { port: strictPort, username: '', password: '' });
    expect(error.code).toBe('CONFIG');
    expect(error.message).toContain('530');
  });

  it('refuses a username without a password as CONFIG before connecting', async () => {
    const error = await sendTo(['ok@example.com'], { password: '', port: 1 });
    expect(error.code).toBe('CONFIG');
  });
});
