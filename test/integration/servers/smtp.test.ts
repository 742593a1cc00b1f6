// Smoke test of the SMTP test server: nodemailer submits, the message is delivered over
// LMTP into Dovecot and shows up in the recipient's INBOX over IMAP; unknown recipients and
// bad credentials are refused like a real MTA would.

import { randomBytes } from 'node:crypto';
import { ImapFlow } from 'imapflow';
import nodemailer from 'nodemailer';
import { describe, expect, inject, it } from 'vitest';
import { createMailUser, createMailUsers, type Credentials } from '../../servers/users.js';

const servers = inject('servers');

function smtpTransport(auth?: Credentials) {
  return nodemailer.createTransport({
    host: servers.smtp.host,
    port: servers.smtp.port,
    secure: false,
    ignoreTLS: true,
    ...(auth !== undefined ? { auth: { user: auth.username, pass: auth.password } } : {}),
  });
}

/** Poll the user's INBOX over IMAP until a message with `subject` arrives; return its source. */
async function waitForMessage(user: Credentials, subject: string, timeoutMs = 5000): Promise<string> {
  const client = new ImapFlow({
    host: servers.dovecot.host,
    port: servers.dovecot.imapPort,
    secure: false,
    auth: { user: user.username, pass: user.password },
    logger: false,
  });
  await client.connect();
  try {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const lock = await client.getMailboxLock('INBOX');
      try {
        const uids = await client.search({ header: { subject } }, { uid: true });
        const uid = Array.isArray(uids) ? uids[0] : undefined;
        if (uid !== undefined) {
          const msg = await client.fetchOne(String(uid), { source: true }, { uid: true });
          if (msg !== false && msg.source !== undefined) return msg.source.toString('utf8');
        }
      } finally {
        lock.release();
      }
      if (Date.now() > deadline) throw new Error(`"${subject}" did not reach ${user.username} within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 100));
    }
  } finally {
    await client.logout().catch(() => undefined);
  }
}

describe('SMTP test server', () => {
  it('delivers an unauthenticated submission into the recipient INBOX via LMTP', async () => {
    const rcpt = await createMailUser(servers, 'alice');
    const subject = `Welcome ${randomBytes(4).toString('hex')}`;
    const info = await smtpTransport().sendMail({
      from: 'Bob <bob@example.com>',
      to: rcpt.username,
      subject,
      text: 'Hi Alice,\nwelcome aboard.\n',
    });
    expect(info.accepted).toEqual([rcpt.username]);
    expect(info.rejected).toEqual([]);
    expect(info.response).toMatch(/^250 /);

    const source = await waitForMessage(rcpt, subject);
    expect(source).toMatch(new RegExp(`^Subject: ${subject}$`, 'm'));
    expect(source).toMatch(/^From: Bob <bob@example\.com>$/m);
    expect(source).toContain('welcome aboard.');
    // Added on the way: our MTA's Received header and Dovecot LMTP's delivery headers.
    expect(source).toMatch(/^Received: from .*\r\n\tby smtp\.example\.test /m);
    expect(source).toMatch(new RegExp(`^Delivered-To: ${rcpt.username.replace(/[.+]/g, '\\$&')}$`, 'mi'));
    expect(source).toMatch(/^Return-Path: <bob@example\.com>$/m);
  });

  it('accepts AUTH with Dovecot credentials and delivers to several recipients', async () => {
    const [sender, a, b] = await createMailUsers(servers, ['sales', 'carol', 'dave']);
    if (sender === undefined || a === undefined || b === undefined) throw new Error('user creation failed');
    const transport = smtpTransport(sender);
    await expect(transport.verify()).resolves.toBe(true);
    const subject = `Offer ${randomBytes(4).toString('hex')}`;
    const info = await transport.sendMail({ from: sender.username, to: [a.username, b.username], subject, text: 'offer' });
    expect([...info.accepted].sort()).toEqual([a.username, b.username].sort());
    await Promise.all([waitForMessage(a, subject), waitForMessage(b, subject)]);
  });

  it('rejects a wrong SMTP AUTH password with 535', async () => {
    const user = await createMailUser(servers, 'eve');
    const err = await smtpTransport({ username: user.username, password: 'not-the-password' })
      .verify()
      .then(
        () => undefined,
        (e: unknown) => e as { responseCode?: number; code?: string },
      );
    expect(err?.code).toBe('EAUTH');
    expect(err?.responseCode).toBe(535);
  });

  it('rejects an unknown recipient with 550 and delivers to the known one', async () => {
    const unknown = `nobody-${randomBytes(4).toString('hex')}@example.com`;
    const err = await smtpTransport()
      .sendMail({ from: 'bob@example.com', to: unknown, subject: 'lost', text: 'lost' })
      .then(
        () => undefined,
        (e: unknown) => e as { responseCode?: number; code?: string; rejected?: string[]; response?: string },
      );
    expect(err?.code).toBe('EENVELOPE');
    expect(err?.responseCode).toBe(550);
    expect(err?.response).toMatch(/^550 5\.1\.1 /);
    expect(err?.rejected).toEqual([unknown]);

    const known = await createMailUser(servers, 'frank');
    const subject = `Partial ${randomBytes(4).toString('hex')}`;
    const info = await smtpTransport().sendMail({ from: 'bob@example.com', to: [unknown, known.username], subject, text: 'x' });
    expect(info.accepted).toEqual([known.username]);
    expect(info.rejected).toEqual([unknown]);
    await waitForMessage(known, subject);
  });
});
